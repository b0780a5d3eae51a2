"""The other three sign-in kinds through the wizard: GitHub device code (sandbox endpoints), Anthropic
setup-token, and an API key taken from the environment. Each ends by checking the disk against the confirm
screen's promise."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Button, Input
from wizard_helpers import (
    SETUP_TOKEN,
    SIZE,
    FakeBrowser,
    FakeClipboard,
    MakeServices,
    confirm_and_check_disk,
    main_then_method,
    screen_text,
    text,
    wait_for,
    wait_for_screen,
)

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput


async def test_device_code_login(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser, clipboard: FakeClipboard, state_dir: Path
) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="copilot"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.code is not None, "the device code")
        code = screen.code.user_code
        assert text(pilot, "#user-code") == " ".join(code)
        assert text(pilot, "#verification-url") == f"{issuer.base_url}/login/device"
        assert text(pilot, "#code-expiry").startswith("The code expires in 1")  # 15:00 less the polls so far
        await wait_for(pilot, lambda: "Waiting for you to approve" in text(pilot, "#device-status"), "polling")

        await pilot.press("c")
        assert clipboard.copied == [code] and app.clipboard == code
        await pilot.press("o")
        await wait_for(pilot, lambda: browser.opened, "the verification page to open")
        assert browser.opened == [f"{issuer.base_url}/login/device"]

        issuer.approve_device(code)
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["type"] == "token" and record["provider"] == "github-copilot" and record["token"].startswith("gho_")
    assert app.wizard.saved.profile_id == "github-copilot:github"


async def test_device_code_denied_is_shown_with_the_way_forward(
    make_services: MakeServices, issuer: SandboxIssuer
) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="github-copilot"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.code is not None, "the device code")
        first_code = screen.code.user_code
        issuer.deny_device(first_code)
        await wait_for(pilot, lambda: text(pilot, "#login-error"), "the error")
        assert text(pilot, "#login-error") == (
            f"The login was denied on {issuer.base_url.split('//')[1]}; nothing was saved. "
            "Press r to start again, or Esc to go back."
        )
        assert not screen.query_one("#user-code").display, "no code box for a code that can no longer be used"
        assert first_code not in screen_text(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.code is not None and screen.code.user_code != first_code, "a new code")
        assert text(pilot, "#login-error") == ""


async def test_setup_token_checked_live_then_saved(make_services: MakeServices, state_dir: Path) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="anthropic", method_id="setup-token"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "PasteTokenScreen")
        assert "meant for Anthropic's own apps" in screen_text(pilot) and "API key" in screen_text(pilot)
        token_input = app.screen.query_one("#token", PasteInput)
        assert token_input.password and app.screen.focused is token_input

        await pilot.press(*"sk-ant-api03-xyz")
        assert text(pilot, "#token-problem").startswith("Expected a token starting with sk-ant-oat01-")
        await pilot.press("enter")
        assert type(app.screen).__name__ == "PasteTokenScreen"  # refused, still here

        token_input.value = ""
        wrapped = SETUP_TOKEN[:50] + "\n  " + SETUP_TOKEN[50:] + "\n"  # copied over two lines
        token_input.post_message(events.Paste(wrapped))
        await wait_for(pilot, lambda: "Looks right" in text(pilot, "#token-problem"), "the token to be accepted")
        assert SETUP_TOKEN not in screen_text(pilot)
        assert (
            text(pilot, "#token-problem")
            == f"Looks right: sk-ant-oat01-…{SETUP_TOKEN[-4:]} ({len(SETUP_TOKEN)} characters)."
        )

        app.screen.query_one("#profile-name", Input).focus()
        await pilot.press(*"Work Laptop")
        assert text(pilot, "#profile-preview") == "Saved as anthropic:work-laptop after you confirm."
        await pilot.press("enter")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN}
    assert app.wizard.saved.profile_id == "anthropic:work-laptop"


async def test_api_key_from_the_environment(make_services: MakeServices, state_dir: Path) -> None:
    key = "sk-ant-api03-" + "k" * 40 + "WXYZ"
    app = make_app(make_services(env={"ANTHROPIC_API_KEY": key}))
    async with app.run_test(size=SIZE) as pilot:
        await main_then_method(pilot, "anthropic key", "ApiKeyScreen")
        button = app.screen.query_one("#use-env", Button)
        assert app.screen.focused is button
        assert "ANTHROPIC_API_KEY" in str(button.label) and "…WXYZ" in str(button.label)
        assert key not in screen_text(pilot)
        await pilot.press("enter")
        record = await confirm_and_check_disk(pilot, state_dir)
        assert key not in screen_text(pilot)
    assert record == {"type": "api_key", "provider": "anthropic", "key": key}


async def test_pasted_api_key_is_normalised_and_checked(make_services: MakeServices, state_dir: Path) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        assert not app.screen.query("#use-env")
        await pilot.press("enter")
        assert text(pilot, "#api-key-problem") == "Paste the API key; the field is empty."
        field = app.screen.query_one("#api-key", PasteInput)
        field.post_message(events.Paste('export OPENAI_API_KEY="sk-proj-abcdefghijklmnop1234";'))
        await wait_for(pilot, lambda: "Read as sk-proj" in text(pilot, "#api-key-problem"), "the key to be read")
        assert "Looks right" not in text(pilot, "#api-key-problem")  # its shape says nothing about whether it works
        await pilot.press("enter")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record == {"type": "api_key", "provider": "openai", "key": "sk-proj-abcdefghijklmnop1234"}
