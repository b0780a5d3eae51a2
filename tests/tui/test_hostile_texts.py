"""Texts from servers in the wizard: an identity holding Textual markup (`[/]`, `[@click=…]`) or control
characters is saved exactly and shown as plain text; it neither stops the app (a stray `[/]` in a notification
used to fail to render) nor becomes an action."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Button
from wizard_helpers import SIZE, FakeBrowser, MakeServices, read_json, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart

HOSTILE_EMAIL = "x[/]y[@click=app.quit]z[b]\x1b]0;t\x07@example.test"


async def test_a_login_whose_email_holds_markup_is_saved_and_the_app_carries_on(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser, state_dir: Path
) -> None:
    issuer.set_identity(email=HOSTILE_EMAIL, account_id="acct_hostile_0001")
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai-codex"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts shown, as in a real run
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: browser.opened, "the browser to be opened")
        async with httpx.AsyncClient() as client:
            assert (await client.get(issuer.approve(browser.opened[0]))).status_code == 200
        await wait_for_screen(pilot, "ConfirmScreen")
        assert "x[/]y[@click=app.quit]z[b]\\x1b]0;t\\x07@example.test" in text(pilot, "#identity")  # as printed
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")  # the "Saved …" notification names the profile
        profiles = read_json(state_dir / "agents" / "main" / "agent" / "auth-profiles.json")["profiles"]
        (record,) = profiles.values()
        await pilot.pause(0.3)
        assert app.is_running and type(app.screen).__name__ == "DoneScreen"
        app.screen.notify(f"Saved {record['email']}")  # as a screen notifies: Textual's widget passes markup=True
        await pilot.pause(0.3)
        assert app.is_running
        await pilot.press("enter")
    assert record["email"] == HOSTILE_EMAIL


async def test_a_key_in_the_environment_that_reads_as_markup_is_offered_as_plain_text(
    make_services: MakeServices,
) -> None:
    """The offer button shows the key's first characters: `[/]` there used to fail to render and stop the app."""
    key = "[/][@click=app.quit]" + "k" * 40 + "WXYZ"
    app = make_app(make_services(env={"OPENAI_API_KEY": key}), WizardStart(agent_id="main", provider_id="openai"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.pause(0.2)
        label = str(app.screen.query_one("#use-env", Button).label)
        assert label.startswith("Use OPENAI_API_KEY ([/]") and label.endswith("…WXYZ)")
        assert app.is_running
