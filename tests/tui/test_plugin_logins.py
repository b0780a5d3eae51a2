"""A plugin declares its own OAuth providers the way the built-ins do (a PKCE spec, a device-code spec) and the
wizard logs in to both against the sandbox issuer; the plugin is a real distribution found through
`importlib.metadata` entry points, and its refresh goes through the same locked path as Codex's."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import events
from wizard_helpers import MakeServices, confirm_and_check_disk, sign_in_screen_ready, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxClient, SandboxIssuer
from coderclaw_tui.core.refresh import refresh_profile
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput

PLUGIN_SOURCE = '''
from coderclaw_tui.providers.catalogue import AuthMethod, Provider, RefreshSpec
from coderclaw_tui.providers.specs import ClientSpec, DeviceSpec, PkceSpec

ACME_CLIENT = ClientSpec("acme-cli")
ACME_TOKEN = "https://auth.acme.example/oauth/token"
ACME = Provider(
    "acme",
    "Acme Cloud",
    (AuthMethod("oauth", "Acme browser sign-in", "oauth-pkce", "PKCE", PkceSpec(
        authorize_url="https://auth.acme.example/oauth/authorize",
        token_url=ACME_TOKEN,
        client=ACME_CLIENT,
        scopes=("openid", "models"),
        callback_port=1460,
        callback_path="/acme/callback",
    )),),
    group="Acme",
    refresh=RefreshSpec(ACME_TOKEN, ACME_CLIENT),
)
ACME_TV = Provider(
    "acme-tv",
    "Acme TV",
    (AuthMethod("device", "Acme device code", "device-code", "", DeviceSpec(
        "rfc8628",
        code_url="https://acme.example/login/device/code",
        poll_url="https://acme.example/login/oauth/access_token",
        client=ClientSpec("acme-tv-cli"),
        scope="models",
    )),),
    group="Acme",
)
'''


@pytest.fixture
def acme_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer: SandboxIssuer) -> Iterator[None]:
    site = tmp_path / "site"
    info = site / "acmeplugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acmeplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent("""
        [coderclaw.providers]
        acme = acmeplugin_providers:ACME
        acme-tv = acmeplugin_providers:ACME_TV
        """).lstrip()
    )
    (site / "acmeplugin_providers.py").write_text(PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(site))
    issuer.register_client(SandboxClient("acme-cli", redirect_path="/acme/callback"))
    issuer.register_client(SandboxClient("acme-tv-cli", redirect_path=""))
    yield
    sys.modules.pop("acmeplugin_providers", None)


def plugin_env(issuer: SandboxIssuer) -> dict[str, str]:
    """The documented override points the plugin's endpoints at the sandbox, as for a built-in."""
    return {"CODERCLAW_ACME_ISSUER": issuer.base_url, "CODERCLAW_ACME_TV_ISSUER": issuer.base_url}


async def test_a_plugins_pkce_provider_logs_in_and_refreshes(
    acme_plugin: None, make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    services = make_services(env=plugin_env(issuer), remote=True)
    async with make_app(services, WizardStart(agent_id="main", provider_id="acme")).run_test(size=(80, 24)) as pilot:
        screen = await sign_in_screen_ready(pilot)
        assert screen.url.startswith(issuer.base_url + "/oauth/authorize?") and "acme%2Fcallback" in screen.url
        screen.query_one("#paste", PasteInput).post_message(events.Paste(issuer.approve(screen.url)))
        record = await confirm_and_check_disk(pilot, state_dir)
    assert set(record) == {"type", "provider", "access", "refresh", "expires"}
    assert record["provider"] == "acme" and "code_exchanged" in issuer.events
    entry = services.sink.view("main").profiles["acme:default"]
    fresh = refresh_profile(services.sink, "main", entry, env=services.env, force=True)
    assert fresh["refresh"] != record["refresh"] and issuer.refresh_count == 1


async def test_a_plugins_device_code_provider_logs_in(
    acme_plugin: None, make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    services = make_services(env=plugin_env(issuer))
    async with make_app(services, WizardStart(agent_id="main")).run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press(*"acme tv", "enter")
        await wait_for_screen(pilot, "DeviceCodeScreen")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.code is not None, "the device code")
        issuer.approve_device(screen.code.user_code)
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["provider"] == "acme-tv" and set(record) == {"type", "provider", "access", "refresh", "expires"}
