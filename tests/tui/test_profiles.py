"""The profile browser (`coderclaw profiles`) driven by keys, with the store on disk checked after each one.

Every key of the screen, a second process changing the store while it is open, a write refused by a held
lock, a corrupt store, and the live countdown. What the table shows is compared with what the store holds:
a browser that reorders on screen but writes another order (or to another agent) is how a script ends up
with the wrong token.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.binding import Binding
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList
from wizard_helpers import FakeBrowser, FakeClock, MakeServices, read_json, text, wait_for, wait_for_screen

from coderclaw_tui import paths
from coderclaw_tui.app import CoderclawApp, ProfilesStart, Services, make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core import credentials, locks
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.logins import save_login
from coderclaw_tui.core.store import AuthStore
from coderclaw_tui.flows.profiles import ProfileRow
from coderclaw_tui.providers.token_response import parse_token_response
from coderclaw_tui.screens.confirm_dialog import ConfirmDialog
from coderclaw_tui.screens.profiles import ProfilesScreen
from coderclaw_tui.widgets.profile_table import ProfileTable

SIZE = (130, 36)
CODEX = "openai-codex:ada@work.example"
KEYS = {name: f"sk-proj-{name}-" + "0123456789abcdef" * 2 + name.upper() * 4 for name in ("a", "b", "c", "w")}
ANTHROPIC_TOKEN = "sk-ant-oat01-" + "Zy9x" * 20


# Setup


def store_path(agent: str = "main") -> Path:
    return paths.auth_store_path(paths.default_agent_dir(agent))


def stored(agent: str = "main") -> dict[str, Any]:
    return read_json(store_path(agent))


def stored_order(agent: str = "main", provider: str = "openai") -> list[str] | None:
    order: list[str] | None = stored(agent).get("order", {}).get(provider)
    return order


def stored_order_is(expected: list[str]) -> Callable[[], bool]:
    return lambda: stored_order() == expected


def api_key(name: str, provider: str = "openai") -> dict[str, Any]:
    return {"type": "api_key", "provider": provider, "key": KEYS.get(name, f"{provider}-key-{name}-0000000000")}


def seed_openai(services: Services) -> None:
    """main: three OpenAI keys (a, b, c, no explicit order yet) and an Anthropic token after them."""
    for name in ("a", "b", "c"):
        save_login(services.sink, "main", f"openai:{name}", api_key(name))
    save_login(
        services.sink, "main", "anthropic:sub", {"type": "token", "provider": "anthropic", "token": ANTHROPIC_TOKEN}
    )


def seed_codex(services: Services, issuer: SandboxIssuer, **extra: Any) -> dict[str, Any]:
    """A real, refreshable ChatGPT login minted by the sandbox issuer (the tokens a login would store)."""
    answer = issuer.mint_tokens(email="ada@work.example", account_id="acct_work_0001")
    fields = parse_token_response(answer, now_ms=services.sink.now_ms(), openai_jwt=True)
    record = {"type": "oauth", "provider": "openai-codex", **fields, **extra}
    save_login(services.sink, "main", CODEX, record)
    if extra:  # a login clears markers such as needsRelogin: put them back as a refresh would have left them
        services.sink.update("main", lambda store: store.profiles[CODEX].update(extra))
    return record


# Reading the screen


def table(app: CoderclawApp) -> ProfileTable:
    return app.screen.query_one("#profiles-table", ProfileTable)


def shown(app: CoderclawApp) -> list[tuple[str, str]]:
    """(agent, profile id) of every row, top to bottom."""
    return [tuple(key.split("\0", 1)) for key in table(app).keys]  # type: ignore[misc]


def shown_ids(app: CoderclawApp, provider: str | None = None, agent: str = "main") -> list[str]:
    """The profile ids of `agent`'s rows (of one provider), top to bottom; the provider is the record's."""
    rows = app.screen.rows  # type: ignore[attr-defined]
    return [
        profile
        for (owner, profile) in shown(app)
        if owner == agent and (provider is None or rows[f"{owner}\0{profile}"].entry.provider == provider)
    ]


def cell(app: CoderclawApp, profile: str, column: str, agent: str = "main") -> str:
    return str(table(app).get_cell(f"{agent}\0{profile}", column))


def selected(app: CoderclawApp) -> tuple[str, str] | None:
    key = table(app).cursor_key
    return None if key is None else tuple(key.split("\0", 1))  # type: ignore[return-value]


def dialog_says(app: CoderclawApp) -> tuple[str, str]:
    """The remove dialog's question, and the store path it names (folded over lines at `/`, joined again)."""
    question = str(app.screen.query_one("#confirm-question").render())
    return question, str(app.screen.query_one("#confirm-path").render()).replace("\n", "")


def status(pilot: Pilot[Any]) -> str:
    return text(pilot, "#profiles-status")


def status_is_error(app: CoderclawApp) -> bool:
    return app.screen.query_one("#profiles-status").has_class("-error")


async def open_browser(pilot: Pilot[Any], rows: int) -> None:
    await wait_for_screen(pilot, "ProfilesScreen")
    await wait_for(pilot, lambda: table(pilot.app).row_count == rows, f"{rows} rows in the table")  # type: ignore[arg-type]
    await wait_for(pilot, lambda: rows_on_screen_painted(pilot.app), "the rows painted")  # type: ignore[arg-type]


def rows_on_screen_painted(app: CoderclawApp) -> bool:
    """What `cell` reads is what was painted: every row on screen has been."""
    top, bottom = table(app).visible_range()
    return all(key in table(app).painted for key in table(app).keys[top:bottom])


async def wait_painted(pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Wait for `predicate` on the rows and for those rows to be painted: a row is in the table a frame before
    `cell` can read it."""
    app: CoderclawApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: predicate() and rows_on_screen_painted(app), what, timeout)


async def select(pilot: Pilot[Any], profile: str, agent: str = "main") -> None:
    """Walk the cursor with the arrow keys, as a user would, to the row of `profile`."""
    app: CoderclawApp = pilot.app  # type: ignore[assignment]
    steps = shown(app).index((agent, profile)) - shown(app).index(selected(app))  # type: ignore[arg-type]
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    assert selected(app) == (agent, profile)


async def settled(pilot: Pilot[Any], timeout: float = 10.0) -> None:
    """Let the screen's workers (action, then reload) finish and their results reach the UI.

    Not while a dialog is open: the worker that opened it waits for the answer."""
    for _ in range(3):
        await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout)
        await pilot.pause()


# Reordering


async def test_move_up_down_and_first_write_the_order_the_table_shows(
    make_services: MakeServices, state_dir: Path
) -> None:
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        assert shown_ids(app, "openai") == ["openai:a", "openai:b", "openai:c"]
        assert "order" not in stored()
        await select(pilot, "openai:c")

        steps = [
            ("shift+up", ["openai:a", "openai:c", "openai:b"]),
            ("K", ["openai:c", "openai:a", "openai:b"]),
            ("J", ["openai:a", "openai:c", "openai:b"]),
            ("shift+down", ["openai:a", "openai:b", "openai:c"]),
        ]
        for key, expected in steps:
            await pilot.press(key)
            await wait_for(pilot, stored_order_is(expected), f"{key} on disk")
            await wait_painted(pilot, lambda: shown_ids(app, "openai") == stored_order(), f"{key} in the table")
            await settled(pilot)
            assert stored()["order"]["openai"] == shown_ids(app, "openai") == expected, key
            assert selected(app) == ("main", "openai:c"), f"the cursor left the moved row after {key}"
            assert status(pilot) == f"openai order for main: {', '.join(expected)}" and not status_is_error(app)
            assert cell(app, "openai:c", "profile") == "openai:c"

        await pilot.press("f")
        expected = ["openai:c", "openai:a", "openai:b"]
        await wait_for(pilot, lambda: shown_ids(app, "openai") == expected, "f in the table")
        await settled(pilot)
        assert stored()["order"]["openai"] == shown_ids(app, "openai") == expected
        assert selected(app) == ("main", "openai:c")
        assert "anthropic" not in stored()["order"]

        # At the top already: up says so and writes nothing.
        before = store_path().read_bytes()
        await pilot.press("shift+up")
        await settled(pilot)
        assert status(pilot) == "openai:c is already first."
        assert store_path().read_bytes() == before

        # The details pane follows the order.
        assert "order      1 of 3" in text(pilot, "#profiles-details")


async def test_move_in_a_sub_agent_view_writes_that_agents_order_only(make_services: MakeServices) -> None:
    add_agent("work")
    services = make_services()
    seed_openai(services)
    save_login(services.sink, "work", "openai:w", api_key("w"))
    main_before = store_path("main").read_bytes()
    app = make_app(services, ProfilesStart("work"))
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        openai = shown_ids(app, "openai", agent="work")
        assert openai == ["openai:a", "openai:b", "openai:c", "openai:w"]
        await select(pilot, "openai:w", agent="work")
        await pilot.press("f")
        expected = ["openai:w", "openai:a", "openai:b", "openai:c"]
        await wait_for(pilot, lambda: shown_ids(app, "openai", agent="work") == expected, "work's new order")
        await settled(pilot)
        assert stored("work")["order"]["openai"] == expected
        assert store_path("main").read_bytes() == main_before
        assert selected(app) == ("work", "openai:w")


# Refresh


async def test_refresh_of_an_oauth_row_stores_and_shows_the_new_token(
    make_services: MakeServices, issuer: SandboxIssuer
) -> None:
    services = make_services()
    seed_openai(services)
    old = seed_codex(services, issuer)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        assert cell(app, CODEX, "secret") == credentials.mask_secret(old["access"])
        assert cell(app, CODEX, "type") == "oauth"
        await select(pilot, CODEX)
        assert app.screen.check_action("refresh_profile", ()) is True

        await pilot.press("r")
        await wait_for(pilot, lambda: stored()["profiles"][CODEX]["access"] != old["access"], "the new token on disk")
        new = stored()["profiles"][CODEX]
        await wait_for(
            pilot, lambda: cell(app, CODEX, "secret") == credentials.mask_secret(new["access"]), "the new masked secret"
        )
        await settled(pilot)
        assert new["refresh"] != old["refresh"]  # rotated, and the new one stored
        assert cell(app, CODEX, "secret") != credentials.mask_secret(old["access"])
        assert new["access"] not in text(pilot, "#profiles-details")
        assert status(pilot).startswith(f"Refreshed {CODEX}; the new token expires in ")
        assert not status_is_error(app)
        assert issuer.refresh_count == 1
        assert selected(app) == ("main", CODEX)
        # The other profiles are untouched.
        assert stored()["profiles"]["openai:a"] == api_key("a")

        # The issuer now says the refresh token is dead: shown as an error, the row marked, `l` offered.
        assert not app.screen.check_action("relogin", ())
        issuer.fail_next_refresh("invalid_grant")
        await pilot.press("r")
        await wait_for(pilot, lambda: cell(app, CODEX, "state") == "needs re-login", "the dead login marked")
        await settled(pilot)
        assert status(pilot).startswith(f"{CODEX} needs a new login (invalid_grant)") and status_is_error(app)
        assert stored()["profiles"][CODEX]["needsRelogin"] == "invalid_grant"
        assert stored()["profiles"][CODEX]["access"] == new["access"]  # nothing lost
        assert app.screen.check_action("relogin", ()) is True


async def test_refresh_is_not_offered_on_an_api_key_row(make_services: MakeServices, issuer: SandboxIssuer) -> None:
    services = make_services()
    seed_openai(services)
    seed_codex(services, issuer)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        await select(pilot, CODEX)
        assert app.screen.check_action("refresh_profile", ()) is True
        await select(pilot, "openai:b")
        assert not app.screen.check_action("refresh_profile", ())
        footer = {b.binding.action: b.enabled for b in app.screen.active_bindings.values()}
        assert not footer.get("refresh_profile", False)

        before = store_path().read_bytes()
        await pilot.press("r")
        await settled(pilot)
        assert store_path().read_bytes() == before
        assert status(pilot) == ""
        assert issuer.refresh_count == 0


# Remove


async def test_remove_asks_first_and_only_yes_removes(make_services: MakeServices) -> None:
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        await select(pilot, "openai:b")
        before = store_path().read_bytes()
        assert "openai:b" in read_json(paths.config_path())["auth"]["profiles"]

        for key, answer in (("x", "n"), ("delete", "escape"), ("x", "#confirm-no"), ("x", "enter")):
            await pilot.press(key)
            await wait_for_screen(pilot, "ConfirmDialog")
            assert dialog_says(app) == ("Remove openai:b from main's store?", str(store_path()))
            shown_keys = {k for k, active in app.screen.active_bindings.items() if active.binding.show}
            assert "enter" in shown_keys, "the dialog's Footer says what Enter does (answers with Cancel, focused)"
            if answer.startswith("#"):
                await pilot.click(answer)
            else:
                await pilot.press(answer)
            await wait_for_screen(pilot, "ProfilesScreen")
            await settled(pilot)
            assert store_path().read_bytes() == before, f"{key} then {answer} changed the store"
            assert ("main", "openai:b") in shown(app)
            assert status(pilot) == ""

        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")
        await pilot.press("y")
        await wait_for_screen(pilot, "ProfilesScreen")
        await wait_for(pilot, lambda: ("main", "openai:b") not in shown(app), "the removed row to go")
        await settled(pilot)
        assert sorted(stored()["profiles"]) == ["anthropic:sub", "openai:a", "openai:c"]
        config_profiles = read_json(paths.config_path())["auth"]["profiles"]
        assert "openai:b" not in config_profiles and "openai:a" in config_profiles
        assert shown_ids(app) == ["anthropic:sub", "openai:a", "openai:c"]
        assert status(pilot) == f"Removed openai:b from {store_path()}." and not status_is_error(app)

        await select(pilot, "openai:a")
        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: ("main", "openai:a") not in shown(app), "openai:a gone from the table")
        assert sorted(stored()["profiles"]) == ["anthropic:sub", "openai:c"]


async def test_removing_an_inherited_row_does_what_the_dialog_says(make_services: MakeServices) -> None:
    """In a sub-agent's view, main's profiles show (marked inherited). If `x` is offered on one, the dialog names
    main's store, so "yes" must remove it from there; if it cannot, `x` must not ask at all."""
    add_agent("work")
    services = make_services()
    seed_openai(services)
    save_login(services.sink, "work", "openai:w", api_key("w"))
    app = make_app(services, ProfilesStart("work"))
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        await select(pilot, "openai:a", "work")
        before = store_path("main").read_bytes()
        offered = bool(app.screen.check_action("remove", ()))
        await pilot.press("x")
        await pilot.pause()
        if not offered:
            await settled(pilot)
            assert type(app.screen).__name__ == "ProfilesScreen", "x asked about a row it says it cannot remove"
            assert store_path("main").read_bytes() == before
            return
        await wait_for_screen(pilot, "ConfirmDialog")
        question, path = dialog_says(app)
        assert question == (
            "work only reads this profile through from main. Remove openai:a from main's store? "
            "Every agent using it loses it: main and work."
        )
        assert path == str(store_path("main"))
        await pilot.press("y")
        await wait_for_screen(pilot, "ProfilesScreen")
        await settled(pilot)
        assert not status_is_error(app), f"asked to remove from main's store, then refused: {status(pilot)!r}"
        assert "openai:a" not in stored("main")["profiles"]
        assert ("work", "openai:a") not in shown(app)


# Filter and agents


async def test_typing_a_filter_narrows_the_rows_and_escape_clears_it(make_services: MakeServices) -> None:
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        await pilot.press("slash")
        box = app.screen.query_one("#profiles-filter", Input)
        assert box.has_focus
        await pilot.press(*"anthro")
        await wait_for(pilot, lambda: shown(app) == [("main", "anthropic:sub")], "only the Anthropic row")
        assert box.value == "anthro"
        await pilot.press("ctrl+u", *":b")
        await wait_for(pilot, lambda: shown(app) == [("main", "openai:b")], "only openai:b")
        # Words are looked for each on its own, in any order and any column: the state, then the provider.
        await pilot.press("ctrl+u", *"static  anthropic")
        await wait_for(pilot, lambda: shown(app) == [("main", "anthropic:sub")], "only the static Anthropic row")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == 4, "all rows back")
        assert box.value == ""
        assert table(app).has_focus

        # In the filter box, q and the action keys are text; nothing matches "qx", so no rows, and the details
        # say so (not that there are no profiles) and how to get them back.
        await pilot.press("slash", "q", "x")
        await wait_for(pilot, lambda: table(app).row_count == 0, "no rows for qx")
        assert box.value == "qx" and app.is_running
        assert text(pilot, "#profiles-details") == "No profile matches “qx”. Escape clears the filter."
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == 4, "all rows back again")
        assert type(app.screen).__name__ == "ProfilesScreen"
        assert "order" not in stored() and len(stored()["profiles"]) == 4

        # Outside the box, q quits.
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")
    assert app.return_value is None


async def test_s_cycles_the_agent_filter_and_a_sub_agent_shows_mains_profiles_as_inherited(
    make_services: MakeServices,
) -> None:
    add_agent("work")
    add_agent("research")
    services = make_services()
    seed_openai(services)
    save_login(services.sink, "work", "openai:w", api_key("w"))
    save_login(services.sink, "research", "xai:default", api_key("x", "xai"))
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 6)
        assert text(pilot, "#profiles-title") == "Profiles · 3 agents · 6 shown"
        assert {agent for agent, _ in shown(app)} == {"main", "work", "research"}
        assert not any("↑" in cell(app, p, "profile", a) for a, p in shown(app))

        await pilot.press("s")
        await wait_for(pilot, lambda: text(pilot, "#profiles-title").startswith("Profiles · agent main"), "main only")
        await wait_painted(pilot, lambda: table(app).row_count == 4, "main's 4 rows")
        assert {agent for agent, _ in shown(app)} == {"main"}

        await pilot.press("s")
        await wait_painted(pilot, lambda: text(pilot, "#profiles-title") == "Profiles · agent work · 5 shown", "work")
        assert {agent for agent, _ in shown(app)} == {"work"}
        assert cell(app, "openai:w", "profile", "work") == "openai:w"
        for inherited in ("openai:a", "openai:b", "openai:c", "anthropic:sub"):
            assert cell(app, inherited, "profile", "work") == f"{inherited}  ↑main"
        await select(pilot, "openai:a", "work")
        details = text(pilot, "#profiles-details")
        assert f"store      {store_path('main')}\n" in details and "owner main, read through by work" in details

        await pilot.press("s")
        await wait_for(
            pilot, lambda: text(pilot, "#profiles-title").startswith("Profiles · agent research"), "research"
        )
        await wait_painted(pilot, lambda: ("research", "xai:default") in shown(app), "research's own row")
        assert {agent for agent, _ in shown(app)} == {"research"}
        assert cell(app, "openai:b", "profile", "research") == "openai:b  ↑main"

        await pilot.press("s")
        await wait_for(pilot, lambda: text(pilot, "#profiles-title") == "Profiles · 3 agents · 6 shown", "all again")
        assert len({agent for agent, _ in shown(app)}) == 3


# The wizard over the browser


async def finish_codex_login(pilot: Pilot[Any], issuer: SandboxIssuer, browser: FakeBrowser) -> None:
    """On the PKCE step: the user approves in the browser as the same ChatGPT account, then saves."""
    await wait_for(pilot, lambda: browser.opened, "the browser to open")
    issuer.set_identity(email="ada@work.example", account_id="acct_work_0001")
    redirect = issuer.approve(browser.opened[-1])
    async with httpx.AsyncClient() as client:
        assert (await client.get(redirect)).status_code == 200
    await wait_for_screen(pilot, "ConfirmScreen")
    await wait_for(pilot, lambda: pilot.app.screen.plan is not None, "the confirm plan")  # type: ignore[attr-defined]
    await pilot.press("enter")
    await wait_for_screen(pilot, "ProfilesScreen")


async def test_l_on_a_dead_login_opens_that_providers_login_step_and_escape_returns(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser
) -> None:
    services = make_services()
    seed_openai(services)
    dead = seed_codex(services, issuer, needsRelogin="invalid_grant")
    before = store_path().read_bytes()
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        assert cell(app, CODEX, "state") == "needs re-login"
        await select(pilot, "openai:a")
        assert not app.screen.check_action("relogin", ())
        await pilot.press("l")
        await settled(pilot)
        assert type(app.screen).__name__ == "ProfilesScreen"

        await select(pilot, CODEX)
        assert "fix it     press l" in text(pilot, "#profiles-details")
        await pilot.press("l")
        await wait_for_screen(pilot, "PkceLoginScreen")
        assert app.wizard.agent is not None and app.wizard.agent.agent_id == "main"
        assert app.wizard.method is not None and app.wizard.method.provider.id == "openai-codex"
        for _ in range(3):
            if type(app.screen).__name__ == "ProfilesScreen":
                break
            await pilot.press("escape")
            await pilot.pause()
        await wait_for_screen(pilot, "ProfilesScreen")
        await settled(pilot)
        assert store_path().read_bytes() == before
        assert selected(app) == ("main", CODEX)

        # Again, and this time the login is finished: the row comes back alive, in place.
        await pilot.press("l")
        await wait_for_screen(pilot, "PkceLoginScreen")
        await finish_codex_login(pilot, issuer, browser)
        await wait_for(pilot, lambda: cell(app, CODEX, "state") == "ok", "the re-logged-in row", timeout=5)
        record = stored()["profiles"][CODEX]
        assert "needsRelogin" not in record and record["access"] != dead["access"]
        assert cell(app, CODEX, "secret") == credentials.mask_secret(record["access"])
        assert selected(app) == ("main", CODEX)
        assert sorted(stored()["profiles"]) == sorted(["openai:a", "openai:b", "openai:c", "anthropic:sub", CODEX])


async def test_l_on_an_inherited_dead_login_fixes_mains_profile(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser
) -> None:
    """A sub-agent's view shows main's dead ChatGPT login (inherited). Logging in again from there must replace
    main's dead record, as the details pane's own advice (`models auth login`, i.e. agent main) would; a copy in
    the sub-agent's store leaves main and every other agent on the dead login."""
    add_agent("work")
    services = make_services()
    seed_codex(services, issuer, needsRelogin="invalid_grant")
    app = make_app(services, ProfilesStart("work"))
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 1)
        assert cell(app, CODEX, "profile", "work") == f"{CODEX}  ↑main"
        assert "run: coderclaw models auth login --provider openai-codex" in text(pilot, "#profiles-details")
        await pilot.press("l")
        await wait_for_screen(pilot, "PkceLoginScreen")
        await finish_codex_login(pilot, issuer, browser)
        await settled(pilot)
        main_fields = sorted(stored("main")["profiles"][CODEX])  # field names only: no token in the report
        assert "needsRelogin" not in main_fields, "the re-login left main's record dead"
        work_ids = sorted(stored("work")["profiles"]) if store_path("work").exists() else []
        assert CODEX not in work_ids, "the re-login was saved as a copy in work's store"


async def test_a_opens_the_wizards_first_step_and_escape_returns(make_services: MakeServices) -> None:
    services = make_services()
    seed_openai(services)
    before = store_path().read_bytes()
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        await pilot.press("a")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        assert app.wizard.agent is not None and app.wizard.agent.agent_id == "main"
        await pilot.press("escape")
        await wait_for_screen(pilot, "ProfilesScreen")
        await settled(pilot)
        assert table(app).row_count == 4
        assert store_path().read_bytes() == before
        await pilot.press("a")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ProfilesScreen")


# Command palette


async def test_arrows_typed_in_one_burst_after_a_filter_move_the_cursor(make_services: MakeServices) -> None:
    """`/openai⏎↓↓` typed faster than the app handles it: the arrows reach the filter field before the Enter has
    moved the focus to the table, and move the table's cursor all the same."""
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        for key in ["slash", *"openai", "enter", "down", "down"]:  # queued at once, as a terminal delivers a burst
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_for(pilot, lambda: table(app).has_focus, "the table focused")
        await pilot.pause()
        assert [profile for _, profile in shown(app)] == ["openai:a", "openai:b", "openai:c"]
        assert table(app).cursor_row == 2, "both arrows moved the cursor"


async def test_the_command_palette_lists_and_runs_the_browsers_commands(make_services: MakeServices) -> None:
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        await select(pilot, "openai:c")  # one of three keys: every command has something to act on
        titles = {command.title for command in app.get_system_commands(app.screen)}
        keys = {
            b.description
            for b in ProfilesScreen.BINDINGS
            if isinstance(b, Binding) and b.show and b.action not in ("app.quit", "give_empty_stores")
        }  # every key, also those the Footer leaves out for room (an own store is offered only to agents without)
        assert {"Refresh", "Remove", "First", "Add", "Filter"} <= keys <= titles

        before = store_path().read_bytes()
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the command palette")
        await pilot.press(*"Remove")
        options = app.screen.query_one(OptionList)
        await wait_for(
            pilot,
            lambda: any("Remove" in str(options.get_option_at_index(i).prompt) for i in range(options.option_count)),
            "Remove offered in the palette",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the remove dialog from the palette")
        await pilot.press("n")
        await wait_for_screen(pilot, "ProfilesScreen")
        await settled(pilot)
        assert store_path().read_bytes() == before


# Another process writes while the browser is open


async def run_cli(*args: str, stdin: str = "") -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "coderclaw_tui", *args,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 30)
    assert proc.returncode == 0, (args, out, err)


async def test_the_table_follows_other_processes_and_keeps_the_selection(make_services: MakeServices) -> None:
    services = make_services()
    seed_openai(services)
    save_login(services.sink, "main", "xai:default", api_key("x", "xai"))
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        await select(pilot, "xai:default")
        index_before = table(app).cursor_row

        token = "sk-proj-" + "addedTOKEN0123456789" * 2
        await run_cli(
            "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:added", stdin=token
        )
        assert "openai:added" in stored()["profiles"]
        await wait_painted(pilot, lambda: ("main", "openai:added") in shown(app), "the added profile")
        assert cell(app, "openai:added", "secret") == credentials.mask_secret(token)
        assert shown_ids(app, "openai") == ["openai:a", "openai:b", "openai:c", "openai:added"]
        assert selected(app) == ("main", "xai:default")
        assert table(app).cursor_row == index_before + 1  # it moved down a line with its row

        await run_cli("models", "auth", "logout", "openai:a")
        assert "openai:a" not in stored()["profiles"]
        await wait_for(pilot, lambda: ("main", "openai:a") not in shown(app), "the logged-out profile to go", timeout=5)
        assert selected(app) == ("main", "xai:default")
        assert sorted(p for _, p in shown(app)) == sorted(stored()["profiles"])

        # The selected profile itself is removed: the cursor lands on a row that exists.
        await run_cli("models", "auth", "logout", "xai:default")
        await wait_for(pilot, lambda: ("main", "xai:default") not in shown(app), "xai gone", timeout=5)
        assert selected(app) in shown(app)


async def test_an_agent_another_program_configures_with_its_own_dir_shows_its_store(
    make_services: MakeServices, state_dir: Path, tmp_path: Path
) -> None:
    """CoderClaw (or an editor) adds an agent whose `agentDir` is elsewhere while the browser is open: its profiles
    are read from that dir, not from where an unlisted agent's would be."""
    services = make_services()
    seed_openai(services)
    add_agent("work")  # the browser reads the config from the start
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        lab_dir = tmp_path / "elsewhere" / "lab-agent"
        lab_dir.mkdir(parents=True)
        (lab_dir / "auth-profiles.json").write_text(
            json.dumps({"version": 1, "profiles": {"openai:lab": api_key("lab")}}, indent=2) + "\n"
        )
        (lab_dir / "auth-profiles.json").chmod(0o600)
        config = read_json(state_dir / "coderclaw.json")
        config["agents"]["list"].append({"id": "lab", "agentDir": str(lab_dir)})
        (state_dir / "coderclaw.json").write_text(json.dumps(config, indent=2) + "\n")
        await wait_for(pilot, lambda: ("lab", "openai:lab") in shown(app), "the lab agent's own profile", timeout=5)
        assert app.screen.rows["lab\0openai:lab"].entry.store_path == lab_dir / "auth-profiles.json"  # type: ignore[attr-defined]


# Failures on screen


@pytest.fixture
def lock_holder() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose pid holds CoderClaw's lock (a CoderClaw gateway mid-write, say)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def test_a_write_under_a_held_lock_fails_visibly_and_changes_nothing(
    make_services: MakeServices, lock_holder: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each of the lock's retries waits `backoff_ms` (100 ms doubling to 10 s: ~45-90 s in all); 1 ms here.
    # (Patching `locks.RETRIES` would not help: `store_lock(retries=RETRIES)` binds it at import time.)
    monkeypatch.setattr(locks, "backoff_ms", lambda attempt, rand=None: 1.0)
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 4)
        await select(pilot, "openai:c")
        lock = locks.lock_path_for(store_path())
        created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        lock.write_text(json.dumps({"pid": lock_holder.pid, "createdAt": created}), encoding="utf-8")
        before = store_path().read_bytes()

        await pilot.press("shift+up")
        await wait_for(pilot, lambda: "lock" in status(pilot), "the lock error", timeout=10)
        await settled(pilot)
        assert status(pilot).startswith(f"file lock timeout for {lock}: held by pid {lock_holder.pid}")
        assert status_is_error(app)
        assert store_path().read_bytes() == before
        assert shown_ids(app, "openai") == ["openai:a", "openai:b", "openai:c"]
        assert selected(app) == ("main", "openai:c")
        assert lock.exists()  # a live holder's lock is not broken

        # The holder goes away: the same key now works, and the error is cleared.
        lock_holder.kill()
        lock_holder.wait()
        await pilot.press("shift+up")
        expected = ["openai:a", "openai:c", "openai:b"]
        await wait_for(pilot, lambda: shown_ids(app, "openai") == expected, "the move after the lock is gone")
        await settled(pilot)
        assert stored()["order"]["openai"] == expected
        assert not status_is_error(app)


async def test_a_corrupt_store_is_named_while_other_agents_rows_still_show(
    make_services: MakeServices, state_dir: Path
) -> None:
    add_agent("work")
    add_agent("research")
    services = make_services()
    seed_openai(services)
    save_login(services.sink, "research", "xai:default", api_key("x", "xai"))
    broken = store_path("work")
    broken.write_text('{"version": 1, "profiles": {', encoding="utf-8")
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 5)
        problems = app.screen.query_one("#profiles-problems")
        assert problems.display
        assert str(broken) in text(pilot, "#profiles-problems")
        assert text(pilot, "#profiles-problems").count("\n") == 0  # named once, not once per agent that reads it
        assert {agent for agent, _ in shown(app)} == {"main", "research"}
        assert broken.read_text(encoding="utf-8") == '{"version": 1, "profiles": {'

        # Once fixed on disk (by another program), the problem goes and work's rows appear.
        broken.unlink()
        save_login(services.sink, "work", "openai:w", api_key("w"))
        await wait_for(pilot, lambda: ("work", "openai:w") in shown(app), "work's row after the fix", timeout=5)
        await wait_for(pilot, lambda: not problems.display, "the problem line to go")


# Countdown


def seed_token_among_keys(services: Services, clock: FakeClock, keys: int) -> int:
    """main's store: anthropic:soon, a token expiring in 4:59, then `keys` static API keys (openai:k00...). Returns
    the token's expiry (ms)."""
    expires = int(clock() * 1000) + 299_500
    soon = {"type": "token", "provider": "anthropic", "token": ANTHROPIC_TOKEN, "expires": expires}

    def put(store: AuthStore) -> None:
        store.profiles["anthropic:soon"] = soon
        for n in range(keys):
            store.profiles[f"openai:k{n:02d}"] = api_key(f"k{n:02d}")

    services.sink.update("main", put)
    return expires


async def test_the_expires_cell_counts_down_with_the_clock(make_services: MakeServices, clock: FakeClock) -> None:
    """Two rows expiring in 4:59 (the first and, below forty keys, the last) and a static key."""
    services = make_services()
    expires = seed_token_among_keys(services, clock, 40)
    late = {"type": "token", "provider": "xai", "token": "xai-" + "t0k3n" * 8, "expires": expires}

    def put(store: AuthStore) -> None:
        store.profiles["xai:late"] = late

    services.sink.update("main", put)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 42)
        assert cell(app, "anthropic:soon", "expires") == "in 4:59"
        assert cell(app, "anthropic:soon", "state") == "expiring"
        assert cell(app, "openai:k00", "expires") == "-"
        clock.advance(10)
        await wait_for(pilot, lambda: cell(app, "anthropic:soon", "expires") == "in 4:49", "the tick", timeout=3)
        assert cell(app, "openai:k00", "expires") == "-"
        assert selected(app) == ("main", "anthropic:soon")
        assert "expires in 4:49" in text(pilot, "#profiles-details")

        # Scrolled to the bottom row, it ticks there too.
        await pilot.press("ctrl+end")
        assert selected(app) == ("main", "xai:late")
        clock.advance(10)
        await wait_for(
            pilot, lambda: cell(app, "xai:late", "expires") == "in 4:39", "the tick below the fold", timeout=3
        )
        assert "expires in 4:39" in text(pilot, "#profiles-details")


async def test_a_tick_looks_again_only_at_the_rows_whose_texts_may_read_otherwise(
    make_services: MakeServices, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a row's expiry and state cells were found as painted, a tick works them out again only when they may
    have changed: each second for a countdown under an hour, at the next minute or hour for longer ones, never for
    a key that does not expire."""
    services = make_services()
    seed_token_among_keys(services, clock, 10)
    days = {"type": "token", "provider": "anthropic", "token": ANTHROPIC_TOKEN, "expires": int(clock() * 1000) + ((3 * 24 + 5) * 60 + 2) * 60_000}
    services.sink.update("main", lambda store: store.profiles.__setitem__("anthropic:days", days))
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 12)
        assert cell(app, "anthropic:days", "expires") == "in 3d 5h"
        screen = app.screen
        assert isinstance(screen, ProfilesScreen)
        screen.tick_countdowns()  # no await from here on: the app's own tick cannot run in between
        looked: list[str] = []
        restated = ProfileRow.restated

        def counted(row: ProfileRow, now_ms: int) -> ProfileRow:
            looked.append(row.entry.profile_id)
            return restated(row, now_ms)

        monkeypatch.setattr(ProfileRow, "restated", counted)
        clock.advance(1)
        screen.tick_countdowns()
        assert looked == ["anthropic:soon"]
        looked.clear()
        clock.advance(2 * 60)  # 3 days, 5 hours and 2 minutes were left: the hour shown steps
        screen.tick_countdowns()
        assert sorted(looked) == ["anthropic:days", "anthropic:soon"]
        monkeypatch.undo()
        await wait_for(pilot, lambda: cell(app, "anthropic:days", "expires") == "in 3d 4h", "the days countdown's step")


async def test_a_tick_paints_again_only_the_rows_whose_countdown_changed(
    make_services: MakeServices, clock: FakeClock
) -> None:
    """Every frame, Textual asks the table for every line on screen; the table hands back the lines it kept, and
    asks the screen for the cells of only the rows a tick changed (one token among static keys here)."""
    services = make_services()
    seed_token_among_keys(services, clock, 10)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await open_browser(pilot, 11)
        await pilot.press("down")  # the cursor off the ticking row: its line off the cursor is the one kept
        await pilot.pause()
        grid = app.screen.query_one("#profiles-table", ProfileTable)
        asked: list[str] = []
        cells_of = grid.cells_of

        def recorded(key: str) -> Any:
            asked.append(key)
            return cells_of(key)

        grid.cells_of = recorded
        clock.advance(10)
        await wait_for(pilot, lambda: cell(app, "anthropic:soon", "expires") == "in 4:49", "the tick", timeout=3)
        await pilot.pause()
        assert asked == ["main\0anthropic:soon"], "the rows whose cells did not change kept their lines"
