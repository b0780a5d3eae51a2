"""Fakes and helpers for the Pilot tests (the fixtures that use them are in conftest.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from coderclaw_tui.providers.catalogue import BUILTIN_PROVIDERS
from coderclaw_tui.services import Services
from coderclaw_tui.widgets.text_lines import TextLines

FROZEN_NOW = 1_750_000_000.0
SIZE = (100, 36)
SETUP_TOKEN = "sk-ant-oat01-" + "A1b2C3d4" * 10
MakeServices = Callable[..., Services]
BUILTIN_IDS = [p.id for p in BUILTIN_PROVIDERS]
REMOTE_VARS = ("SSH_CLIENT", "SSH_TTY", "SSH_CONNECTION", "REMOTE_CONTAINERS", "CODESPACES")
SSH_CONNECTION = "203.0.113.7 50022 198.51.100.2 22"
"""What sshd sets (documentation addresses): tests that say `remote=True` play an SSH session."""


class FakeClock:
    """Frozen unless a test (or the fake sleep) moves it."""

    def __init__(self, now: float = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeBrowser:
    """Records what would have been opened; `works=False` plays a machine with no graphical browser."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.works = True

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        return self.works


class FakeClipboard:
    """A system clipboard that is not reachable (as over SSH): only OSC 52 gets the text."""

    def __init__(self) -> None:
        self.copied: list[str] = []

    def __call__(self, text: str) -> bool:
        self.copied.append(text)
        return False


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Let the app run until `predicate()` holds; fail naming `what` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; screen is {pilot.app.screen!r}")
        await pilot.pause(0.02)


async def wait_for_screen(pilot: Pilot[Any], name: str, timeout: float = 5.0) -> None:
    """Until the screen is on top and mounted: a screen is on top as soon as it is pushed, before its widgets are
    composed (a query right then found none, in one CI run)."""
    await wait_for(
        pilot, lambda: type(pilot.app.screen).__name__ == name and pilot.app.screen.is_mounted, f"the {name}", timeout
    )


async def main_then_method(pilot: Pilot[Any], words: str, screen: str) -> None:
    """From the first step: Enter on main, then the words typed one key at a time into the method filter and
    Enter, until the chosen method's `screen` shows."""
    await wait_for_screen(pilot, "ChooseAgentScreen")
    await pilot.press("enter")
    await wait_for_screen(pilot, "ChooseMethodScreen")
    await pilot.press(*words, "enter")
    await wait_for_screen(pilot, screen)


async def sign_in_screen_ready(pilot: Pilot[Any]) -> Any:
    """The browser sign-in step, once its authorize URL is shown (from then on a paste is accepted)."""
    await wait_for_screen(pilot, "PkceLoginScreen")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.url, "the authorize URL")
    return screen


def text(pilot: Pilot[Any], selector: str) -> str:
    """What a Static (or TextLines) shows."""
    widget = pilot.app.screen.query_one(selector)
    assert isinstance(widget, (Static, TextLines)), widget
    return str(widget.content)


def screen_text(pilot: Pilot[Any]) -> str:
    """Everything the current screen shows in its Statics, TextLines and Buttons (for "never shown whole" checks)."""
    screen = pilot.app.screen
    parts = [str(w.content) for w in screen.query(Static)] + [w.content for w in screen.query(TextLines)]
    parts += [str(getattr(w, "label", "")) for w in screen.query("Button")]
    return "\n".join(parts)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


async def confirm_and_check_disk(pilot: Pilot[Any], state_dir: Path) -> dict[str, Any]:
    """On the confirm screen: note what it promises, press Enter, and assert the disk holds exactly that.

    Returns the stored record."""
    from coderclaw_tui.screens.confirm import masked_record

    await wait_for_screen(pilot, "ConfirmScreen")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.plan is not None, "the confirm plan")
    plan = screen.plan
    store_text, config_text = text(pilot, "#plan-store"), text(pilot, "#plan-config")
    store_before = read_json(plan.store_path) if plan.store_path.exists() else {"profiles": {}}
    config_before = read_json(plan.config_path) if plan.config_path.exists() else {}
    await pilot.press("enter")
    await wait_for_screen(pilot, "DoneScreen")

    assert plan.login is not None and plan.profile_id is not None
    assert store_text.splitlines()[0] == str(plan.store_path)
    assert plan.store_path.is_relative_to(state_dir)
    store = read_json(plan.store_path)
    record = store["profiles"][plan.profile_id]
    assert record == plan.login.credential
    assert f'profiles["{plan.profile_id}"] = {masked_record(record)}' in store_text
    assert set(store["profiles"]) == set(store_before["profiles"]) | {plan.profile_id}
    for other, before in store_before["profiles"].items():
        if other != plan.profile_id:
            assert store["profiles"][other] == before
    assert oct(plan.store_path.stat().st_mode & 0o777) == "0o600"

    assert config_text.splitlines()[0] == str(plan.config_path)
    config = read_json(plan.config_path)
    entry = config["auth"]["profiles"][plan.profile_id]
    assert entry == plan.profile_entry
    assert f'auth.profiles["{plan.profile_id}"] = {json.dumps(entry)}' in config_text
    assert set(config["auth"]["profiles"]) == set(config_before.get("auth", {}).get("profiles", {})) | {plan.profile_id}
    assert pilot.app.wizard.saved is not None and pilot.app.wizard.saved.profile_id == plan.profile_id
    return record
