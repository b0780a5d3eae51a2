"""The profile browser with 2000 profiles: it paints only what is on screen, and what it must keep doing anyway.

The cursor keys reach every row, the countdown ticks on every row that is on screen (wherever the table is
scrolled to), a token that expires turns `expired` on the tick, the filter narrows and widens, a click selects,
and a change on disk shows while the selection stays put.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from wizard_helpers import FakeClock, MakeServices, text, wait_for, wait_for_screen

from coderclaw_tui.app import CoderclawApp, ProfilesStart, Services, make_app
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.store import AuthStore
from coderclaw_tui.screens.profiles import live_expiry
from coderclaw_tui.widgets.profile_table import ProfileTable
from coderclaw_tui.widgets.rule_line import RuleLine
from coderclaw_tui.widgets.text_lines import TextLines

SIZE = (130, 36)
ROWS = 2000


def seed_many(services: Services) -> None:
    """2000 setup-tokens, each expiring a second later than the one before it (the first in 10 minutes), and
    `xai:last` at the end, expiring in 8 s."""
    now = int(services.clock() * 1000)

    def put(store: AuthStore) -> None:
        for n in range(ROWS - 1):
            store.profiles[f"anthropic:t{n:04d}"] = {
                "type": "token",
                "provider": "anthropic",
                "token": f"sk-ant-oat01-many-{n:04d}-" + "t" * 40,
                "expires": now + 600_000 + n * 1000,
            }
        last = {"type": "token", "provider": "xai", "token": "xai-" + "l" * 40, "expires": now + 8000}
        store.profiles["xai:last"] = last

    services.sink.update("main", put)


def api_key(provider: str, key: str) -> dict[str, str]:
    return {"type": "api_key", "provider": provider, "key": key}


def many_browser(make_services: MakeServices) -> CoderclawApp:
    """The browser over `seed_many`'s 2000 profiles."""
    services = make_services()
    seed_many(services)
    return make_app(services, ProfilesStart())


def table(app: CoderclawApp) -> ProfileTable:
    return app.screen.query_one("#profiles-table", ProfileTable)


def selected(app: CoderclawApp) -> str | None:
    key = table(app).cursor_key
    return None if key is None else key.split("\0", 1)[1]


def on_screen(app: CoderclawApp) -> list[str]:
    top, bottom = table(app).visible_range()
    return table(app).keys[top:bottom]


def painted_expiry(app: CoderclawApp, key: str) -> str | None:
    cells = table(app).painted.get(key)
    return None if cells is None else str(cells["expires"])


def expected_expiry(app: CoderclawApp, key: str, now_ms: int) -> str:
    return live_expiry(app.screen.rows[key], now_ms)  # type: ignore[attr-defined]


async def every_row_on_screen_ticked(pilot: Pilot[Any], clock: FakeClock) -> None:
    app: CoderclawApp = pilot.app  # type: ignore[assignment]
    now = int(clock() * 1000)
    await wait_for(
        pilot,
        lambda: all(painted_expiry(app, k) == expected_expiry(app, k, now) for k in on_screen(app)),
        "every row on screen to tick",
        timeout=5,
    )


async def opened(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, "ProfilesScreen")
    await wait_for(pilot, lambda: table(pilot.app).row_count == ROWS, f"{ROWS} rows")  # type: ignore[arg-type]
    app: CoderclawApp = pilot.app  # type: ignore[assignment]
    await wait_for(pilot, lambda: all(k in table(app).painted for k in on_screen(app)), "the rows painted")


async def test_the_cursor_keys_reach_every_row(make_services: MakeServices) -> None:
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        grid = table(app)
        page = grid.visible_range()[1] - grid.visible_range()[0]
        assert page > 10
        assert selected(app) == "anthropic:t0000"
        await pilot.press("up")
        assert grid.cursor_row == 0
        await pilot.press("down", "down")
        assert selected(app) == "anthropic:t0002"
        await pilot.press("pagedown")
        assert grid.cursor_row == 2 + page - 1
        assert grid.cursor_row in range(*grid.visible_range())
        await pilot.press("end")
        assert selected(app) == "xai:last" and grid.cursor_row == ROWS - 1
        assert grid.visible_range()[1] == ROWS, "the last row is on screen"
        await wait_for(pilot, lambda: "xai:last" in text(pilot, "#profiles-details"), "the details to follow")
        await pilot.press("pageup")
        assert grid.cursor_row == ROWS - 1 - (page - 1)
        await pilot.press("home")
        assert selected(app) == "anthropic:t0000" and grid.visible_range()[0] == 0
        await wait_for(pilot, lambda: "anthropic:t0000" in text(pilot, "#profiles-details"), "the details")

        # A click selects the row under it (the header is the table's first line).
        await pilot.click("#profiles-table", offset=(5, 4))
        assert selected(app) == "anthropic:t0003"


async def test_the_details_change_as_the_cursor_moves_not_a_frame_later(make_services: MakeServices) -> None:
    """The details are set in the handler that moves the cursor, so the frame that shows the cursor on a row
    shows that row's details (a message handled after it cost a second frame per key)."""
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        table(app).action_cursor(1)  # no pilot.press: nothing else runs before the check
        assert "anthropic:t0001" in text(pilot, "#profiles-details")
        table(app).action_last()
        assert "xai:last" in text(pilot, "#profiles-details")


async def test_a_cursor_move_repaints_the_table_and_details_not_the_rest_of_the_screen(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual repaints every widget whose container overlaps what changed; what sits around the table and the
    details (the screen, the title bar, the status line, the Footer) is blank or held in a blank container, so
    a cursor move repaints only the table, its scrollbar and the details (and the rule above them)."""
    painted: list[Widget] = []

    def recording(cls: type[Widget]) -> Callable[[Widget, Region], list[Strip]]:
        render_lines = cls.render_lines

        def recorded(widget: Widget, crop: Region) -> list[Strip]:
            if not widget.BLANK:
                painted.append(widget)
            return render_lines(widget, crop)

        return recorded

    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.pause()
        for cls in (Widget, ProfileTable, TextLines, RuleLine):  # these paint their own lines
            monkeypatch.setattr(cls, "render_lines", recording(cls))
        await pilot.press("down")
        await wait_for(pilot, lambda: any(isinstance(w, ProfileTable) for w in painted), "the cursor move painted")
        grid = table(app)
        rule, details = app.screen.query_one("#profiles-rule"), app.screen.query_one("#profiles-details")
        assert set(painted) == {grid, grid.vertical_scrollbar, rule, details}


async def test_walking_off_the_screen_scrolls_half_a_page_not_a_line_per_key(make_services: MakeServices) -> None:
    """A scroll repaints every line on screen: walking the rows scrolls once per half page, and the cursor lands
    mid-table with rows both sides of it in sight."""
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        grid = table(app)
        page = grid.visible_range()[1] - grid.visible_range()[0]
        await pilot.press(*["down"] * (page - 1))
        assert grid.visible_range()[0] == 0, "the last row on screen is reached without a scroll"
        await pilot.press("down")
        assert grid.visible_range()[0] == page - page // 2
        assert grid.cursor_row - grid.visible_range()[0] == page // 2, "the cursor is mid-table"
        await pilot.press(*["down"] * (page - page // 2 - 1))
        assert grid.visible_range()[0] == page - page // 2, "no scroll until the cursor leaves the screen again"
        assert grid.cursor_row == grid.visible_range()[1] - 1
        await wait_for(pilot, lambda: all(k in grid.painted for k in on_screen(app)), "the rows scrolled in painted")
        top = grid.visible_range()[0]
        await pilot.press(*["up"] * (grid.cursor_row - top))
        assert grid.visible_range()[0] == top and grid.cursor_row == top
        await pilot.press("up")
        assert grid.visible_range()[0] == max(0, top - 1 - page // 2), "off the top, the same the other way"


async def test_every_row_on_screen_ticks_wherever_the_table_is_scrolled(
    make_services: MakeServices, clock: FakeClock
) -> None:
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        first = on_screen(app)[0]
        assert painted_expiry(app, first) == "in 10:00"
        clock.advance(3)
        await every_row_on_screen_ticked(pilot, clock)
        assert painted_expiry(app, first) == "in 9:57"

        await pilot.press("pagedown", "pagedown", "pagedown")
        assert on_screen(app)[0] != first
        clock.advance(2)
        await every_row_on_screen_ticked(pilot, clock)

        # Back at the top, the rows painted before the last ticks read as of now, not as then.
        await pilot.press("home")
        await wait_for(pilot, lambda: painted_expiry(app, first) == "in 9:55", "the top rows repainted as of now")

        # At the end, xai:last turns expired on the tick, and its details and keys follow.
        await pilot.press("end")
        last = "main\0xai:last"
        await wait_for(pilot, lambda: painted_expiry(app, last) is not None, "the last row painted")
        assert str(table(app).painted[last]["state"]) == "expiring"
        clock.advance(4)
        await wait_for(pilot, lambda: str(table(app).painted[last]["state"]) == "expired", "the state to tick")
        await every_row_on_screen_ticked(pilot, clock)
        assert "state      expired" in text(pilot, "#profiles-details")


async def test_the_filter_narrows_2000_rows_and_escape_brings_them_back(make_services: MakeServices) -> None:
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("slash", *"t199")
        await wait_for(pilot, lambda: table(app).row_count == 9, "t199 and t1990-t1997")
        assert "9 of 2000 shown" in text(pilot, "#profiles-title")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == ROWS, "every row back")


async def test_a_change_on_disk_shows_and_the_selection_stays(make_services: MakeServices, state_dir: Path) -> None:
    app = many_browser(make_services)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("end", "up")
        assert selected(app) == "anthropic:t1998"

        def put(store: AuthStore) -> None:
            store.profiles["anthropic:a-new"] = api_key("anthropic", "sk-ant-api03-" + "n" * 40)
            del store.profiles["anthropic:t0000"]

        app.services.sink.update("main", put)  # as another process would: the browser only sees the file change
        await wait_for(pilot, lambda: "main\0anthropic:a-new" in table(app).keys, "the new row", timeout=5)
        assert "main\0anthropic:t0000" not in table(app).keys
        assert table(app).row_count == ROWS
        assert selected(app) == "anthropic:t1998"
        assert table(app).cursor_row in range(*table(app).visible_range())


async def test_a_sub_agents_store_changing_reloads_that_agent_and_keeps_the_selection(
    make_services: MakeServices,
) -> None:
    """Only `work`'s store changes (no login, so the config does not): its rows follow, main's stay."""
    add_agent("work")
    services = make_services()
    seed_many(services)
    first = {"openai:w1": api_key("openai", "sk-proj-" + "w" * 40)}
    services.sink.update("work", lambda store: store.profiles.update(first))
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ProfilesScreen")
        await wait_for(pilot, lambda: table(app).row_count == ROWS + 1, "every row")
        await pilot.press("down")
        assert selected(app) == "anthropic:t0001"
        new = {"openai:w2": api_key("openai", "sk-proj-" + "v" * 40)}
        services.sink.update("work", lambda store: store.profiles.update(new))
        await wait_for(pilot, lambda: "work\0openai:w2" in table(app).keys, "work's new row", timeout=5)
        assert table(app).row_count == ROWS + 2
        assert selected(app) == "anthropic:t0001"
