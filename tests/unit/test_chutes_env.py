"""Chutes, as CoderClaw: `$CHUTES_OAUTH_REDIRECT_URI` (for an OAuth app registered with another redirect) and
`$CHUTES_OAUTH_SCOPES` change the login, read at each login; a redirect off this machine is refused in one
sentence naming the variable."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from coderclaw_tui.auth.sandbox_issuer import SANDBOX_CHUTES_CLIENT_ID, SandboxIssuer
from coderclaw_tui.flows.events import AuthorizeUrlReady, FlowEvent, LoginError
from coderclaw_tui.flows.pkce_login import PkceLogin
from coderclaw_tui.providers.catalogue import CHUTES_OAUTH
from coderclaw_tui.providers.specs import pkce_spec_from_env

REDIRECT = "CHUTES_OAUTH_REDIRECT_URI"


def test_nothing_set_keeps_coderclaws_defaults() -> None:
    spec = pkce_spec_from_env(CHUTES_OAUTH, {})
    assert (spec.redirect_host, spec.callback_port, spec.callback_path) == ("127.0.0.1", 1456, "/oauth-callback")
    assert spec.scopes == ("openid", "profile", "chutes:invoke")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://localhost:8765/cb", ("localhost", 8765, "/cb")),
        ("http://127.0.0.1/chutes/return", ("127.0.0.1", 80, "/chutes/return")),
        ("http://[::1]:9001/oauth-callback", ("[::1]", 9001, "/oauth-callback")),
        ("  http://127.0.0.1:7000  ", ("127.0.0.1", 7000, "/")),
    ],
)
def test_the_redirect_variable_sets_host_port_and_path(uri: str, expected: tuple[str, int, str]) -> None:
    spec = pkce_spec_from_env(CHUTES_OAUTH, {REDIRECT: uri})
    assert (spec.redirect_host, spec.callback_port, spec.callback_path) == expected


def test_the_scopes_variable_replaces_the_scopes() -> None:
    assert pkce_spec_from_env(CHUTES_OAUTH, {"CHUTES_OAUTH_SCOPES": " openid\tchutes:invoke "}).scopes == (
        "openid",
        "chutes:invoke",
    )
    assert pkce_spec_from_env(CHUTES_OAUTH, {"CHUTES_OAUTH_SCOPES": "  "}).scopes == CHUTES_OAUTH.scopes


@pytest.mark.parametrize(
    "uri", ["https://127.0.0.1:8765/cb", "http://chutes.example:8765/cb", "http://127.0.0.1:99999/cb", "127.0.0.1:80"]
)
def test_a_redirect_off_this_machine_is_refused_naming_the_variable(uri: str) -> None:
    with pytest.raises(ValueError, match=r"^\$CHUTES_OAUTH_REDIRECT_URI must be an http:// address on this machine"):
        pkce_spec_from_env(CHUTES_OAUTH, {REDIRECT: uri})
    assert pkce_spec_from_env(CHUTES_OAUTH, {REDIRECT: uri}, strict=False) == CHUTES_OAUTH  # what screens show


def _env(issuer: SandboxIssuer, **extra: str) -> dict[str, str]:
    return {"CODERCLAW_CHUTES_ISSUER": issuer.base_url, "CHUTES_CLIENT_ID": SANDBOX_CHUTES_CLIENT_ID, **extra}


async def test_a_login_uses_the_variables_end_to_end() -> None:
    """Against the sandbox over real sockets: the authorize URL carries the scopes and the redirect the
    variables name (port 0: whatever is free), and the login completes through it."""
    urls: list[str] = []

    def on_event(event: FlowEvent) -> None:
        if isinstance(event, AuthorizeUrlReady):
            urls.append(event.url)

    with SandboxIssuer() as issuer:
        env = _env(
            issuer, CHUTES_OAUTH_REDIRECT_URI="http://127.0.0.1:0/oauth-callback", CHUTES_OAUTH_SCOPES="openid chutes:invoke"
        )
        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
            flow = PkceLogin(
                http, provider_id="chutes", spec=CHUTES_OAUTH, env=env, remote=True, fallback_port=None, on_event=on_event
            )
            task = asyncio.create_task(flow.run())
            while not urls and not task.done():
                await asyncio.sleep(0.01)
            query = parse_qs(urlsplit(urls[0]).query)
            assert query["scope"] == ["openid chutes:invoke"]
            redirect = urlsplit(query["redirect_uri"][0])
            assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1", "/oauth-callback")
            assert redirect.port not in (0, 1456)
            flow.submit_paste(issuer.approve(urls[0]))
            result = await asyncio.wait_for(task, 10)
    assert result.provider == "chutes" and result.credential["clientId"] == SANDBOX_CHUTES_CLIENT_ID


async def test_a_login_with_a_bad_redirect_variable_stops_before_listening() -> None:
    with SandboxIssuer() as issuer:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
            env = _env(issuer, CHUTES_OAUTH_REDIRECT_URI="https://evil.example/cb")
            flow = PkceLogin(http, provider_id="chutes", spec=CHUTES_OAUTH, env=env)
            with pytest.raises(LoginError, match=r"\$CHUTES_OAUTH_REDIRECT_URI must be"):
                await flow.run()
