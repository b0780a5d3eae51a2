"""SVG snapshots of every screen (baselines in the repo's `snapshots/`; see conftest.py for what is pinned).

Update after an intended change with `pytest tests/snapshot --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from snapshot_helpers import CODEX_EMAIL, DEVICE_CODE, FIXED_STATE, FROZEN_S, SNAPSHOTS_DIR, write_config, write_store
from textual import events
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Button
from wizard_helpers import text, wait_for_screen
from wizard_helpers import wait_for as helpers_wait_for

from coderclaw_tui.app import ProfilesStart, make_app
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput

SIZE = (100, 32)
THEME = "textual-dark"
NOW_MS = FROZEN_S * 1000
MINUTE = 60_000
DAY = 86_400_000
SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[Any]], Awaitable[None]]

ANTHROPIC_KEY = "sk-ant-api03-snapshot-key-for-tests-only-000000000000000000-A1B2"
SETUP_TOKEN = "sk-ant-oat01-snapshot-setup-token-0000000000000000000000S9T0"
OTHER_ANTHROPIC_KEY = "sk-ant-api03-an-older-key-already-stored-1111111111111111-C3D4"
CODEX = WizardStart(agent_id="main", provider_id="openai-codex")
API_KEY = WizardStart(agent_id="main", provider_id="anthropic", method_id="api-key")


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """wizard_helpers.wait_for, where a widget not composed yet counts as "not yet" rather than an error."""

    def holds() -> object:
        try:
            return predicate()
        except NoMatches:
            return False

    await helpers_wait_for(pilot, holds, what, timeout)


AT_BOTH_SIZES = pytest.mark.parametrize(
    "size", [pytest.param((80, 24), id="80x24"), pytest.param((100, 32), id="100x32")]
)
"""The wizard's screens are shot at 80x24 (most SSH sessions) and 100x32."""


def shoot(snap_compare: SnapCompare, app: Any, steps: Steps, size: tuple[int, int] = SIZE) -> bool:
    """The app at the given size and the fixed theme, screenshotted once `steps` has brought it to the state to
    show."""

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = THEME
        await steps(pilot)
        await pilot.pause()

    return snap_compare(app, terminal_size=size, run_before=run_before)


async def paste(pilot: Pilot[Any], selector: str, value: str) -> None:
    await wait_for(pilot, lambda: pilot.app.screen.query_one(selector, PasteInput), selector)
    pilot.app.screen.query_one(selector, PasteInput).post_message(events.Paste(value))
    await pilot.pause()


def seed_agents() -> None:
    """main with two profiles (a setup-token holds anthropic:default), and a second agent with one of its own."""
    write_config({"agents": {"list": [{"id": "main"}, {"id": "research", "name": "Research"}]}})
    write_store(
        "main",
        {
            "version": 1,
            "profiles": {
                "anthropic:default": {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN},
                "openai:default": {
                    "type": "api_key",
                    "provider": "openai",
                    "key": "sk-proj-snapshot-0000000000000000-E5F6",
                },
            },
        },
    )
    write_store(
        "research",
        {
            "version": 1,
            "profiles": {
                "github-copilot:github": {
                    "type": "token",
                    "provider": "github-copilot",
                    "token": "ghu_snapshot000000000000000000G7H8",
                }
            },
        },
    )


# -- the wizard -----------------------------------------------------------------------------------------------


@AT_BOTH_SIZES
def test_choose_agent(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    seed_agents()

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for(
            pilot,
            lambda: "research" in str(pilot.app.screen.query_one("#agents").get_option_at_index(1).prompt),
            "the agents",
        )

    assert shoot(snap_compare, make_app(services()), steps, size)


@AT_BOTH_SIZES
def test_choose_agent_new(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    seed_agents()

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: pilot.app.focused is pilot.app.screen.query_one("#agents"), "the agents")
        await pilot.press("end", "enter")
        await wait_for(pilot, lambda: pilot.app.focused is pilot.app.screen.query_one("#agent-id"), "the id field")
        await pilot.press(*"Lab 2")
        await wait_for(pilot, lambda: "Will be created as lab-2" in text(pilot, "#agent-id-note"), "the id note")

    assert shoot(snap_compare, make_app(services()), steps, size)


@AT_BOTH_SIZES
def test_choose_method(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ChooseMethodScreen")

    assert shoot(snap_compare, make_app(services(), WizardStart(agent_id="main")), steps, size)


@AT_BOTH_SIZES
def test_choose_method_filtered(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await wait_for(pilot, lambda: pilot.app.focused is pilot.app.screen.query_one("#method-filter"), "the filter")
        await pilot.press(*"anthropic")
        await pilot.press("down")

    assert shoot(snap_compare, make_app(services(), WizardStart(agent_id="main")), steps, size)


@AT_BOTH_SIZES
def test_pkce_login_local(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: text(pilot, "#login-status").startswith("Opened your browser"), "the browser")

    app = make_app(services(), CODEX)
    assert shoot(snap_compare, app, steps, size)
    assert f"state={FIXED_STATE}" in app.services.open_browser.opened[0]


@AT_BOTH_SIZES
def test_pkce_login_remote(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: "ssh -L 1455:127.0.0.1:1455" in text(pilot, "#ssh-hint"), "the ssh hint")

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_pkce_login_bad_paste(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: "ssh -L" in text(pilot, "#ssh-hint"), "the URL")
        await paste(pilot, "#paste", "http://localhost:1455/auth/callback?code=ac_x&state=somebody-elses-state")
        await wait_for(pilot, lambda: text(pilot, "#paste-error"), "the paste error")

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_device_code(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        await wait_for(pilot, lambda: "check 1" in text(pilot, "#device-status"), "the first poll")
        assert text(pilot, "#user-code") == " ".join(DEVICE_CODE)

    start = WizardStart(agent_id="main", provider_id="github-copilot")
    assert shoot(snap_compare, make_app(services(), start), steps, size)


@AT_BOTH_SIZES
def test_paste_token_invalid(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PasteTokenScreen")
        await paste(pilot, "#token", ANTHROPIC_KEY)  # an API key where the setup-token belongs
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#token-problem").has_class("-error"), "the check")

    start = WizardStart(agent_id="main", provider_id="anthropic", method_id="setup-token")
    assert shoot(snap_compare, make_app(services(), start), steps, size)


@AT_BOTH_SIZES
def test_api_key_env_offer(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await wait_for(pilot, lambda: pilot.app.screen.focused is not None, "the focus")

    app = make_app(services(env={"ANTHROPIC_API_KEY": ANTHROPIC_KEY}), API_KEY)
    assert shoot(snap_compare, app, steps, size)


async def to_confirm_with_api_key(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, "ApiKeyScreen")
    await paste(pilot, "#api-key", ANTHROPIC_KEY)
    await wait_for(pilot, lambda: "Read as" in text(pilot, "#api-key-problem"), "the key check")
    await pilot.press("enter")
    await wait_for_screen(pilot, "ConfirmScreen")
    await wait_for(pilot, lambda: pilot.app.screen.plan is not None, "the plan")


async def to_confirm_with_oauth(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, "PkceLoginScreen")
    await wait_for(pilot, lambda: pilot.app.screen.url, "the URL")
    await paste(pilot, "#paste", f"http://localhost:1455/auth/callback?code=ac_snapshot&state={FIXED_STATE}")
    await wait_for_screen(pilot, "ConfirmScreen")
    await wait_for(pilot, lambda: pilot.app.screen.plan is not None, "the plan")


@AT_BOTH_SIZES
def test_confirm_oauth(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await to_confirm_with_oauth(pilot)
        assert text(pilot, "#identity") == f"openai-codex OAuth login as {CODEX_EMAIL}, for agent main."

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_confirm_collision(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    seed_agents()

    async def steps(pilot: Pilot[Any]) -> None:
        await to_confirm_with_api_key(pilot)
        assert "already holds" in text(pilot, "#collision")

    assert shoot(snap_compare, make_app(services(), API_KEY), steps, size)


@AT_BOTH_SIZES
def test_done(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await to_confirm_with_oauth(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_corrupt_store_dialog(snap_compare: SnapCompare, services: Any, state_dir: Any, size: tuple[int, int]) -> None:
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    store.write_text('{"version": 1, "profiles": {', encoding="utf-8")

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "CorruptStoreDialog")

    assert shoot(snap_compare, make_app(services(), API_KEY), steps, size)


@AT_BOTH_SIZES
def test_pkce_login_incomplete_paste(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    """The first half of a wrapped redirect URL: kept in the field, the login waits for the rest."""

    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: "ssh -L" in text(pilot, "#ssh-hint"), "the URL")
        await paste(pilot, "#paste", "http://localhost:1455/auth/callback?code=ac_snapshot_first_half")
        await wait_for(pilot, lambda: "incomplete" in text(pilot, "#paste-error"), "the paste warning")

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_pkce_login_kept(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    """Esc from Confirm: the finished sign-in is kept, Enter goes on with it."""

    async def steps(pilot: Pilot[Any]) -> None:
        await to_confirm_with_oauth(pilot)
        await pilot.press("escape")
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: "signed in as" in text(pilot, "#kept-login"), "the kept login")

    assert shoot(snap_compare, make_app(services(remote=True), CODEX), steps, size)


@AT_BOTH_SIZES
def test_api_key_openai(snap_compare: SnapCompare, services: Any, size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await paste(pilot, "#api-key", 'export OPENAI_API_KEY="sk-proj-snapshot-0000000000000000-E5F6"')
        await wait_for(pilot, lambda: "Read as" in text(pilot, "#api-key-problem"), "the key check")

    start = WizardStart(agent_id="main", provider_id="openai", method_id="api-key")
    assert shoot(snap_compare, make_app(services(), start), steps, size)


# -- the profile browser --------------------------------------------------------------------------------------


def seed_profiles() -> None:
    """Two agents; a healthy login, one whose refresh was refused, one in cooldown, a disabled key, statics."""
    write_config({"agents": {"list": [{"id": "main"}, {"id": "research", "name": "Research"}]}})
    write_store(
        "main",
        {
            "version": 1,
            "profiles": {
                "openai-codex:ada@work.example": {
                    "type": "oauth",
                    "provider": "openai-codex",
                    "access": "eyJhbGciOiJub25lIn0.snapshot-work-access.J1K2",
                    "refresh": "rt_snapshot-work-refresh-000000000000L3M4",
                    "expires": NOW_MS + 42 * MINUTE + 17_000,
                    "accountId": "acct_work_0001",
                    "email": "ada@work.example",
                },
                "openai-codex:ada@home.example": {
                    "type": "oauth",
                    "provider": "openai-codex",
                    "access": "eyJhbGciOiJub25lIn0.snapshot-home-access.N5P6",
                    "refresh": "rt_snapshot-home-refresh-000000000000Q7R8",
                    "expires": NOW_MS - 3 * DAY,
                    "accountId": "acct_home_0002",
                    "email": "ada@home.example",
                    "needsRelogin": "the refresh token was revoked (invalid_grant)",
                },
                "anthropic:work": {
                    "type": "token",
                    "provider": "anthropic",
                    "token": SETUP_TOKEN,
                    "expires": NOW_MS + 300 * DAY,
                },
                "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": OTHER_ANTHROPIC_KEY},
                "openai:default": {
                    "type": "api_key",
                    "provider": "openai",
                    "key": "sk-proj-snapshot-0000000000000000-E5F6",
                },
            },
            "order": {
                "openai-codex": ["openai-codex:ada@work.example", "openai-codex:ada@home.example"],
                "anthropic": ["anthropic:work", "anthropic:default"],
            },
            "usageStats": {
                "openai-codex:ada@work.example": {"lastUsed": NOW_MS - 5 * MINUTE},
                "anthropic:work": {"lastUsed": NOW_MS - 2 * MINUTE, "cooldownUntil": NOW_MS + 12 * MINUTE},
                "anthropic:default": {
                    "lastUsed": NOW_MS - DAY,
                    "disabledUntil": NOW_MS + 4 * 3_600_000,
                    "disabledReason": "billing",
                },
            },
        },
    )
    write_store(
        "research",
        {
            "version": 1,
            "profiles": {
                "github-copilot:github": {
                    "type": "token",
                    "provider": "github-copilot",
                    "token": "ghu_snapshot000000000000000000G7H8",
                },
                "openai-codex:ada@lab.example": {
                    "type": "oauth",
                    "provider": "openai-codex",
                    "access": "eyJhbGciOiJub25lIn0.snapshot-lab-access.U1V2",
                    "refresh": "rt_snapshot-lab-refresh-0000000000000W3X4",
                    "expires": NOW_MS - 90_000,
                    "accountId": "acct_lab_0003",
                    "email": "ada@lab.example",
                },
            },
        },
    )


async def browser_loaded(pilot: Pilot[Any], rows: int = 7) -> None:
    await wait_for_screen(pilot, "ProfilesScreen")
    await wait_for(pilot, lambda: pilot.app.screen.query_one("#profiles-table").row_count == rows, "the rows")


def select_state(pilot: Pilot[Any], state: str) -> None:
    """Put the cursor on the first row in `state`, as the arrow keys would."""
    rows = list(pilot.app.screen.rows.values())
    index = next(i for i, row in enumerate(rows) if row.state.name == state)
    pilot.app.screen.query_one("#profiles-table").move_cursor(row=index)


def test_profiles(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)
        select_state(pilot, "needs re-login")  # its details say how to fix it
        await wait_for(pilot, lambda: "fix it" in text(pilot, "#profiles-details"), "the details")

    assert shoot(snap_compare, make_app(services(), ProfilesStart()), steps)


def test_profiles_cooldown_selected(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)
        select_state(pilot, "cooldown")
        await wait_for(pilot, lambda: "cooldown   12m left" in text(pilot, "#profiles-details"), "the details")

    assert shoot(snap_compare, make_app(services(), ProfilesStart()), steps)


def test_profiles_remove_dialog(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)
        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")

    assert shoot(snap_compare, make_app(services(), ProfilesStart()), steps)


def test_profiles_empty(snap_compare: SnapCompare, services: Any) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, "ProfilesScreen")
        await wait_for(pilot, lambda: "0 shown" in text(pilot, "#profiles-title"), "the title")

    assert shoot(snap_compare, make_app(services(), ProfilesStart()), steps)


# -- what the screenshots showed ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialog", ["remove", "corrupt-store"])
async def test_dialog_action_buttons_are_readable(dialog: str, services: Any, state_dir: Any) -> None:
    """The text colours of status lines must not leak into Button variants, which share the class names."""
    if dialog == "remove":
        seed_profiles()
        app, screen, button = make_app(services(), ProfilesStart()), "ConfirmDialog", "#confirm-yes"
    else:
        store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
        store.parent.mkdir(parents=True)
        store.write_text("not json", encoding="utf-8")
        app, screen, button = make_app(services(), API_KEY), "CorruptStoreDialog", "#move-aside"
    async with app.run_test(size=SIZE) as pilot:
        if dialog == "remove":
            await browser_loaded(pilot)
            await pilot.press("x")
        await wait_for_screen(pilot, screen)
        await pilot.pause()
        style = app.screen.query_one(button, Button).rich_style
        assert style.color != style.bgcolor, f"{button} is drawn {style.color} on {style.bgcolor}"


def test_every_baseline_belongs_to_a_test() -> None:
    """A renamed or deleted test must not leave its SVG behind in snapshots/ (syrupy cannot tell from there).
    The snapshot tests are those of every module here that take `snap_compare`."""
    tests = set()
    for module in Path(__file__).parent.glob("test_*.py"):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                if "snap_compare" in (argument.arg for argument in node.args.args):
                    tests.add(node.name)
    baselines = {path.stem.split("[")[0] for path in SNAPSHOTS_DIR.glob("*.svg")}
    assert baselines == tests
