"""What the wizard's screens say, checked against the situation they describe (issue 10, row 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList
from wizard_helpers import MakeServices, sign_in_screen_ready, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import SavedLogin, WizardStart
from coderclaw_tui.screens.done import DoneScreen
from coderclaw_tui.widgets.paste_input import PasteInput

SIZE = (80, 24)
CODEX = WizardStart(agent_id="main", provider_id="openai-codex")


def footer_keys(screen: object) -> set[str]:
    return {key for key, active in screen.active_bindings.items() if active.binding.show}  # type: ignore[attr-defined]


async def test_a_local_machine_without_a_display_is_not_called_remote(make_services: MakeServices) -> None:
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "WSL_DISTRO_NAME": "", "WSL_INTEROP": "", "WSLENV": ""}
    services = make_services(env=env)
    services.remote = True  # what from_env decides for a Linux with neither X nor Wayland
    app = make_app(services, CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        assert text(pilot, "#pkce-note").startswith("This machine has no display, so no browser opens here.")
        assert "remote" not in text(pilot, "#pkce-note")
        screen.query_one("#authorize-url").focus()
        await pilot.pause()
        assert "o" not in footer_keys(screen) and "ctrl+o" not in footer_keys(screen)  # no browser to open
        assert "c" in footer_keys(screen)


async def test_the_placeholder_names_the_port_actually_used(make_services: MakeServices) -> None:
    app = make_app(make_services(), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        placeholder = screen.query_one("#paste", PasteInput).placeholder
        listening = text(pilot, "#listener-status")
        port = listening.split("127.0.0.1:")[1].split(" ")[0]
        assert port != "1455" and placeholder == f"http://localhost:{port}/auth/callback?code=…&state=…"


async def test_openai_api_key_heading_says_api_once(make_services: MakeServices) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        assert text(pilot, "#heading") == "OpenAI API key"


async def test_no_color_keeps_the_highlighted_method_visible(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(make_services(), WizardStart(agent_id="main"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseMethodScreen")
        methods = app.screen.query_one("#methods", OptionList)
        style = methods.get_component_styles("option-list--option-highlighted")
        assert "reverse" in str(style.text_style), "without colour, only reverse video shows the highlight"


async def test_done_names_the_state_dir_and_the_program_and_esc_leaves(make_services: MakeServices) -> None:
    saved = SavedLogin("main", "openai:default", Path("/s/a.json"), Path("/s/c.json"), created_agent=False)
    services = make_services()
    services.command, services.state_dir = ".venv/bin/coderclaw", "/tmp/sand box"
    app = make_app(services, WizardStart(agent_id="main", provider_id="openai", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        left: list[bool | None] = []
        app.push_screen(DoneScreen(services, saved), left.append)
        await wait_for_screen(pilot, "DoneScreen")
        await wait_for(pilot, lambda: app.screen.query("#next-steps"), "the hints")
        hints = text(pilot, "#next-steps")
        assert ".venv/bin/coderclaw models status --state-dir '/tmp/sand box'" in hints
        assert ".venv/bin/coderclaw profiles --state-dir '/tmp/sand box'" in hints
        await pilot.press("escape")
        await wait_for(pilot, lambda: left == [False], "Esc to leave the last screen")


async def test_a_second_key_is_not_called_the_same_identity(make_services: MakeServices) -> None:
    from coderclaw_tui.core.logins import save_login

    services = make_services()
    save_login(services.sink, "main", "openai:default", {"type": "api_key", "provider": "openai", "key": "sk-old-1111"})
    app = make_app(services, WizardStart(agent_id="main", provider_id="openai", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        app.screen.query_one("#api-key", PasteInput).value = "sk-new-2222"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: app.screen.plan is not None, "the plan")
        store = text(pilot, "#plan-store")
        assert "same identity" not in store and "replaces what this id holds now" in store
