"""Step 2: the provider and login method, grouped by vendor and narrowed as you type."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from coderclaw_tui.flows.onboarding import MethodChoice, Step
from coderclaw_tui.providers.catalogue import AuthMethod, Provider, all_providers
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.widgets.choice_list import ChoiceList
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    from coderclaw_tui.services import Services


def option_id(provider: Provider, method: AuthMethod) -> str:
    return f"{provider.id}/{method.id}"


def matches(words: list[str], provider: Provider, method: AuthMethod) -> bool:
    """Every typed word appears somewhere in what the user can see or would call it."""
    haystack = " ".join(
        (provider.id, provider.label, provider.group, method.label, method.hint, *provider.aliases)
    ).lower()
    return all(word in haystack for word in words)


class ChooseMethodScreen(WizardScreen[MethodChoice]):
    """Ids: `#method-filter` (TextField, keeps focus; Up/Down move the highlight, Enter picks it) and `#methods`
    (OptionList filling the rest of the screen; an option per method, id `<provider>/<method>`, vendor headers
    disabled)."""

    STEP = Step.METHOD
    CSS_PATH = "../styles/choose_method.tcss"
    BINDINGS = [
        Binding("down", "move(1)", "Next", key_display="↓", show=False),
        Binding("up", "move(-1)", "Previous", key_display="↑", show=False),
        Binding("enter", "pick", "Choose", id="pick"),
    ]

    def __init__(self, services: Services, current: MethodChoice | None = None) -> None:
        super().__init__(services)
        self.current = current
        self.choices: dict[str, MethodChoice] = {}
        for provider in all_providers():
            for method in provider.methods:
                self.choices[option_id(provider, method)] = MethodChoice(provider, method)

    def heading(self) -> str:
        return "How do you want to sign in?  (↑↓ choose, type to filter)"

    def compose_body(self) -> ComposeResult:
        yield TextField(placeholder="Type to filter: codex, claude, key, copilot…", id="method-filter")
        yield ChoiceList(id="methods")
        yield Plain("", id="method-empty", classes="hint")

    def on_mount(self) -> None:
        self._rebuild("")
        if self.current is not None:
            self._highlight(option_id(self.current.provider, self.current.method))
        self.query_one("#method-filter", Input).focus()

    def _rebuild(self, text: str) -> None:
        words = text.lower().split()
        methods = self.query_one("#methods", OptionList)
        methods.clear_options()
        group = None
        shown = 0
        for key, choice in self.choices.items():
            if not matches(words, choice.provider, choice.method):
                continue
            if choice.provider.group != group:
                group = choice.provider.group
                methods.add_option(Option(Content.styled(group, "bold"), disabled=True))
            prompt = Content.assemble(("  " + choice.provider.label, "bold"), " · ", choice.method.label)
            if choice.method.hint:
                prompt += Content.styled("  " + choice.method.hint, "dim")
            methods.add_option(Option(prompt, id=key))
            shown += 1
        self.query_one("#method-empty", Static).update(
            "" if shown else "Nothing matches; clear the filter with ctrl+u."
        )
        methods.action_first()

    def _highlight(self, key: str) -> None:
        methods = self.query_one("#methods", OptionList)
        with suppress(OptionDoesNotExist):  # filtered out: the first match stays highlighted
            methods.highlighted = methods.get_option_index(key)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._rebuild(event.value)

    def action_back(self) -> None:
        """Esc clears a filter first, then goes back a step."""
        search = self.query_one("#method-filter", Input)
        if search.value:
            search.value = ""
        else:
            super().action_back()

    def action_move(self, step: int) -> None:
        methods = self.query_one("#methods", OptionList)
        methods.action_cursor_down() if step > 0 else methods.action_cursor_up()

    def action_pick(self) -> None:
        methods = self.query_one("#methods", OptionList)
        if methods.highlighted is None:
            return
        option = methods.get_option_at_index(methods.highlighted)
        if option.id in self.choices:
            self.dismiss(self.choices[option.id])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A mouse click on an option."""
        event.stop()
        if event.option.id in self.choices:
            self.dismiss(self.choices[event.option.id])
