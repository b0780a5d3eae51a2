"""What every wizard step shares: the trail of steps at the top, the Footer, and Esc for "back"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from coderclaw_tui.flows.onboarding import BACK, Back, Step
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    from coderclaw_tui.app import Services

T = TypeVar("T")
log = logging.getLogger(__name__)

TRAIL = (
    (Step.AGENT, "Agent"),
    (Step.METHOD, "Method"),
    (Step.LOGIN, "Sign in"),
    (Step.CONFIRM, "Confirm"),
    (Step.DONE, "Done"),
)


def trail(current: Step) -> Content:
    """`Agent › Method › Sign in › Confirm › Done` with the current step stood out."""
    parts = [Content.styled(label, "bold reverse" if step is current else "dim") for step, label in TRAIL]
    return Content(" › ").join(parts)


class WizardScreen(Screen[T | Back]):
    """A step: subclasses compose their body in `compose_body` and end with `dismiss(result)` or Esc."""

    STEP: ClassVar[Step]
    BINDINGS = [Binding("escape", "back", "Back", id="back", tooltip="Go back one step")]

    def __init__(self, services: Services, *, can_go_back: bool = True) -> None:
        super().__init__()
        self.services = services
        self.can_go_back = can_go_back

    def compose(self) -> ComposeResult:
        yield Plain(trail(self.STEP), id="trail")
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.can_go_back
        return True

    def action_back(self) -> None:
        self.dismiss(BACK)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that broke unexpectedly must not leave the step silently stuck."""
        if event.state is WorkerState.ERROR:
            log.error("a worker of %s failed", type(self).__name__, exc_info=event.worker.error)
            self.notify(
                "Something went wrong on this step (details are in the log file); press Esc to go back and try again.",
                severity="error",
                timeout=30,
            )

    def copy_text(self, text: str, what: str) -> None:
        """To the terminal's clipboard (OSC 52, works over SSH) and the system one (pyperclip, if reachable);
        the text stays on screen either way."""
        self.app.copy_to_clipboard(text)
        where = "the clipboard" if self.services.copy_text(text) else "the terminal's clipboard (OSC 52)"
        self.notify(f"Copied {what} to {where}.")


def show_problem(widget: Static, problem: str | None, ok_text: str) -> None:
    """The live line under a secret field: what is wrong, or a masked confirmation of what was read."""
    widget.set_class(problem is not None, "-error")
    widget.set_class(problem is None and bool(ok_text), "-ok")
    widget.update(problem or ok_text)
