"""SVG snapshots at 80x24 of the screens the new sign-in methods bring: the step before an OAuth login (a warning,
the client id the user brings), the Codex device code, API keys with extra fields, and a confirm step that
merges config. Baselines in `snapshots/`; update with `--snapshot-update`, then look at them."""

from __future__ import annotations

from typing import Any

import httpx
from snapshot_helpers import fake_servers
from test_snapshots import THEME, SnapCompare, Steps, wait_for
from textual.pilot import Pilot
from wizard_helpers import wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import WizardStart

SMALL = (80, 24)
CODEX_DEVICE_CODE = "K7PQ-4MZD"
GEMINI_ENV = {"GEMINI_CLI_OAUTH_CLIENT_ID": "681255809395-example.apps.googleusercontent.com"}
CHUTES_ENV = {"CHUTES_CLIENT_ID": "cid_example_app"}


async def device_servers(request: httpx.Request) -> httpx.Response:
    """OpenAI's device authorization hands out one fixed code and is never approved; the rest as usual."""
    if request.url.path == "/api/accounts/deviceauth/usercode":
        return httpx.Response(200, json={"device_auth_id": "da_snapshot", "user_code": CODEX_DEVICE_CODE, "interval": "5"})
    return await fake_servers(request)


def shoot_small(snap_compare: SnapCompare, app: Any, steps: Steps) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = THEME
        await steps(pilot)
        await pilot.pause()

    return snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_prepare_gemini_cli(snap_compare: SnapCompare, services: Any) -> None:
    """The account-risk warning and the client id found in the environment, before anything starts."""

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PrepareLoginScreen")

    start = WizardStart(agent_id="main", provider_id="google-gemini-cli")
    assert shoot_small(snap_compare, make_app(services(env=GEMINI_ENV), start), steps)


def test_prepare_chutes_without_a_client(snap_compare: SnapCompare, services: Any) -> None:
    """No CHUTES_CLIENT_ID: Enter on the empty field says what is missing."""

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PrepareLoginScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: str(pilot.app.screen.query_one("#prepare-problem").content), "the problem")

    assert shoot_small(snap_compare, make_app(services(), WizardStart(agent_id="main", provider_id="chutes")), steps)


def test_codex_device_code(snap_compare: SnapCompare, services: Any) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        await wait_for(pilot, lambda: pilot.app.screen.code is not None, "the code")

    built = services(http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(device_servers)))
    start = WizardStart(agent_id="main", provider_id="openai-codex", method_id="device-code")
    assert shoot_small(snap_compare, make_app(built, start), steps)


def test_api_key_cloudflare_ai_gateway(snap_compare: SnapCompare, services: Any) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.pause()
        await pilot.press(*"acct123", "tab", *"gw-main")

    start = WizardStart(agent_id="main", provider_id="cloudflare-ai-gateway", method_id="api-key")
    assert shoot_small(snap_compare, make_app(services(), start), steps)


def test_api_key_custom_provider(snap_compare: SnapCompare, services: Any) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ApiKeyScreen")

    start = WizardStart(agent_id="main", provider_id="custom", method_id="api-key")
    assert shoot_small(snap_compare, make_app(services(), start), steps)


def test_confirm_cloudflare_ai_gateway(snap_compare: SnapCompare, services: Any) -> None:
    """The confirm step names the config paths the method merges, with the key masked in the store line."""

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.pause()
        await pilot.press(*"acct123", "tab", *"gw-main", "tab", *"cf-snapshot-key-0000000000000000WXYZ", "enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: pilot.app.screen.plan is not None, "the plan")

    start = WizardStart(agent_id="main", provider_id="cloudflare-ai-gateway", method_id="api-key")
    assert shoot_small(snap_compare, make_app(services(), start), steps)
