"""The profile browser at 80x24 (most SSH sessions) and 60x15: every column that matters readable, the Footer
with `/` and `q`, the title counting what a filter leaves, and the remove dialog naming who loses a profile.

Baselines in the repo's `snapshots/`; the seed and the fixed clock are test_snapshots.py's.
"""

from __future__ import annotations

from typing import Any

from test_snapshots import THEME, SnapCompare, Steps, browser_loaded, seed_profiles, select_state, wait_for
from textual.pilot import Pilot
from wizard_helpers import text, wait_for_screen

from coderclaw_tui.app import ProfilesStart, make_app

SSH = (80, 24)
TINY = (60, 15)


def shoot_at(snap_compare: SnapCompare, app: Any, size: tuple[int, int], steps: Steps) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = THEME
        await steps(pilot)
        await pilot.pause()

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_profiles_80x24(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)
        select_state(pilot, "needs re-login")
        await wait_for(pilot, lambda: "fix it" in text(pilot, "#profiles-details"), "the details")

    assert shoot_at(snap_compare, make_app(services(), ProfilesStart()), SSH, steps)


def test_profiles_filtered_80x24(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)
        await pilot.press("slash", *"anthropic")
        await wait_for(pilot, lambda: "2 of 7 shown" in text(pilot, "#profiles-title"), "the filtered title")

    assert shoot_at(snap_compare, make_app(services(), ProfilesStart()), SSH, steps)


def test_profiles_remove_inherited_80x24(snap_compare: SnapCompare, services: Any) -> None:
    """In research's view, main's ChatGPT login: removing it takes it from main and research, and says so."""
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot, rows=7)
        select_state(pilot, "ok")
        await pilot.press("x")
        await wait_for_screen(pilot, "ConfirmDialog")

    assert shoot_at(snap_compare, make_app(services(), ProfilesStart("research")), SSH, steps)


def test_profiles_60x15(snap_compare: SnapCompare, services: Any) -> None:
    seed_profiles()

    async def steps(pilot: Pilot[Any]) -> None:
        await browser_loaded(pilot)

    assert shoot_at(snap_compare, make_app(services(), ProfilesStart()), TINY, steps)
