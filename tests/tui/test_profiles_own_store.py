"""Issue #8, item 2: a sub-agent with no store of its own is not left for CoderClaw to fill with a copy of main's
(refresh tokens included). The browser says so and offers `e`, which gives it an empty store of its own; the wizard
says so on the agent's row, and choosing the agent gives it one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_profiles import open_browser, status
from test_profiles_terminals import SIZES, seed_keys
from wizard_helpers import MakeServices, text, wait_for

from coderclaw_tui.app import ProfilesStart, make_app


def storeless_agent(state_dir: Path) -> Path:
    """CoderClaw's config lists agent `work`, whose agent dir exists but holds no store (as an older install left
    it); returns where its store belongs."""
    config = state_dir / "coderclaw.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"agents": {"list": [{"id": "main"}, {"id": "work", "workspace": "/tmp/w"}]}}))
    agent_dir = state_dir / "agents" / "work" / "agent"
    agent_dir.mkdir(parents=True)
    return agent_dir / "auth-profiles.json"


@pytest.mark.parametrize("size", SIZES)
async def test_browser_offers_an_empty_store_to_an_agent_without_one(
    make_services: MakeServices, state_dir: Path, size: tuple[int, int]
) -> None:
    services = make_services()
    seed_keys(services)
    work_store = storeless_agent(state_dir)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=size) as pilot:
        await open_browser(pilot, 3)
        warning = text(pilot, "#profiles-problems")
        assert "Agent work has no auth store of its own" in warning and "Press e" in warning
        assert app.screen.check_action("give_empty_stores", ()) is True
        await pilot.press("e")
        await wait_for(pilot, lambda: work_store.exists(), "work's own store to be written")
        assert json.loads(work_store.read_text()) == {"version": 1, "profiles": {}}
        assert work_store.stat().st_mode & 0o777 == 0o600
        await wait_for(pilot, lambda: "Gave work an empty auth store" in status(pilot), "the status line")
        await wait_for(pilot, lambda: "no auth store" not in text(pilot, "#profiles-problems"), "the warning to go")
        assert not app.screen.check_action("give_empty_stores", ()), "nothing left to offer: the key is hidden"


async def test_no_offer_when_every_agent_has_its_own_store(make_services: MakeServices) -> None:
    services = make_services()
    seed_keys(services)
    app = make_app(services, ProfilesStart())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_browser(pilot, 3)
        assert "no auth store" not in text(pilot, "#profiles-problems")
        assert not app.screen.check_action("give_empty_stores", ())


@pytest.mark.parametrize("size", SIZES)
async def test_wizard_says_so_and_choosing_the_agent_gives_it_an_empty_store(
    make_services: MakeServices, state_dir: Path, size: tuple[int, int]
) -> None:
    from textual.widgets import OptionList
    from wizard_helpers import wait_for_screen

    from coderclaw_tui.flows.onboarding import WizardStart

    work_store = storeless_agent(state_dir)
    app = make_app(make_services(), WizardStart())
    async with app.run_test(size=size) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        agents = app.screen.query_one("#agents", OptionList)
        await wait_for(pilot, lambda: agents.option_count >= 3, "the agents listed")
        work = str(agents.get_option("agent:work").prompt)
        assert "no store of its own: choosing it gives it an empty one" in work
        assert "no store of its own" not in str(agents.get_option("agent:main").prompt)
        assert not work_store.exists(), "nothing is written before the agent is chosen"
        await pilot.press("down", "enter")
        await wait_for_screen(pilot, "ChooseMethodScreen")
    assert json.loads(work_store.read_text()) == {"version": 1, "profiles": {}}
    assert work_store.stat().st_mode & 0o777 == 0o600
