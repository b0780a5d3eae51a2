"""The provider catalogue (SPEC 5): lookup by id and alias, method choice, entry-point plugins, and the
`$CODERCLAW_OPENAI_CODEX_ISSUER` override that every OpenAI request must honour.

Plugins are a real distribution on disk, found by `importlib.metadata` the way an installed one would be.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from coderclaw_tui.auth.pkce import PkcePair, new_state
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.flows.events import AuthorizeUrlReady, FlowEvent
from coderclaw_tui.flows.pkce_login import PkceLogin, build_authorize_url
from coderclaw_tui.providers.catalogue import (
    BUILTIN_PROVIDERS,
    OPENAI_CODEX_DEFAULT_ISSUER,
    all_providers,
    find_provider,
    openai_codex_issuer,
    resolve_provider,
)

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
BUILTIN_IDS = [p.id for p in BUILTIN_PROVIDERS]
PLUGIN_MODULES = ("fakeplugin_providers", "fakeplugin_broken")


# Built-in lookup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("openai-codex", "openai-codex"),
        ("codex", "openai-codex"),
        ("ChatGPT", "openai-codex"),
        ("  Anthropic ", "anthropic"),
        ("claude", "anthropic"),
        ("COPILOT", "github-copilot"),
        ("gemini", "google"),
        ("z.ai", "zai"),
    ],
)
def test_resolve_by_id_alias_and_case(raw: str, expected: str) -> None:
    assert resolve_provider(raw).id == expected
    assert find_provider(raw) is resolve_provider(raw)


def test_unknown_provider_is_a_usage_error_listing_every_known_id() -> None:
    assert find_provider("nosuch") is None
    with pytest.raises(UsageError) as caught:
        resolve_provider("nosuch")
    message = caught.value.message
    assert '"nosuch"' in message
    for provider_id in BUILTIN_IDS:
        assert provider_id in message
    assert caught.value.exit_code == 2


def test_method_by_id_by_kind_and_default() -> None:
    anthropic = resolve_provider("anthropic")
    assert anthropic.method(None).id == "setup-token"
    assert anthropic.method("setup-token").kind == "token"
    assert anthropic.method("api-key").id == "api-key"
    assert anthropic.method("token").id == "setup-token"
    assert resolve_provider("openai-codex").method("oauth-pkce").id == "oauth"


def test_unknown_method_names_the_provider_and_its_methods() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_provider("anthropic").method("device-code")
    message = caught.value.message
    assert "Anthropic" in message and '"device-code"' in message
    assert "setup-token" in message and "api-key" in message


def test_unknown_provider_from_the_token_command_lists_the_known_ids(run_cli: RunCli) -> None:
    """A typo in a script's `--provider` must say it is unknown and what is known, not send the user to a
    login command that then fails the same way."""
    result = run_cli("models", "auth", "token", "--provider", "nosuch")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nosuch" in result.stderr
    for provider_id in ("openai-codex", "anthropic", "github-copilot"):
        assert provider_id in result.stderr


# Plugins through the `coderclaw.providers` entry points

PLUGIN_SOURCE = '''
from coderclaw_tui.providers.catalogue import AuthMethod, Provider

PROVIDER = Provider(
    "fakeprov", "Fake Provider", (AuthMethod("api-key", "API key", "api-key"),),
    aliases=("fp",), env_vars=("FAKEPROV_API_KEY",),
)
SHADOW = Provider("openai", "Impostor OpenAI", (AuthMethod("api-key", "API key", "api-key"),))
NO_METHODS = Provider("emptyprov", "No methods", ())


def more():
    return [Provider("factoryprov", "From a factory", (AuthMethod("token", "Paste", "token"),))]
'''

ENTRY_POINTS = """
[coderclaw.providers]
fake = fakeplugin_providers:PROVIDER
shadow = fakeplugin_providers:SHADOW
empty = fakeplugin_providers:NO_METHODS
factory = fakeplugin_providers:more
broken = fakeplugin_broken:PROVIDER
missing = fakeplugin_providers:DOES_NOT_EXIST
"""


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed-looking distribution `fakeplugin` whose entry points name good, shadowing and broken providers."""
    site = tmp_path / "site"
    info = site / "fakeplugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(ENTRY_POINTS).lstrip())
    (site / "fakeplugin_providers.py").write_text(PLUGIN_SOURCE)
    (site / "fakeplugin_broken.py").write_text("raise RuntimeError('this plugin is broken at import')\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in PLUGIN_MODULES:
        sys.modules.pop(name, None)


def test_plugin_provider_is_found_by_id_alias_and_listed(plugin_dir: Path) -> None:
    fake = find_provider("FakeProv")
    assert fake is not None and fake.label == "Fake Provider"
    assert fake.plugin == "fake"
    assert resolve_provider("fp").id == "fakeprov"
    ids = [p.id for p in all_providers()]
    assert ids[: len(BUILTIN_IDS)] == BUILTIN_IDS
    assert "fakeprov" in ids and "factoryprov" in ids
    assert resolve_provider("factoryprov").method(None).kind == "token"


def test_plugin_ids_appear_in_the_unknown_provider_message(plugin_dir: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_provider("nosuch")
    assert "fakeprov" in caught.value.message and "factoryprov" in caught.value.message


def test_a_plugin_cannot_replace_a_builtin(plugin_dir: Path) -> None:
    """A plugin claiming `openai` must not redirect a user's OpenAI login to someone else's code."""
    assert resolve_provider("openai").label == "OpenAI API"
    assert resolve_provider("openai").plugin is None
    openai_entries = [p for p in all_providers() if p.id == "openai"]
    assert [p.label for p in openai_entries] == ["OpenAI API"]


def test_broken_or_empty_plugins_are_skipped(plugin_dir: Path) -> None:
    """One plugin raising at import (or naming nothing usable) must not break logins to every other provider."""
    ids = [p.id for p in all_providers()]
    assert "emptyprov" not in ids
    assert find_provider("emptyprov") is None
    assert resolve_provider("fakeprov").id == "fakeprov"
    assert "fakeplugin_broken" not in sys.modules


# The issuer override


def test_issuer_default_and_override() -> None:
    assert openai_codex_issuer({}) == OPENAI_CODEX_DEFAULT_ISSUER == "https://auth.openai.com"
    assert openai_codex_issuer({"CODERCLAW_OPENAI_CODEX_ISSUER": ""}) == OPENAI_CODEX_DEFAULT_ISSUER
    assert openai_codex_issuer({"CODERCLAW_OPENAI_CODEX_ISSUER": "http://127.0.0.1:9/x/"}) == "http://127.0.0.1:9/x"


def test_issuer_override_reaches_the_refresh_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", "http://127.0.0.1:9/")
    assert openai_codex_issuer() == "http://127.0.0.1:9"
    codex_refresh = resolve_provider("openai-codex").refresh
    assert codex_refresh is not None and codex_refresh.url("openai-codex") == "http://127.0.0.1:9/oauth/token"
    anthropic_refresh = resolve_provider("anthropic").refresh
    assert anthropic_refresh is not None
    assert anthropic_refresh.url("anthropic") == "https://console.anthropic.com/v1/oauth/token", "only OpenAI's issuer moves"


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxIssuer]:
    with SandboxIssuer() as running:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", running.base_url + "/")
        monkeypatch.delenv("CODERCLAW_OAUTH_CALLBACK_PORT", raising=False)
        yield running


def test_authorize_url_built_on_the_override_is_accepted_by_that_issuer(issuer: SandboxIssuer) -> None:
    pkce, state = PkcePair.generate(), new_state()
    url = build_authorize_url(
        openai_codex_issuer() + "/oauth/authorize", redirect_uri="http://localhost:1455/auth/callback", challenge=pkce.challenge, state=state
    )
    assert url.startswith(issuer.base_url + "/oauth/authorize?")
    redirect = parse_qs(urlsplit(issuer.approve(url)).query)
    assert redirect["state"] == [state] and redirect["code"][0]


async def test_pkce_login_sends_authorize_and_exchange_to_the_override(issuer: SandboxIssuer) -> None:
    """No `issuer=` argument: the flow must take the issuer from the environment for both requests."""
    urls: list[str] = []

    def on_event(event: FlowEvent) -> None:
        if isinstance(event, AuthorizeUrlReady):
            urls.append(event.url)

    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        flow = PkceLogin(http, remote=True, callback_port=0, fallback_port=None, on_event=on_event)
        task = asyncio.create_task(flow.run())
        while not urls:
            await asyncio.sleep(0.01)
        assert urls[0].startswith(issuer.base_url + "/oauth/authorize?")
        flow.submit_paste(issuer.approve(urls[0]))
        result = await asyncio.wait_for(task, 10)
    assert "code_exchanged" in issuer.events
    assert result.credential["accountId"] == "acct_sandbox_0001"
    assert result.credential["refresh"].startswith("rt_")
