"""Provider methods as data: the issuer override scheme, client resolution (env, an installed Gemini CLI, the
credential), config patches, each provider's refresh request and answer, and the device variants' refusals."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from coderclaw_tui.core.refresh import NeedsRelogin, RefreshFailed, refresh_profile
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.flows.device_login import DeviceCodeLogin
from coderclaw_tui.flows.events import LoginError
from coderclaw_tui.providers.catalogue import (
    CHUTES_CLIENT,
    GEMINI_CLI_CLIENT,
    QWEN_DEVICE,
    _minimax_device,
    resolve_provider,
)
from coderclaw_tui.providers.clients import gemini_cli_client, resolve_client
from coderclaw_tui.providers.config_patch import base_url_from, deep_merge, fill
from coderclaw_tui.providers.specs import BaseUrlRule, ConfigPatch, endpoint, issuer_env_var


def test_issuer_override_keeps_each_endpoints_path() -> None:
    assert issuer_env_var("google-gemini-cli") == "CODERCLAW_GOOGLE_GEMINI_CLI_ISSUER"
    env = {"CODERCLAW_QWEN_PORTAL_ISSUER": "http://127.0.0.1:9/prefix/"}
    assert endpoint(QWEN_DEVICE.code_url, "qwen-portal", env) == "http://127.0.0.1:9/prefix/api/v1/oauth2/device/code"
    assert endpoint(QWEN_DEVICE.code_url, "minimax-portal", env) == QWEN_DEVICE.code_url
    google = "https://www.googleapis.com/oauth2/v1/userinfo?alt=json"
    assert endpoint(google, "x", {"CODERCLAW_X_ISSUER": "http://h:1"}) == "http://h:1/oauth2/v1/userinfo?alt=json"


def test_client_order_entered_stored_env(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"CHUTES_CLIENT_ID": "cid_env", "CHUTES_CLIENT_SECRET": "s3"}
    assert resolve_client(CHUTES_CLIENT, {}) is None
    assert resolve_client(CHUTES_CLIENT, env) == ("cid_env", "s3")
    assert resolve_client(CHUTES_CLIENT, env, stored="cid_stored").client_id == "cid_stored"  # type: ignore[union-attr]
    assert resolve_client(CHUTES_CLIENT, env, entered="cid_typed", stored="x").client_id == "cid_typed"  # type: ignore[union-attr]


def test_gemini_client_found_in_an_installed_gemini_cli(tmp_path: Path) -> None:
    """The layout an npm global install leaves: bin/gemini -> ../lib/node_modules/... and oauth2.js with both."""
    root = tmp_path / "lib"
    core = root / "node_modules/@google/gemini-cli-core/dist/src/code_assist"
    core.mkdir(parents=True)
    (core / "oauth2.js").write_text(
        'const OAUTH_CLIENT_ID = "123456-abcdef.apps.googleusercontent.com";\nconst S = "GOCSPX-abc_DEF-1";\n'
    )
    (root / "bin").mkdir()
    gemini = root / "bin" / "gemini"
    gemini.write_text("#!/bin/sh\n")
    gemini.chmod(0o755)
    gemini_cli_client.cache_clear()
    env = {"PATH": str(root / "bin")}
    assert resolve_client(GEMINI_CLI_CLIENT, env) == ("123456-abcdef.apps.googleusercontent.com", "GOCSPX-abc_DEF-1")
    typed = resolve_client(GEMINI_CLI_CLIENT, env, entered="123456-abcdef.apps.googleusercontent.com")
    assert typed is not None and typed.secret == "GOCSPX-abc_DEF-1", "the found secret goes with the same id"
    override = {**env, "GEMINI_CLI_OAUTH_CLIENT_ID": "999-x.apps.googleusercontent.com"}
    assert resolve_client(GEMINI_CLI_CLIENT, override) == ("999-x.apps.googleusercontent.com", None)
    gemini_cli_client.cache_clear()
    assert resolve_client(GEMINI_CLI_CLIENT, {"PATH": str(tmp_path / "empty")}) is None


def test_config_patch_fill_and_merge() -> None:
    rule = BaseUrlRule(default="https://portal.qwen.ai/v1", ensure_scheme=True, ensure_suffix="/v1")
    assert base_url_from(rule, {}) == "https://portal.qwen.ai/v1"
    assert base_url_from(rule, {"resource_url": "portal.qwen.ai/"}) == "https://portal.qwen.ai/v1"
    patch = ConfigPatch({"models": {"providers": {"${id}": {"baseUrl": "${baseUrl}", "apiKey": "${key}"}}}}, rule)
    assert fill(patch, {"id": "p", "key": ""}, {}) == {"models": {"providers": {"p": {"baseUrl": "https://portal.qwen.ai/v1"}}}}
    config: dict[str, Any] = {"models": {"providers": {"other": {"x": 1}, "p": {"models": [1], "keep": True}}}, "k": 1}
    deep_merge(config, {"models": {"providers": {"p": {"models": [2]}}}})
    assert config == {"models": {"providers": {"other": {"x": 1}, "p": {"models": [2], "keep": True}}}, "k": 1}


def seed(sink: TokenSink, profile_id: str, record: dict[str, Any]) -> Any:
    sink.upsert("main", profile_id, record)
    return sink.view("main").profiles[profile_id]


class TokenEndpoint:
    """A loopback token endpoint answering every POST with `answer` and keeping the forms it received."""

    def __init__(self) -> None:
        self.answer: tuple[int, dict[str, Any]] = (200, {})
        self.forms: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                endpoint.forms.append(dict(parse_qsl(body.decode())))
                status, payload = endpoint.answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def token_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    running = TokenEndpoint()
    for provider in ("QWEN_PORTAL", "CHUTES", "MINIMAX_PORTAL"):
        monkeypatch.setenv(f"CODERCLAW_{provider}_ISSUER", running.url)
    yield running
    running.server.shutdown()
    running.server.server_close()


EXPIRED = {"type": "oauth", "access": "at_old", "refresh": "rt_old", "expires": 1}


def test_qwen_refresh_400_means_log_in_again(state_dir: Path, token_endpoint: TokenEndpoint) -> None:
    sink = TokenSink()
    entry = seed(sink, "qwen-portal:default", {**EXPIRED, "provider": "qwen-portal"})
    token_endpoint.answer = (400, {"error": "whatever"})
    with pytest.raises(NeedsRelogin) as caught:
        refresh_profile(sink, "main", entry)
    assert "coderclaw models auth login --provider qwen-portal" in caught.value.message
    assert token_endpoint.forms[0] == {"grant_type": "refresh_token", "refresh_token": "rt_old", "client_id": QWEN_DEVICE.client.client_id}


def test_chutes_refresh_uses_the_stored_client_and_the_env_secret(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch, token_endpoint: TokenEndpoint
) -> None:
    monkeypatch.setenv("CHUTES_CLIENT_SECRET", "shh")
    sink = TokenSink()
    entry = seed(sink, "chutes:ada", {**EXPIRED, "provider": "chutes", "clientId": "cid_mine", "email": "ada"})
    token_endpoint.answer = (200, {"access_token": "at_new", "refresh_token": "rt_new", "expires_in": 3600})
    fresh = refresh_profile(sink, "main", entry)
    form = token_endpoint.forms[0]
    assert form["client_id"] == "cid_mine" and form["client_secret"] == "shh"
    assert fresh["clientId"] == "cid_mine" and fresh["email"] == "ada" and fresh["access"] == "at_new"
    now = sink.now_ms()
    assert now + 3_300_000 - 5_000 <= fresh["expires"] <= now + 3_300_000 + 5_000, "stored 5 minutes early"


def test_chutes_refresh_without_any_client_says_what_to_set(state_dir: Path, token_endpoint: TokenEndpoint) -> None:
    sink = TokenSink()
    entry = seed(sink, "chutes:ada", {**EXPIRED, "provider": "chutes"})
    with pytest.raises(RefreshFailed) as caught:
        refresh_profile(sink, "main", entry)
    assert "CHUTES_CLIENT_ID" in caught.value.message and caught.value.exit_code == 4
    assert token_endpoint.forms == []


def test_minimax_has_no_refresh(state_dir: Path, token_endpoint: TokenEndpoint) -> None:
    assert resolve_provider("minimax-portal").refresh is None
    sink = TokenSink()
    entry = seed(sink, "minimax-portal:default", {**EXPIRED, "provider": "minimax-portal"})
    with pytest.raises(NeedsRelogin):
        refresh_profile(sink, "main", entry)
    assert token_endpoint.forms == []


def scripted(*answers: tuple[int, dict[str, Any]]) -> httpx.AsyncClient:
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        status, body = queue.pop(0)
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_minimax_refuses_an_answer_with_another_state() -> None:
    start = {"user_code": "ABCD", "verification_uri": "https://x/v", "expired_in": 10**15, "state": "not-ours"}
    async with scripted((200, start)) as http:
        flow = DeviceCodeLogin(http, provider_id="minimax-portal", spec=_minimax_device("https://api.minimax.io"))
        with pytest.raises(LoginError, match="another login's state"):
            await flow.run()


async def test_qwen_device_request_carries_pkce_and_a_request_id() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"error": "invalid_client"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
        with pytest.raises(LoginError, match=r"refused to start a device login \(invalid_client\)"):
            await DeviceCodeLogin(http, provider_id="qwen-portal", spec=QWEN_DEVICE).run()
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert form["code_challenge_method"] == "S256" and len(form["code_challenge"]) == 43
    assert len(seen[0].headers["x-request-id"]) == 36 and json.dumps(form).find("verifier") == -1
