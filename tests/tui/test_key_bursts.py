"""Keys that arrive together (a script, a paste, a fast typist) act in the order they were typed.

Pilot's `press` waits for each key to be handled, which hides ordering bugs; these tests post the keys the way a
terminal delivers a burst: all at once, before any is handled.
"""

from __future__ import annotations

import json
from typing import Any

from textual import events
from wizard_helpers import MakeServices

from coderclaw_tui import paths
from coderclaw_tui.app import make_app
from coderclaw_tui.flows.onboarding import WizardStart

SIZE = (100, 32)


def burst(app: Any, *keys: str) -> None:
    for key in keys:
        character = {"enter": "\r"}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


async def settle(pilot: Any) -> None:
    for _ in range(10):
        await pilot.pause(0.05)


async def test_down_then_enter_in_one_burst_opens_the_highlighted_choice(make_services: MakeServices) -> None:
    """A priority Enter binding would act on arrival, while the Down before it still waited in the list's queue."""
    app = make_app(make_services(), WizardStart())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, "down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ChooseAgentScreen", type(app.screen).__name__
        assert app.screen.query_one("#new-agent").display, "Enter acted on the option Down had highlighted"
        await pilot.press(*"work", "enter", "enter")
        await settle(pilot)
        assert app.wizard.agent is not None and app.wizard.agent.agent_id == "work" and app.wizard.agent.create


async def test_a_burst_into_the_api_key_field_saves_exactly_what_was_typed(make_services: MakeServices) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, *"sk-burst-0123456789", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmScreen", type(app.screen).__name__
        burst(app, "enter")
        await settle(pilot)
    stored = json.loads(paths.auth_store_path(paths.default_agent_dir("main")).read_text())
    assert stored["profiles"]["openai:default"]["key"] == "sk-burst-0123456789"
