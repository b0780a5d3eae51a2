"""The key model (screens/base.py) on the terminals users have: 80x24 (most SSH sessions) and 100x32.

- Up/Down move the method highlight to every method, and the list is whole on screen (no cut border).
- Every text field of the wizard takes a 200-key burst, with the letters other screens use as commands
  (c, o, a, r, q, j, k, /), exactly as typed.
- On the headless sign-in screen the paste field, a paste error, the status and the countdown are inside the
  screen, also after a resize from a tiny terminal; the heading stays on top.
"""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList
from wizard_helpers import MakeServices, sign_in_screen_ready, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.providers.catalogue import all_providers
from coderclaw_tui.widgets.paste_input import PasteInput

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((100, 32), id="100x32")]
KEY_NAMES = {"/": "slash", "-": "minus", ".": "full_stop", "_": "underscore"}
COMMAND_LETTERS = "coarqjk/"
BURST = (COMMAND_LETTERS + string.ascii_letters + string.digits + "-._") * 3
BURST = BURST[:200]
CODEX = WizardStart(agent_id="main", provider_id="openai-codex")


def type_burst(app: Any, typed: str) -> None:
    """Every key posted at once, as a terminal delivers a fast typist or a script: none handled before the next."""
    for character in typed:
        app.post_message(events.Key(KEY_NAMES.get(character, character), character))


async def settle(pilot: Pilot[Any], rounds: int = 12) -> None:
    for _ in range(rounds):
        await pilot.pause(0.05)


def on_screen(pilot: Pilot[Any], widget: Widget) -> bool:
    """The widget is laid out, has rows, and all of them are inside the terminal."""
    width, height = pilot.app.size
    region = widget.region
    return region.height > 0 and Region(0, 0, width, height).contains_region(region)


def highlighted_id(methods: OptionList) -> str | None:
    assert methods.highlighted is not None
    return methods.get_option_at_index(methods.highlighted).id


@pytest.mark.parametrize("size", [*SIZES, pytest.param((120, 32), id="120x32")])
async def test_down_and_up_reach_every_method(make_services: MakeServices, size: tuple[int, int]) -> None:
    every = {f"{p.id}/{m.id}" for p in all_providers() for m in p.methods}
    app = make_app(make_services(), WizardStart(agent_id="main"))
    async with app.run_test(size=size) as pilot:
        await wait_for_screen(pilot, "ChooseMethodScreen")
        screen = app.screen
        methods = screen.query_one("#methods", OptionList)
        assert isinstance(screen.focused, Input)  # the filter keeps focus; arrows still reach the list
        assert on_screen(pilot, methods), f"the method list is cut: {methods.region} in {app.size}"
        seen = [highlighted_id(methods)]
        for _ in range(len(every) + 5):
            await pilot.press("down")
            seen.append(highlighted_id(methods))
            highlighted_row = methods.highlighted - methods.scroll_offset.y  # type: ignore[operator]
            assert 0 <= highlighted_row < methods.scrollable_content_region.height, "highlight scrolled out of view"
        assert set(seen) == every
        assert screen.query_one("#body").scroll_offset.y == 0  # the page never scrolled instead
        for _ in range(len(every) + 5):
            await pilot.press("up")
        assert highlighted_id(methods) == seen[0]
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ != "ChooseMethodScreen", "the third method's screen")
        assert app.wizard.method is not None
        assert f"{app.wizard.method.provider.id}/{app.wizard.method.method.id}" == seen[2]


async def to_new_agent_id(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, "ChooseAgentScreen")
    agents = pilot.app.screen.query_one("#agents", OptionList)
    agents.highlighted = agents.get_option_index("new")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen.focused, Input), "the new agent id field")


async def to_confirm(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, "ApiKeyScreen")
    pilot.app.screen.query_one("#api-key", Input).value = "sk-test-0123456789"
    await pilot.press("enter")
    await wait_for_screen(pilot, "ConfirmScreen")


async def focus_field(pilot: Pilot[Any], selector: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.pause()


Reach = Callable[[Pilot[Any]], Awaitable[None]]
API_KEY = WizardStart(agent_id="main", provider_id="openai", method_id="api-key")
SETUP_TOKEN = WizardStart(agent_id="main", provider_id="anthropic", method_id="token")
FIELDS: list[tuple[str, WizardStart, dict[str, Any], str, str]] = [
    ("method filter", WizardStart(agent_id="main"), {}, "ChooseMethodScreen", "#method-filter"),
    ("new agent id", WizardStart(), {}, "", "#agent-id"),
    ("redirect URL, remote", CODEX, {"remote": True}, "PkceLoginScreen", "#paste"),
    ("redirect URL, local", CODEX, {}, "PkceLoginScreen", "#paste"),
    ("API key", API_KEY, {}, "ApiKeyScreen", "#api-key"),
    ("API key profile name", API_KEY, {}, "ApiKeyScreen", "#profile-name"),
    ("setup-token", SETUP_TOKEN, {}, "PasteTokenScreen", "#token"),
    ("setup-token profile name", SETUP_TOKEN, {}, "PasteTokenScreen", "#profile-name"),
    ("confirm profile name", API_KEY, {}, "confirm", "#profile-name"),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("name", "start", "overrides", "screen_name", "selector"), FIELDS, ids=[f[0] for f in FIELDS])
async def test_every_text_field_takes_a_burst_of_typed_keys_whole(
    make_services: MakeServices,
    size: tuple[int, int],
    name: str,
    start: WizardStart,
    overrides: dict[str, Any],
    screen_name: str,
    selector: str,
) -> None:
    app = make_app(make_services(**overrides), start)
    async with app.run_test(size=size) as pilot:
        if selector == "#agent-id":
            await to_new_agent_id(pilot)
        elif screen_name == "confirm":
            await to_confirm(pilot)
        elif screen_name == "PkceLoginScreen":
            await sign_in_screen_ready(pilot)
        else:
            await wait_for_screen(pilot, screen_name)
        await settle(pilot)
        before = type(app.screen)
        await focus_field(pilot, selector)
        type_burst(app, BURST)
        await settle(pilot)
        assert type(app.screen) is before, "a typed key acted as a command"
        assert app.screen.query_one(selector, Input).value == BURST
        if screen_name == "PkceLoginScreen":
            opened = app.screen.services.open_browser.opened  # type: ignore[attr-defined]
            assert opened == ([] if overrides else [app.screen.url])  # typing never opened it again


def visible_parts(pilot: Pilot[Any]) -> dict[str, bool]:
    screen = pilot.app.screen
    parts = ("#heading", "#paste", "#paste-error", "#login-status", "#login-timeout")
    return {part: on_screen(pilot, screen.query_one(part)) for part in parts}


@pytest.mark.parametrize("size", SIZES)
async def test_headless_sign_in_keeps_the_paste_field_and_its_error_on_screen(
    make_services: MakeServices, size: tuple[int, int]
) -> None:
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=size) as pilot:
        screen = await sign_in_screen_ready(pilot)
        paste = screen.query_one("#paste", PasteInput)
        paste.post_message(events.Paste("https://example.test/not-a-redirect"))
        await wait_for(pilot, lambda: text(pilot, "#paste-error"), "the paste error")
        await settle(pilot, 4)
        assert all(visible_parts(pilot).values()), visible_parts(pilot)
        assert screen.focused is paste

        await pilot.resize_terminal(60, 15)
        await settle(pilot, 4)
        await pilot.resize_terminal(*size)
        await settle(pilot, 4)
        assert all(visible_parts(pilot).values()), f"after a resize: {visible_parts(pilot)}"
        assert screen.query_one("#heading").region.y == 1  # right under the trail, never scrolled away


@pytest.mark.parametrize("size", SIZES)
async def test_footer_shows_letters_or_ctrl_keys_as_focus_moves(
    make_services: MakeServices, size: tuple[int, int]
) -> None:
    """The copy command is `c` with the URL focused and ctrl+y in the paste field; both copy the whole URL."""
    app = make_app(make_services(), CODEX)
    async with app.run_test(size=size) as pilot:
        screen = await sign_in_screen_ready(pilot)

        def shown() -> set[str]:
            return {key for key, active in screen.active_bindings.items() if active.binding.show}

        screen.query_one("#authorize-url").focus()
        await pilot.pause()
        assert {"c", "o", "enter", "escape"} <= shown() and "ctrl+y" not in shown()
        await pilot.press("c")
        screen.query_one("#paste").focus()
        await pilot.pause()
        assert {"ctrl+y", "ctrl+o", "enter", "escape"} <= shown() and "c" not in shown()
        await pilot.press("ctrl+y")
        assert app.screen.services.copy_text.copied == [screen.url, screen.url]  # type: ignore[attr-defined]
