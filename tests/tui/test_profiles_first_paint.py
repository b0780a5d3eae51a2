"""The browser's first frame: painted once, with its rows (rather than empty, and again once they are read), with
its columns fitted to the table it turns out to have; a slow disk still gets a screen at once; and with many
agents the first screenful shows before the other agents' stores are read."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from test_profiles import seed_openai, table
from wizard_helpers import MakeServices, text, wait_for

from coderclaw_tui.app import ProfilesStart, make_app
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.core.logins import save_login
from coderclaw_tui.core.store import AuthStore
from coderclaw_tui.flows.profiles import ProfileBrowser, ReadOnceSink
from coderclaw_tui.screens import profiles
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.steady_footer import SteadyFooter


@pytest.fixture
def painted_titles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The browser's title as each paint renders it, in order."""
    titles: list[str] = []
    render = Plain.render

    def recording(self: Plain) -> Any:
        visual = render(self)
        if self.id == "profiles-title":
            titles.append(str(visual))
        return visual

    monkeypatch.setattr(Plain, "render", recording)
    return titles


async def test_the_first_paint_already_shows_the_rows(make_services: MakeServices, painted_titles: list[str]) -> None:
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == 4, "the rows")
        await pilot.pause()
        assert painted_titles, "the title was never painted"
        assert painted_titles[0] == "Profiles · 1 agent · 4 shown", painted_titles


async def test_a_slow_disk_gets_a_screen_first_and_its_rows_when_read(
    make_services: MakeServices, painted_titles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that outlasts FIRST_LOAD_SECONDS does not hold the screen back: it paints (keys work), and the rows
    follow."""
    services = make_services()
    seed_openai(services)
    monkeypatch.setattr(profiles, "FIRST_LOAD_SECONDS", 0.05)
    load = ProfileBrowser.load

    def slow_load(self: ProfileBrowser, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)  # in the load's thread, as a slow disk would
        return load(self, *args, **kwargs)

    monkeypatch.setattr(ProfileBrowser, "load", slow_load)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: bool(painted_titles), "a first paint")
        assert table(app).row_count == 0 and painted_titles[0] == "", painted_titles
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "profiles-filter"
        await wait_for(pilot, lambda: table(app).row_count == 4, "the rows, once read")
        await wait_for(pilot, lambda: text(pilot, "#profiles-title") == "Profiles · 1 agent · 4 shown", "the title")


async def test_rows_that_fit_the_screen_but_not_the_table_get_room_for_its_scrollbar(
    make_services: MakeServices,
) -> None:
    """The first load is fitted before the table's first layout, when only the screen's height is known: 15 rows
    fit 24 lines but not the table at 80x24, and once it is laid out the columns leave room for its scrollbar (the
    table would otherwise scroll sideways by two columns)."""
    services = make_services()
    for n in range(15):
        key = {"type": "api_key", "provider": "openai", "key": f"sk-proj-{n:02d}" + "k" * 40}
        save_login(services.sink, "main", f"openai:a-long-profile-name-for-the-platform-team-{n:02d}-of-the-company", key)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == 15, "the rows")
        await pilot.pause()
        grid = table(app)
        assert grid.size.height - 1 < 15, "the rows must overflow the table for this test"
        assert grid.virtual_size.width <= grid.scrollable_content_region.width, "the table scrolls sideways"


def seed_keys(services: Any, agent: str, count: int) -> None:
    """`count` OpenAI keys in `agent`'s store, written at once."""

    def put(store: AuthStore) -> None:
        for n in range(count):
            store.profiles[f"openai:{agent}-{n:02d}"] = {"type": "api_key", "provider": "openai", "key": f"sk-{n:02d}" + "k" * 30}

    services.sink.update(agent, put)


@pytest.fixture
def slow_sub_agents(make_services: MakeServices, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, threading.Event]:
    """main with 40 keys (a 100x30 screen's worth), `work` and `home` with 10 each, whose stores are read only
    once the event is set (in the load's thread, as a slow disk would); their stores are small: as if they
    were not (FIRST_PART_BYTES)."""
    monkeypatch.setattr(profiles, "FIRST_PART_BYTES", 0)
    services = make_services()
    for agent in ("work", "home"):
        add_agent(agent)
    for agent, count in (("main", 40), ("work", 10), ("home", 10)):
        seed_keys(services, agent, count)
    release = threading.Event()
    load = ReadOnceSink.load

    def slow_load(self: ReadOnceSink, agent_id: str) -> Any:
        if agent_id != "main":
            release.wait(5)
        return load(self, agent_id)

    monkeypatch.setattr(ReadOnceSink, "load", slow_load)
    return services, release


async def test_the_first_screenful_shows_while_the_other_agents_stores_are_read(
    slow_sub_agents: tuple[Any, threading.Event], painted_titles: list[str]
) -> None:
    """main's 40 rows fill the screen: they are painted, and keys work on them, while work's and home's stores
    are still being read; then their rows join below, and the selection stays put."""
    services, release = slow_sub_agents
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: bool(painted_titles), "a first paint")
        assert painted_titles[0] == "Profiles · 3 agents · 40 shown · reading…", painted_titles
        first = list(table(app).keys)
        assert [key.split("\0") for key in first] == [["main", f"openai:main-{n:02d}"] for n in range(40)]
        await pilot.press("down", "down")
        assert table(app).cursor_row == 2

        release.set()
        await wait_for(pilot, lambda: table(app).row_count == 60, "the other agents' rows")
        await wait_for(pilot, lambda: text(pilot, "#profiles-title") == "Profiles · 3 agents · 60 shown", "the title")
        assert table(app).keys[:40] == first
        assert table(app).cursor_key == first[2]
        assert {key.split("\0")[0] for key in table(app).keys[40:]} == {"work", "home"}


async def test_an_agent_chosen_while_the_rest_is_read_is_not_covered_by_the_whole_load(
    slow_sub_agents: tuple[Any, threading.Event], painted_titles: list[str]
) -> None:
    """s (one agent) pressed on the first screenful: main's view shows, and stays when the load of every agent,
    which it replaced, finishes reading."""
    services, release = slow_sub_agents
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: bool(painted_titles), "a first paint")
        assert painted_titles[0].endswith("reading…"), painted_titles
        await pilot.press("s")
        await wait_for(pilot, lambda: text(pilot, "#profiles-title") == "Profiles · agent main · 40 shown", "main")
        release.set()
        await pilot.pause(0.5)
        assert text(pilot, "#profiles-title") == "Profiles · agent main · 40 shown"
        assert table(app).row_count == 40 and {key.split("\0")[0] for key in table(app).keys} == {"main"}


@pytest.mark.parametrize("counts", [(5, 5, 5), (40, 10, 10)], ids=["all fit", "small rest"])
async def test_rows_are_shown_at_once_when_they_fit_or_little_is_left_to_read(
    make_services: MakeServices, painted_titles: list[str], counts: tuple[int, int, int]
) -> None:
    """Three agents whose rows fit the screen, or whose other stores are small (20 keys, far under
    FIRST_PART_BYTES): one paint of them all, never a part of them."""
    services = make_services()
    for agent in ("work", "home"):
        add_agent(agent)
    for agent, count in zip(("main", "work", "home"), counts, strict=True):
        seed_keys(services, agent, count)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == sum(counts), "the rows")
        await pilot.pause()
        assert painted_titles[0] == f"Profiles · 3 agents · {sum(counts)} shown", painted_titles


async def test_the_footer_is_built_once_at_start_with_the_tables_keys(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table has the focus from the start: the Footer is built once, with the keys of the first row (it was
    built for the filter field's keys first, and again for the table's: tens of milliseconds each)."""
    builds: list[tuple[str, ...]] = []
    compose = SteadyFooter.compose

    def recording(self: SteadyFooter) -> Any:
        keys = list(compose(self))
        if keys:
            builds.append(tuple(str(getattr(key, "key", "")) for key in keys))
        return iter(keys)

    monkeypatch.setattr(SteadyFooter, "compose", recording)
    services = make_services()
    seed_openai(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: bool(builds), "the Footer")
        await pilot.pause(0.5)
        assert app.focused is table(app)
        assert len(builds) == 1, builds
        assert "x" in builds[0] and "slash" in builds[0], builds
