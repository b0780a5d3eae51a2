"""The profile browser on the terminals people have (issue #10 rows 10 and 12): at 80x24 (most SSH sessions),
100x32 and 60x15, what it shows must be readable, current and honest, and every key it offers must do what it
says. Each test drives the real app with keys; the store is real files under the test's state dir."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_profiles import CODEX, cell, seed_codex, select, status, table
from test_profiles import open_browser as opened
from test_profiles import store_path as store
from textual.pilot import Pilot
from textual.widgets import Input, OptionList
from wizard_helpers import FakeBrowser, FakeClock, MakeServices, text, wait_for, wait_for_screen

from coderclaw_tui.app import CoderclawApp, ProfilesStart, Services, make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.logins import save_login
from coderclaw_tui.flows.onboarding import WizardStart

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((100, 32), id="100x32")]
SETUP = "sk-ant-oat01-" + "Zy9x" * 20
KEY = "sk-proj-" + "0123456789abcdef" * 3 + "WXYZ"


def keyed_browser(make_services: MakeServices) -> CoderclawApp:
    """The browser over main's three profiles of `seed_keys`."""
    services = make_services()
    seed_keys(services)
    return make_app(services, ProfilesStart())


def seed_keys(services: Services, agent: str = "main") -> None:
    """Two OpenAI keys, one carrying an identity the id does not show, and a setup-token expiring in 30 s."""
    save_login(services.sink, agent, "openai:work", {"type": "api_key", "provider": "openai", "key": KEY,
                                                      "email": "billing-team@example.com"})
    save_login(services.sink, agent, "openai:spare", {"type": "api_key", "provider": "openai", "key": KEY[::-1]})
    expires = int(services.clock() * 1000) + 30_000
    save_login(services.sink, agent, "anthropic:sub",
               {"type": "token", "provider": "anthropic", "token": SETUP, "expires": expires})


# STATE follows the clock


@pytest.mark.parametrize("size", SIZES)
async def test_state_turns_expired_when_the_token_expires(
    make_services: MakeServices, clock: FakeClock, size: tuple[int, int]
) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        assert cell(app, "anthropic:sub", "state") == "expiring"
        await select(pilot, "anthropic:sub")
        assert not app.screen.check_action("relogin", ())
        clock.advance(31)
        await wait_for(pilot, lambda: cell(app, "anthropic:sub", "state") == "expired", "the state to tick", timeout=5)
        assert "state      expired" in text(pilot, "#profiles-details")
        assert app.screen.check_action("relogin", ()), "a dead token is offered a new login"
        assert cell(app, "openai:work", "state") == "static"


@pytest.mark.parametrize("size", SIZES)
async def test_an_oauth_token_that_expires_shows_it_will_refresh(
    make_services: MakeServices, issuer: SandboxIssuer, clock: FakeClock, size: tuple[int, int]
) -> None:
    services = make_services()
    seed_codex(services, issuer)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 1)
        assert cell(app, CODEX, "state") == "ok"
        clock.advance(3 * 3600)
        await wait_for(pilot, lambda: cell(app, CODEX, "state") == "expired ↻", "the refreshable state", timeout=5)
        assert "state      expired (refreshable)" in text(pilot, "#profiles-details")


# What the title, the columns and the status line show


@pytest.mark.parametrize("size", SIZES)
async def test_the_title_counts_the_rows_a_filter_leaves(make_services: MakeServices, size: tuple[int, int]) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        assert text(pilot, "#profiles-title") == "Profiles · 1 agent · 3 shown"
        await pilot.press("slash", *"spare")
        await wait_for(pilot, lambda: table(app).row_count == 1, "the filter")
        assert text(pilot, "#profiles-title") == "Profiles · 1 agent · 1 of 3 shown"
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == 3, "the filter cleared")
        assert text(pilot, "#profiles-title") == "Profiles · 1 agent · 3 shown"


@pytest.mark.parametrize("size", SIZES)
async def test_identity_and_secret_are_whole_and_the_table_fits(
    make_services: MakeServices, issuer: SandboxIssuer, size: tuple[int, int]
) -> None:
    """Two agents and a ChatGPT login with a long id: nothing scrolls sideways, identity and secret are whole."""
    add_agent("research")
    services = make_services()
    seed_keys(services)
    seed_codex(services, issuer)
    save_login(services.sink, "research", "xai:default", {"type": "api_key", "provider": "xai", "key": "xai-" + "k" * 40})
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 5)
        grid = table(app)
        assert grid.virtual_size.width <= grid.scrollable_content_region.width, "the table scrolls sideways"
        columns = [column.label for column in grid.columns]
        assert {"AGENT", "PROFILE", "STATE", "EXPIRES", "IDENTITY", "SECRET"} <= set(columns)
        identity = cell(app, "openai:work", "identity")
        if size[0] >= 100:
            assert identity == "billing-team@example.com"
        else:  # 80 columns with two agents: shortened in the middle, both ends still there
            assert len(identity) >= 12 and identity.startswith("bill") and identity.endswith(".com") and "…" in identity
        assert cell(app, "openai:work", "secret") == "sk-proj-…WXYZ"
        profile = cell(app, CODEX, "profile")
        assert profile == CODEX or (profile.startswith("opena") and "…" in profile and profile.endswith("xample"))
        await select(pilot, CODEX)
        assert text(pilot, "#profiles-details").startswith(CODEX), "the details show the id whole"


@pytest.mark.parametrize("size", [pytest.param((60, 15), id="60x15"), *SIZES])
async def test_rows_are_visible_on_a_small_terminal(make_services: MakeServices, size: tuple[int, int]) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        grid = table(app)
        assert grid.region.bottom <= size[1] - 1  # above the Footer
        assert grid.size.height - 1 >= 3, f"only {grid.size.height - 1} rows fit under the header at {size}"
        assert app.screen.query_one("#profiles-filter", Input).region.bottom <= grid.region.y


@pytest.mark.parametrize("size", SIZES)
async def test_a_long_status_message_is_shown_whole_and_then_clears(
    make_services: MakeServices, size: tuple[int, int]
) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        app.screen.status_seconds = 3.0  # type: ignore[attr-defined]
        await select(pilot, "openai:spare")
        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")
        await pilot.press("y")  # the message names the store's path: longer than the line
        line = app.screen.query_one("#profiles-status")
        await wait_for(pilot, lambda: status(pilot).startswith("Removed openai:spare from"), "the removal message")
        await pilot.pause()
        message = status(pilot)
        assert len(message) > line.size.width, "the message was meant to need a second line"
        assert line.size.height * line.size.width >= len(message), f"{message!r} cut to {line.size}"
        await wait_for(pilot, lambda: status(pilot) == "", "the old message to clear", timeout=15)


# Removing a profile other agents read


@pytest.mark.parametrize("size", SIZES)
async def test_removing_an_inherited_row_names_every_agent_that_loses_it(
    make_services: MakeServices, size: tuple[int, int]
) -> None:
    add_agent("work")
    add_agent("research")
    services = make_services()
    seed_keys(services)
    own = {"type": "api_key", "provider": "openai", "key": "sk-own-1234"}
    services.sink.update("research", lambda store: store.profiles.update({"openai:work": own}))
    app = make_app(services, ProfilesStart("work"))
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        await select(pilot, "openai:work", "work")
        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")
        question = str(app.screen.query_one("#confirm-question").render())
        # research has its own openai:work, so only main and work lose main's
        assert "work only reads this profile through from main." in question
        assert "Every agent using it loses it: main and work." in question
        path_lines = str(app.screen.query_one("#confirm-path").render()).split("\n")
        assert "".join(path_lines) == str(store("main"))
        assert all(line.endswith("/") for line in path_lines[:-1]), f"a path line ends inside a name: {path_lines}"
        box = app.screen.query_one("#confirm-path")
        assert max(len(line) for line in path_lines) <= box.size.width
        await pilot.press("y")
        await wait_for(pilot, lambda: "no longer have it" in status(pilot), "the removal")
        assert status(pilot).endswith("; main and work no longer have it.")
        assert "openai:work" in store("research").read_text()


def test_logout_says_which_agents_lose_a_profile_and_refuses_an_inherited_one(state_dir: Path) -> None:
    """The CLI and the browser tell the same story (the browser asks; the CLI refuses the sub-agent's view)."""
    add_agent("work")
    from coderclaw_tui.core.sink import TokenSink

    save_login(TokenSink(), "main", "openai:a", {"type": "api_key", "provider": "openai", "key": "sk-a-12345678"})

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "coderclaw_tui", *args], capture_output=True, text=True, timeout=60)

    refused = run("models", "auth", "logout", "openai:a", "--agent", "work")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "coderclaw: openai:a is only inherited by agent work; it lives in main's store, and `--agent main` removes "
        "it for every agent using it: main and work."
    )
    removed = run("models", "auth", "logout", "openai:a")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"Removed openai:a from {store('main')}; main and work no longer have it."


# Logging in again as somebody else


async def test_relogin_as_another_identity_says_a_new_profile_was_made(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser
) -> None:
    services = make_services()
    seed_codex(services, issuer, needsRelogin="invalid_grant")
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, 1)
        await pilot.press("l")
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: browser.opened, "the browser to open")
        issuer.set_identity(email="bob@home.example", account_id="acct_bob_0009")
        async with httpx.AsyncClient() as client:
            assert (await client.get(issuer.approve(browser.opened[-1]))).status_code == 200
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: pilot.app.screen.plan is not None, "the plan")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for_screen(pilot, "ProfilesScreen")
        await wait_for(pilot, lambda: "another identity" in status(pilot), "what happened to the dead profile")
        assert status(pilot) == (
            "That login is another identity, so it was saved as a new profile, openai-codex:bob@home.example; "
            f"{CODEX} still needs a login as its own identity (x removes it)."
        )
        assert app.screen.query_one("#profiles-status").has_class("-error")
        await wait_for(pilot, lambda: table(app).row_count == 2, "both rows")
        assert cell(app, CODEX, "state") == "needs re-login"


# Footer and command palette


@pytest.mark.parametrize("size", SIZES)
async def test_the_footer_shows_filter_and_quit(make_services: MakeServices, size: tuple[int, int]) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        await select(pilot, "openai:work")
        await asyncio.sleep(0.3)  # the Footer is rebuilt once the cursor rests
        await pilot.pause()
        keys = {key.key_display: key for key in app.screen.query("FooterKey")}  # type: ignore[attr-defined]
        for display in ("/", "q"):
            assert display in keys, f"{display} not in the Footer: {sorted(keys)}"
            assert keys[display].region.right <= size[0] - len(" ^p palette"), f"{display} is cut off"
        await pilot.press("slash")
        assert app.screen.query_one("#profiles-filter", Input).has_focus
        await pilot.press("escape", "q")
        await wait_for(pilot, lambda: not app.is_running, "q to quit")


def footer_keys(app: CoderclawApp) -> set[str]:
    return {key.key_display for key in app.screen.query("FooterKey")}  # type: ignore[attr-defined]


def quit_keys(app: CoderclawApp) -> list[str]:
    return [key.key_display for key in app.screen.query("FooterKey") if key.description == "Quit"]  # type: ignore[attr-defined]


async def test_the_footer_says_quit_once_and_ctrl_c_still_quits(make_services: MakeServices) -> None:
    """The browser's `q` and the app's ^c both quit: at 80 columns the Footer has no room to say so twice."""
    app = keyed_browser(make_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, 3)
        await asyncio.sleep(0.3)  # the Footer is rebuilt once the cursor rests
        await pilot.pause()
        assert quit_keys(app) == ["q"]
        await pilot.press("slash")  # the filter takes the q: the Footer says ^c instead
        await wait_for(pilot, lambda: quit_keys(app) == ["^c"], "^c in the Footer while typing a filter")
        await pilot.press("q")
        assert app.screen.query_one("#profiles-filter", Input).value == "q"
        await pilot.press("escape")
        await wait_for(pilot, lambda: quit_keys(app) == ["q"], "q back in the Footer")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not app.is_running, "^c to quit")


async def test_the_footer_follows_the_row_the_cursor_rests_on(
    make_services: MakeServices, issuer: SandboxIssuer
) -> None:
    """`l` (re-login) shows only on a dead login: it comes once the cursor rests on one and goes once it rests on
    a row it cannot act on, however many rows of other kinds the cursor crossed in between."""
    services = make_services()
    seed_keys(services)
    seed_codex(services, issuer, needsRelogin="invalid_grant")
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot, 4)
        await select(pilot, CODEX)
        await wait_for(pilot, lambda: "l" in footer_keys(app), "l in the Footer on the dead login")
        await select(pilot, "openai:work")
        await wait_for(pilot, lambda: "l" not in footer_keys(app), "l gone from the Footer on an API key")
        await pilot.press("home", "end", "home", "end", "home")  # a burst over rows of every kind
        await select(pilot, CODEX)
        await wait_for(pilot, lambda: "l" in footer_keys(app), "l back in the Footer after the burst")


async def palette_entries(pilot: Pilot[Any]) -> dict[str, str]:
    app: CoderclawApp = pilot.app  # type: ignore[assignment]
    return {command.title: command.help for command in app.get_system_commands(app.screen)}


@pytest.mark.parametrize("size", SIZES)
async def test_palette_entries_that_do_not_apply_are_hidden_or_say_why(
    make_services: MakeServices, size: tuple[int, int]
) -> None:
    app = keyed_browser(make_services)
    async with app.run_test(size=size) as pilot:
        await opened(pilot, 3)
        await select(pilot, "anthropic:sub")  # the only anthropic profile: nothing to reorder
        entries = await palette_entries(pilot)
        assert not {"Up", "Down", "First"} & set(entries)
        assert entries["Refresh"] == "anthropic:sub is a token, which never refreshes; only OAuth logins do."
        assert entries["Re-login"].startswith("anthropic:sub is expiring; logging in again is for a dead login")
        assert entries["Remove"] == "Remove this profile (asks first)"

        before = store().read_bytes()
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", "the palette")
        await pilot.press(*"Refresh")
        options = app.screen.query_one(OptionList)
        await wait_for(pilot, lambda: options.option_count > 0, "Refresh in the palette")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ProfilesScreen")
        await wait_for(pilot, lambda: "never refreshes" in status(pilot), "the reason, not silence")
        assert store().read_bytes() == before

        await select(pilot, "openai:spare")
        assert {"Up", "Down", "First"} <= set(await palette_entries(pilot))


# The agent list's counts (shown when choosing the agent to log in for)


async def test_a_long_agent_name_keeps_a_space_before_its_count(make_services: MakeServices) -> None:
    add_agent("research-bot", name="Research Bot")
    app = make_app(make_services(), WizardStart())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("research-bot (Research Bot) 0 own, 0 from main") for p in prompts), prompts



async def test_a_resize_fits_the_columns_again(make_services: MakeServices) -> None:
    """Wide, the type has a column; narrowed to 80 columns it goes (the details name it), and back again."""
    app = keyed_browser(make_services)
    async with app.run_test(size=(130, 30)) as pilot:
        await opened(pilot, 3)
        assert "TYPE" in [column.label for column in table(app).columns]
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "TYPE" not in [c.label for c in table(app).columns], "the type column to go")
        assert table(app).virtual_size.width <= table(app).scrollable_content_region.width
        await pilot.resize_terminal(130, 30)
        await wait_for(pilot, lambda: "TYPE" in [c.label for c in table(app).columns], "the type column back")
