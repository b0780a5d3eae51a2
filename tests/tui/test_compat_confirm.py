"""SPEC 5 on screen: a login of the account behind CoderClaw's `openai-codex:default` says, before saving, that it
updates that profile, and then does exactly that."""

from __future__ import annotations

import json
from pathlib import Path

from wizard_helpers import SIZE, MakeServices, sign_in_screen_ready, text, wait_for, wait_for_screen

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart

SANDBOX_ACCOUNT = "acct_sandbox_0001"
"""Who the sandbox issuer logs in unless told otherwise."""


async def test_confirm_names_the_same_accounts_profile_it_updates(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    old = {"type": "oauth", "provider": "openai-codex", "access": "FAKE-old-access", "refresh": "FAKE-old-refresh",
           "expires": 1, "accountId": SANDBOX_ACCOUNT}
    store.write_text(json.dumps({"version": 1, "profiles": {"openai-codex:default": old}}))
    app = make_app(make_services(sandbox=issuer), WizardStart(agent_id="main", provider_id="openai-codex"))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_screen_ready(pilot)
        await pilot.press("a")  # the sandbox's "approve", as the browser would
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: app.screen.plan is not None, "the confirm plan")
        plan_text = text(pilot, "#plan-store")
        assert "updates the same account's openai-codex:default in place" in plan_text
        assert "not a new openai-codex:sandbox.user@example.test" in plan_text
        assert 'auth.profiles["openai-codex:default"]' in text(pilot, "#plan-config")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
        assert "Saved openai-codex:default to" in text(pilot, "#saved")
    profiles = json.loads(store.read_text())["profiles"]
    assert list(profiles) == ["openai-codex:default"]
    assert profiles["openai-codex:default"]["access"] != old["access"]
