"""Before an OAuth login starts: the provider's warning, acknowledged, and the client id the user brings.

Shown only for methods that need it (`needs_prepare`): Gemini CLI (consumer login ended, account risk), Qwen
(free tier ended), Chutes (your own OAuth app). The client id field is prefilled from CoderClaw's environment
variables, or from an installed Gemini CLI, so Enter alone usually continues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Static

from coderclaw_tui.auth.callback_server import redirect_uri_for
from coderclaw_tui.flows.onboarding import Prepared, Step
from coderclaw_tui.providers.catalogue import AuthMethod, Provider
from coderclaw_tui.providers.clients import resolve_client, suggested_client_id
from coderclaw_tui.providers.specs import DeviceSpec, OAuthClient, PkceSpec, pkce_spec_from_env
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    from coderclaw_tui.services import Services


class PrepareLoginScreen(WizardScreen[Prepared]):
    """Ids: `#prepare-warning` (the warning, when the method has one), `#client-id` (Input, when the user brings
    the client), `#client-help`, `#redirect-uri`, `#prepare-problem`. Enter continues; Esc goes back."""

    STEP = Step.LOGIN
    CSS_PATH = "../styles/prepare_login.tcss"
    BINDINGS = [Binding("enter", "proceed", "Continue", id="proceed")]

    def __init__(self, services: Services, provider: Provider, method: AuthMethod) -> None:
        super().__init__(services)
        self.provider = provider
        self.method = method
        spec = method.spec
        self.spec = spec if isinstance(spec, (PkceSpec, DeviceSpec)) else None
        self.asks_client = self.spec is not None and self.spec.client.ask

    def heading(self) -> str:
        return f"{self.provider.label} · {self.method.label}"

    def compose_body(self) -> ComposeResult:
        if self.method.warning:
            yield Plain(self.method.warning, id="prepare-warning", classes="warning")
        if self.asks_client and self.spec is not None:
            client = self.spec.client
            yield Label("OAuth client id")
            yield TextField(
                value=suggested_client_id(client, self.services.env), placeholder=client.placeholder, id="client-id"
            )
            where = f" (from {' / '.join(client.id_env)})" if client.id_env else ""
            yield Plain(f"{client.help} Prefilled{where} when set.", id="client-help", classes="hint")
            if isinstance(self.spec, PkceSpec):
                spec = pkce_spec_from_env(self.spec, self.services.env, strict=False)
                uri = redirect_uri_for(spec.callback_port, host=spec.redirect_host, path=spec.callback_path)
                yield Plain(f"Redirect URI to register: {uri}", id="redirect-uri", classes="hint")
        yield Plain("", id="prepare-problem", classes="problem")
        action = "I understand; press Enter to continue." if self.method.warning else "Press Enter to continue."
        yield Plain(action, classes="hint")

    def on_mount(self) -> None:
        if self.asks_client:
            self.query_one("#client-id", Input).focus()

    def action_proceed(self) -> None:
        if not self.asks_client or self.spec is None:
            self.dismiss(Prepared())
            return
        entered = self.query_one("#client-id", Input).value.strip()
        if not entered or any(c.isspace() or ord(c) < 32 for c in entered):
            self.query_one("#prepare-problem", Static).update(
                "Enter the OAuth client id (no spaces); the login cannot start without one."
            )
            return
        client = resolve_client(self.spec.client, self.services.env, entered=entered)
        assert client is not None
        self.dismiss(Prepared(OAuthClient(client.client_id, client.secret)))
