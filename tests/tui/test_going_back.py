"""Going back never throws away what the user already did (issue 10, row 11), and stray pastes are not lost."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Button, Input, OptionList
from wizard_helpers import MakeServices, confirm_and_check_disk, sign_in_screen_ready, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput

SIZE = (80, 24)
CODEX = WizardStart(agent_id="main", provider_id="openai-codex")


async def test_esc_from_confirm_keeps_the_finished_browser_sign_in(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        screen.query_one("#paste", PasteInput).post_message(events.Paste(issuer.approve(screen.url)))
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "PkceLoginScreen")
        kept = app.screen
        assert "You are signed in as sandbox.user@example.test already" in text(pilot, "#kept-login")
        assert kept.flow is None and kept.url is None  # no new login was started, no port opened
        await pilot.press("enter")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["email"] == "sandbox.user@example.test"


async def test_back_to_the_agent_step_keeps_a_typed_new_agent_id(make_services: MakeServices) -> None:
    app = make_app(make_services(), WizardStart())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        agents = app.screen.query_one("#agents", OptionList)
        agents.highlighted = agents.get_option_index("new")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen.focused, Input), "the id field")
        await pilot.press(*"Weird Agent!/..")
        assert "Will be created as weird-agent (normalised from 'Weird Agent!/..'" in text(pilot, "#agent-id-note")
        await pilot.press("enter")  # the id: then the credentials choice
        await wait_for(pilot, lambda: app.screen.focused is app.screen.query_one("#agent-creds"), "the choice")
        await pilot.press("down", "enter")  # log in separately
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseAgentScreen")
        await wait_for(pilot, lambda: app.screen.query("#agent-id"), "the new agent form")
        field = app.screen.query_one("#agent-id", Input)
        await wait_for(pilot, lambda: field.value == "Weird Agent!/..", "the typed id back in its field")
        assert app.screen.query_one("#new-agent").display


async def test_a_paste_while_the_environment_key_button_has_focus_goes_to_the_field(
    make_services: MakeServices, state_dir: Path
) -> None:
    key = "sk-ant-api03-pasted-while-the-button-had-focus-0000"
    start = WizardStart(agent_id="main", provider_id="anthropic", method_id="api-key")
    app = make_app(make_services(env={"ANTHROPIC_API_KEY": "sk-ant-api03-from-the-env-1111"}), start)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        assert isinstance(app.screen.focused, Button)
        app.post_message(events.Paste(key))
        field = app.screen.query_one("#api-key", PasteInput)
        await wait_for(pilot, lambda: field.value == key, "the paste in the key field")
        assert app.screen.focused is field
        await pilot.press("enter")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["key"] == key
