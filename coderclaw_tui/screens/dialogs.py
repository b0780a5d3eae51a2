"""Modal questions the wizard asks between steps."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer

from coderclaw_tui.core.errors import StoreCorrupt
from coderclaw_tui.widgets.choice_button import ChoiceButton
from coderclaw_tui.widgets.plain import Plain


class CorruptStoreDialog(ModalScreen[bool]):
    """True: move the unreadable store aside (renamed, never deleted) and start fresh. Ids: `#move-aside`,
    `#keep-store` (Buttons). Esc answers no."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS = [
        Binding("enter", "choose", "Choose", id="choose", tooltip="Answer with the highlighted button"),
        Binding("escape", "keep", "Leave it", id="keep"),
    ]

    def __init__(self, problem: StoreCorrupt) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Plain("This agent's auth store cannot be read", classes="heading")
            yield Plain(f"{self.problem.path}\n{self.problem.reason}", id="corrupt-detail")
            yield Plain(
                f"coderclaw never overwrites it. Move it aside to {self.problem.path.name}.corrupt-<time> "
                "(nothing is deleted) and start a fresh store?"
            )
            with Horizontal(id="dialog-buttons"):
                yield ChoiceButton("Move it aside", id="move-aside", variant="warning")
                yield ChoiceButton("Leave it", id="keep-store")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#keep-store", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "move-aside")

    def action_choose(self) -> None:
        """Enter answers with the focused button."""
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_keep(self) -> None:
        self.dismiss(False)
