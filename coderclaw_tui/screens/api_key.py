"""Sign-in with an API key: typed or pasted, or the one already in the environment."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from coderclaw_tui.commands.output import printable
from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.secret_input import normalize_api_key
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.flows.model_discovery import discover_models, discovery_url
from coderclaw_tui.flows.onboarding import Step
from coderclaw_tui.flows.secret_entry import ApiKeyEntry
from coderclaw_tui.providers.catalogue import Provider
from coderclaw_tui.providers.specs import ApiField
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.screens.secret_fields import compose_profile_name, show_problem, show_profile_preview
from coderclaw_tui.widgets.paste_input import PasteInput
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    from coderclaw_tui.services import Services

DISCOVERY_SETTLE_S = 0.6
"""After the base URL (or key) changes, how long typing must pause before the server is asked for its models."""


class ApiKeyScreen(WizardScreen[LoginResult]):
    """Ids: `#field-<name>` (an Input, or a Select for a choice, per extra field of the method: base URL, model id,
    account and gateway ids), `#use-env` (Button, present and focused when a known variable is set), `#api-key`
    (masked PasteInput), `#api-key-problem`, `#profile-name`, `#profile-preview` (absent when the key is kept in
    the config rather than the store), `#api-key-note`, `#model-discovery` (what the server said it has, for the
    methods that ask it)."""

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
        spec = self.flow.spec
        if spec.note:
            yield Plain(spec.note, id="api-key-note", classes="hint")
        for field in spec.fields:
            yield Label(field.label + ("" if field.required else " (optional)"))
            if field.kind == "choice":
                yield Select(
                    [(label, value) for value, label in field.choices],
                    value=field.default,
                    allow_blank=False,
                    id=f"field-{field.name}",
                )
            else:
                yield TextField(value=field.default, placeholder=field.default, id=f"field-{field.name}")
            if spec.discovery is not None and field.name == spec.discovery.model_field:
                yield Plain("", id="model-discovery", classes="hint")
        if spec.fixed_key:
            yield Plain(f"No key is needed; CoderClaw's placeholder {spec.fixed_key!r} is recorded.", classes="hint")
        elif self.offer is not None:
            yield Plain(f"{self.offer.variable} is set in this environment ({self.offer.preview}).")
            # Content: the label is plain text (a key's first characters could read as markup: `[/]` stops the app)
            use = Content(f"Use {self.offer.variable} ({printable(self.offer.preview)})")
            yield Button(use, id="use-env", variant="primary")
            yield Label("…or paste another key (hidden)")
        else:
            yield Label(f"{spec.key_label} (hidden as you paste)")
        if not spec.fixed_key:
            kept_key = str(self.kept.credential.get("key", "")) if self.kept else ""
            yield PasteInput(
                value=kept_key, password=True, placeholder='paste here; export K="…" and quotes are fine', id="api-key"
            )
        yield Plain("", id="api-key-problem", classes="problem")
        if spec.store == "profile":
            yield from compose_profile_name(self.kept.suggested_profile_id.split(":", 1)[1] if self.kept else "")

    def on_mount(self) -> None:
        self._discover_models(wait=False)
        if self.flow.spec.store == "profile":
            show_profile_preview(self, self.provider.id, self.query_one("#profile-name", Input).value)
        if self.kept and self.query("#api-key"):
            self.query_one("#api-key").focus()
        elif self.flow.spec.fields:
            self.query_one(f"#field-{self.flow.spec.fields[0].name}").focus()
        else:
            self.query_one("#use-env" if self.offer else "#api-key").focus()

    def field_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for field in self.flow.spec.fields:
            widget = self.query_one(f"#field-{field.name}")
            value = widget.value if isinstance(widget, (Input, Select)) else ""
            values[field.name] = value if isinstance(value, str) else ""
        return values

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "profile-name":
            show_profile_preview(self, self.provider.id, event.value)
            return
        discovery = self.flow.spec.discovery
        if discovery is not None and (
            event.input.id == f"field-{discovery.url_field}" or (event.input.id == "api-key" and discovery.send_key)
        ):
            self._discover_models(wait=True)
        if event.input.id and event.input.id.startswith("field-"):
            return
        problem = self.flow.problem(event.value) if event.value.strip() else None
        ok = ""
        if event.value.strip() and not problem:  # only its shape can be told here, not whether it works
            key = normalize_api_key(event.value)
            ok = f"Read as {mask_secret(key)} ({len(key)} characters); Enter to continue."
        show_problem(self.query_one("#api-key-problem", Static), problem, ok)

    @work(exclusive=True, group="model-discovery")
    async def _discover_models(self, wait: bool) -> None:
        """Ask the server the fields name for its models and offer them as completions of the model field; a
        newer call (the URL typed on) cancels this one, and `wait` lets typing settle first."""
        discovery = self.flow.spec.discovery
        if discovery is None:
            return
        if wait:
            await asyncio.sleep(DISCOVERY_SETTLE_S)
        base_url = self.field_values().get(discovery.url_field, "").strip()
        hint = self.query_one("#model-discovery", Plain)
        if self.flow.field_problem(self._field(discovery.url_field), base_url):
            hint.update("")
            return
        url = discovery_url(discovery, base_url)
        hint.update(f"Asking {url} for its models…")
        keys = self.query("#api-key")
        key = keys.first(PasteInput).value.strip() if keys else self.flow.spec.fixed_key
        async with self.services.http_client() as http:
            found = await discover_models(http, discovery, base_url, key)
        if not self.is_attached:  # the user went on meanwhile
            return
        model = self.query_one(f"#field-{discovery.model_field}", Input)
        model.suggester = SuggestFromList(found.models, case_sensitive=False) if found.models else None
        if found.models:
            shown = ", ".join(found.models[:4]) + (", …" if len(found.models) > 4 else "")
            hint.update(f"{len(found.models)} at {url}: {shown}. Type to complete; → takes the suggestion.")
        else:
            hint.update(f"No model list from {url} ({found.reason}); type the model id.")

    def _field(self, name: str) -> ApiField:
        return next(field for field in self.flow.spec.fields if field.name == name)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._finish(None)

    def action_submit(self) -> None:
        """Enter: the environment's key when its button has focus, else the pasted one."""
        keys = self.query("#api-key")
        if isinstance(self.focused, Button) or not keys:
            self._finish(None)
        else:
            self._finish(keys.first(PasteInput).value)

    def _finish(self, text: str | None) -> None:
        """`text` None takes the offered environment variable."""
        names = self.query("#profile-name")
        name = names.first(Input).value if names else ""
        try:
            result = self.flow.finish(text, name, self.field_values())
        except LoginError as exc:
            show_problem(self.query_one("#api-key-problem", Static), exc.message, "")
            return
        self.dismiss(result)
