"""A yes/no question over the current screen, for actions that cannot be undone."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer

from coderclaw_tui.widgets.choice_button import ChoiceButton
from coderclaw_tui.widgets.plain import Plain, fold_path

BOX_WIDTH = 76
BOX_CHROME = 6
"""The box's border and padding, left and right: what is left of BOX_WIDTH for the text."""


class ConfirmDialog(ModalScreen[bool]):
    """Answers True only for an explicit yes (the `#confirm-yes` button or `y`); Esc and `n` answer no. A `path`
    shows on lines of its own (`#confirm-path`), folded at `/` to the width of the box."""

    CSS_PATH = "../styles/confirm_dialog.tcss"
    BINDINGS = [
        Binding("enter", "choose", "Answer", id="choose", tooltip="Answer with the highlighted button"),
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]

    def __init__(self, question: str, *, confirm_label: str = "Yes", path: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Plain(self.question, id="confirm-question")
            if self.path is not None:
                yield Plain(self._folded(self.app.size.width), id="confirm-path")
            with Horizontal(id="confirm-buttons"):
                yield ChoiceButton("Cancel", id="confirm-no")
                yield ChoiceButton(f"{self.confirm_label} (y)", id="confirm-yes", variant="error")
        yield Footer()

    def _folded(self, screen_width: int) -> str:
        assert self.path is not None
        return fold_path(self.path, min(BOX_WIDTH, screen_width) - BOX_CHROME)

    def on_resize(self, event: events.Resize) -> None:
        if self.path is not None:
            self.query_one("#confirm-path", Plain).update(self._folded(event.size.width))

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_choose(self) -> None:
        """Enter answers with the focused button (Cancel unless moved)."""
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
