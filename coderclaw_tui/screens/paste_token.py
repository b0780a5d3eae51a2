"""Sign-in by pasting a token: Anthropic's setup-token (strictly checked) or another provider's static token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Static

from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.secret_input import strip_all_whitespace
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.flows.onboarding import Step
from coderclaw_tui.flows.secret_entry import SUBSCRIPTION_NOTE, TokenPaste
from coderclaw_tui.providers.catalogue import Provider
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.screens.secret_fields import compose_profile_name, show_problem, show_profile_preview
from coderclaw_tui.widgets.paste_input import PasteInput
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    from coderclaw_tui.services import Services


class PasteTokenScreen(WizardScreen[LoginResult]):
    """Ids: `#token` (masked PasteInput), `#token-problem` (live check), `#profile-name` (Input, blank =
    default), `#profile-preview`. Enter in either field saves if the token is valid."""

    STEP = Step.LOGIN
    CSS_PATH = "../styles/secret_entry.tcss"
    PASTE_TARGET = "#token"
    BINDINGS = [Binding("enter", "submit", "Continue", id="submit")]

    def __init__(
        self,
        services: Services,
        provider: Provider,
        *,
        name: str = "",
        expires_in_ms: int | None = None,
        kept: LoginResult | None = None,
    ) -> None:
        super().__init__(services)
        self.provider = provider
        self.flow = TokenPaste(provider.id)
        self.initial_name = kept.suggested_profile_id.split(":", 1)[1] if kept else name
        self.expires_in_ms = expires_in_ms
        self.kept = kept
        """The token entered before the user went back from Confirm: shown again, so Enter goes on with it."""

    def heading(self) -> str:
        return "Anthropic setup-token" if self.flow.is_setup_token else f"Paste a {self.provider.label} token"

    def compose_body(self) -> ComposeResult:
        if self.flow.is_setup_token:
            yield Plain(
                "Run `claude setup-token` in a terminal where Claude Code is installed (any machine), "
                "then paste the token it prints."
            )
            yield Plain(SUBSCRIPTION_NOTE, classes="note")
        yield Label("Token (hidden as you paste)")
        kept_token = str(self.kept.credential.get("token", "")) if self.kept else ""
        yield PasteInput(value=kept_token, password=True, placeholder="paste here", id="token")
        yield Plain("", id="token-problem", classes="problem")
        yield from compose_profile_name(self.initial_name)

    def on_mount(self) -> None:
        show_profile_preview(self, self.provider.id, self.initial_name)
        self.query_one("#token", PasteInput).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "profile-name":
            show_profile_preview(self, self.provider.id, event.value)
            return
        text = event.value
        problem = self.flow.problem(text) if text.strip() else None
        token = strip_all_whitespace(text)
        if not token:
            ok = "Waiting for a paste."
        elif self.flow.is_setup_token:  # checked strictly: prefix, length, no code#state
            ok = f"Looks right: {mask_secret(token)} ({len(token)} characters)."
        else:
            ok = f"Read as {mask_secret(token)} ({len(token)} characters); Enter to continue."
        show_problem(self.query_one("#token-problem", Static), problem, ok)

    def action_submit(self) -> None:
        token = self.query_one("#token", PasteInput).value
        name = self.query_one("#profile-name", Input).value
        expires = None if self.expires_in_ms is None else int(self.services.clock() * 1000) + self.expires_in_ms
        try:
            result = self.flow.finish(token, name, expires)
        except LoginError as exc:
            show_problem(self.query_one("#token-problem", Static), exc.message, "")
            self.query_one("#token", PasteInput).focus()
            return
        self.dismiss(result)
