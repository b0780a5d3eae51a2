"""Sign-in with an API key: typed or pasted, or the one already in the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Label, Static

from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.secret_input import normalize_api_key
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.flows.onboarding import Step
from coderclaw_tui.flows.secret_entry import ApiKeyEntry
from coderclaw_tui.providers.catalogue import Provider
from coderclaw_tui.screens.base import WizardScreen, compose_profile_name, show_problem, show_profile_preview
from coderclaw_tui.widgets.paste_input import PasteInput
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    from coderclaw_tui.services import Services


class ApiKeyScreen(WizardScreen[LoginResult]):
    """Ids: `#use-env` (Button, present and focused when a known variable is set), `#api-key` (masked
    PasteInput), `#api-key-problem`, `#profile-name`, `#profile-preview`."""

    STEP = Step.LOGIN
    CSS_PATH = "../styles/secret_entry.tcss"
    PASTE_TARGET = "#api-key"
    BINDINGS = [Binding("enter", "submit", "Continue", id="submit")]

    def __init__(self, services: Services, provider: Provider, kept: LoginResult | None = None) -> None:
        super().__init__(services)
        self.provider = provider
        self.flow = ApiKeyEntry(provider, services.env)
        self.offer = self.flow.env_offer()
        self.kept = kept
        """The key entered before the user went back from Confirm: shown again, so Enter goes on with it."""

    def heading(self) -> str:
        label = self.provider.label
        return f"{label} key" if label.endswith(" API") else f"{label} API key"

    def compose_body(self) -> ComposeResult:
        if self.offer is not None:
            yield Plain(f"{self.offer.variable} is set in this environment ({self.offer.preview}).")
            yield Button(f"Use {self.offer.variable} ({self.offer.preview})", id="use-env", variant="primary")
            yield Label("…or paste another key (hidden)")
        else:
            yield Label("API key (hidden as you paste)")
        kept_key = str(self.kept.credential.get("key", "")) if self.kept else ""
        yield PasteInput(
            value=kept_key, password=True, placeholder='paste here; export K="…" and quotes are fine', id="api-key"
        )
        yield Plain("", id="api-key-problem", classes="problem")
        yield from compose_profile_name(self.kept.suggested_profile_id.split(":", 1)[1] if self.kept else "")

    def on_mount(self) -> None:
        show_profile_preview(self, self.provider.id, self.query_one("#profile-name", Input).value)
        self.query_one("#use-env" if self.offer and not self.kept else "#api-key").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "profile-name":
            show_profile_preview(self, self.provider.id, event.value)
            return
        problem = self.flow.problem(event.value) if event.value.strip() else None
        ok = ""
        if event.value.strip() and not problem:  # only its shape can be told here, not whether it works
            key = normalize_api_key(event.value)
            ok = f"Read as {mask_secret(key)} ({len(key)} characters); Enter to continue."
        show_problem(self.query_one("#api-key-problem", Static), problem, ok)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._finish(None)

    def action_submit(self) -> None:
        """Enter: the environment's key when its button has focus, else the pasted one."""
        if isinstance(self.focused, Button):
            self._finish(None)
        else:
            self._finish(self.query_one("#api-key", PasteInput).value)

    def _finish(self, text: str | None) -> None:
        """`text` None takes the offered environment variable."""
        try:
            result = self.flow.finish(text, self.query_one("#profile-name", Input).value)
        except LoginError as exc:
            show_problem(self.query_one("#api-key-problem", Static), exc.message, "")
            return
        self.dismiss(result)
