"""What every wizard step shares: the trail of steps at the top, the Footer, and Esc for "back"."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import events
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from coderclaw_tui.flows.onboarding import BACK, Back, Step
from coderclaw_tui.widgets.body import Body
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    from coderclaw_tui.services import Services

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


def command_bindings(letter: str, ctrl: str, action: str, description: str, tooltip: str = "") -> list[Binding]:
    """One screen command under the key model: `letter` while no text field has focus, `ctrl` while one has.
    The Footer shows whichever of the two works at that moment."""
    return [
        Binding(letter, f"command('{action}', False)", description, id=action, tooltip=tooltip),
        Binding(ctrl, f"command('{action}', True)", description, id=f"{action}-in-field", tooltip=tooltip),
    ]


class WizardScreen(Screen[T | Back]):
    """A step: the trail and heading on top, a scrolling body, a fixed area under it, and the Footer.
    Subclasses fill `compose_body` (and `compose_fixed`) and end with `dismiss(result)` or Esc.

    The key model (every step follows it, so a typed or pasted character is never lost and a key never surprises):
    1. A focused text field owns every printable key. No binding on a printable key is `priority`; the field
       consumes printable characters before any screen binding sees them, so a burst of typed text (c, o, a, r,
       q, j, k, / ...) always lands whole.
    2. A screen command has a letter for when no text field has focus and a ctrl key for when one does; declare
       both with `command_bindings("c", "ctrl+y", "copy_url", "Copy URL")`. The Footer shows the one that works.
       Keys already taken by the text field (ctrl+a/e/k/u/w/x/v/d, ctrl+c) or by terminals (ctrl+s/q) are not used;
       in use: ctrl+y copy, ctrl+o open, ctrl+r start again, ctrl+g approve (sandbox). A step with no text field
       may bind plain letters.
    3. Enter is the screen's `enter` binding (with its description, so the Footer says what Enter does); text
       fields are `TextField`s and lists `ChoiceList`s, which leave Enter to the screen. Where Enter does nothing,
       it is not bound.
    4. Up and Down move the highlight of the screen's list, also while its filter field has focus: the body
       (`Body`) takes no arrow keys, and a list that must stay usable gets `height: 1fr` instead of scrolling the
       page. PageUp/PageDown scroll the body on a terminal too small for it.
    5. A paste that arrives while no text field has focus goes to `PASTE_TARGET` (a button or link must not
       swallow it).
    6. Esc goes back one step (a screen may first clear its filter); ctrl+c leaves from anywhere.
    7. What must stay visible at 80x24 (a paste field, its errors, a countdown) goes in `compose_fixed`, below
       the body, so scrolling or a resize never moves it off screen; the heading sits above the body.
    """

    STEP: ClassVar[Step]
    PASTE_TARGET: ClassVar[str | None] = None
    """The selector of the field a stray paste belongs in (rule 5)."""
    BINDINGS = [Binding("escape", "back", "Back", id="back", tooltip="Go back one step")]

    def __init__(self, services: Services, *, can_go_back: bool = True) -> None:
        super().__init__()
        self.services = services
        self.can_go_back = can_go_back
        self.answer: asyncio.Future[object] | None = None
        """Set by the app's wizard flow when it shows this step (`CoderclawApp.ask`): `dismiss` hands the answer
        over here and leaves the screen where it is, for the flow to replace with the next step."""

    def dismiss(self, result: T | Back | None = None) -> AwaitComplete:
        """Textual's dismiss (the result to whoever pushed the screen, which is popped), unless the wizard flow
        shows this step: then the answer goes to the flow, once (a second Enter before the next step shows is
        dropped)."""
        if self.answer is None:
            return super().dismiss(result)
        if not self.answer.done():
            self.answer.set_result(result)
        return AwaitComplete.nothing()

    def compose(self) -> ComposeResult:
        yield Plain(trail(self.STEP), id="trail")
        yield Plain(self.heading(), id="heading", classes="heading")
        with Body(id="body"):
            yield from self.compose_body()
        with Vertical(id="fixed"):
            yield from self.compose_fixed()
        yield Footer(compact=True)

    def heading(self) -> str:
        return ""

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_fixed(self) -> ComposeResult:
        yield from ()

    @property
    def typing(self) -> bool:
        """A text field has focus, so printable keys are text (rule 1)."""
        return isinstance(self.focused, Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command":
            name, in_field = parameters
            if bool(in_field) != self.typing:
                return False
            return self.check_action(str(name), ())
        if action == "back":
            return self.can_go_back
        return True

    async def action_command(self, name: str, in_field: bool) -> None:
        """A command's letter or ctrl key (rule 2): runs the command if it applies now."""
        if self.check_action(name, ()):
            await self.app.run_action(name, self)

    def on_descendant_focus(self) -> None:
        """Letters and ctrl keys swap in the Footer as focus moves into or out of a text field."""
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    def on_paste(self, event: events.Paste) -> None:
        """Rule 5: a paste with no text field focused lands in PASTE_TARGET, added to what is there."""
        if self.PASTE_TARGET is None or self.typing or not event.text:
            return
        event.stop()
        target = self.query_one(self.PASTE_TARGET, Input)
        target.focus()
        target.post_message(events.Paste(event.text))

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
