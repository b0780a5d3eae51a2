"""What every wizard step shares: the trail of steps at the top, the Footer, and Esc for "back"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.core.secret_input import slug_profile_name
from coderclaw_tui.flows.events import LoginCancelled, LoginFlow, LoginResult
from coderclaw_tui.flows.onboarding import BACK, Back, Step
from coderclaw_tui.providers.catalogue import AuthMethod, Provider
from coderclaw_tui.providers.specs import OAuthClient
from coderclaw_tui.widgets.body import Body
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    import httpx

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


class FlowLoginScreen(WizardScreen[LoginResult]):
    """A sign-in step that runs a login flow: it starts on mount, a failure shows one sentence with the way
    forward (r starts again), and Esc cancels the flow before going back, so a callback port is free at once.

    Given a `kept` login (the user came back from Confirm), it does not start again: it says who is signed in,
    Enter goes on with that login, r signs in afresh."""

    STEP = Step.LOGIN
    SPEC: ClassVar[type]
    """The spec type (`PkceSpec`, `DeviceSpec`) this screen's engine runs."""
    KIND: ClassVar[str]
    """What the sign-in is called in the message for a method without such a spec."""
    BINDINGS = [
        Binding("enter", "keep", "Continue", id="keep", tooltip="Go on to Confirm with this sign-in"),
        *command_bindings("r", "ctrl+r", "retry", "Start again", "Start a new sign-in"),
    ]

    def __init__(
        self,
        services: Services,
        provider: Provider,
        method: AuthMethod,
        client: OAuthClient | None = None,
        kept: LoginResult | None = None,
    ) -> None:
        super().__init__(services)
        self.provider = provider
        self.method = method
        self.client = client
        """The OAuth client the user confirmed on the step before (None: the method's own)."""
        self.kept = kept
        self.flow: LoginFlow | None = None
        self.failed = self.can_retry = False

    def heading(self) -> str:
        return f"Sign in to {self.provider.label}"

    def compose_fixed(self) -> ComposeResult:
        yield Plain("", id="kept-login")
        yield Plain("", id="login-error", classes="problem")

    def on_mount(self) -> None:
        if self.kept is None:
            self.start_login()
            return
        who = f" as {self.kept.identity}" if self.kept.identity else ""
        kept = self.query_one("#kept-login", Static)
        kept.update(f"You are signed in{who} already. Press Enter to go on to Confirm, or r to sign in again.")
        kept.display = True
        self.on_kept()

    def make_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        raise NotImplementedError

    def on_kept(self) -> None:
        """Show the screen's finished state for a kept login."""

    def on_start(self) -> None:
        """Reset what a previous attempt left on screen."""

    def on_fail(self) -> None:
        """Clear what no longer applies once the login has ended."""

    @work(exclusive=True, exit_on_error=False, group="login")
    async def start_login(self) -> None:
        if not isinstance(self.method.spec, self.SPEC):
            self.fail(
                f"{self.provider.label} declares no {self.KIND} details, so coderclaw cannot run it; press Esc and "
                "choose another method.",
                retry=False,
            )
            return
        self.failed = False
        self.kept = None
        self.query_one("#kept-login").display = False
        self.query_one("#login-error", Static).update("")
        self.on_start()
        self.refresh_bindings()
        async with self.services.http_client() as http:
            self.flow = self.make_flow(http)
            try:
                result = await self.flow.run()
            except LoginCancelled:
                return  # Esc: the screen is already going away
            except CoderclawError as exc:  # a LoginError, or a setting such as a bad callback port
                self.fail(exc.message)
                return
        self.dismiss(result)

    def fail(self, message: str, *, retry: bool = True) -> None:
        self.failed, self.can_retry = True, retry
        self.on_fail()
        key = "ctrl+r" if self.typing else "r"
        self.query_one("#login-error", Static).update(
            f"{message} Press {key} to start again, or Esc to go back." if retry else message
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return (self.failed and self.can_retry) or self.kept is not None
        if action == "keep":
            return self.kept is not None
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.flow is not None:
            self.flow.cancel()
        super().action_back()

    def action_retry(self) -> None:
        self.start_login()

    def action_keep(self) -> None:
        if self.kept is not None:
            self.dismiss(self.kept)


def compose_profile_name(initial: str = "") -> ComposeResult:
    """The name field of the secret-entry steps, and the line under it saying which id it makes."""
    yield Label("Profile name (blank = default)")
    yield TextField(value=initial, placeholder="default", id="profile-name")
    yield Plain("", id="profile-preview", classes="hint")


def show_profile_preview(screen: Screen[Any], provider_id: str, name: str) -> None:
    screen.query_one("#profile-preview", Static).update(
        f"Saved as {provider_id}:{slug_profile_name(name)} after you confirm."
    )


def show_problem(widget: Static, problem: str | None, ok_text: str) -> None:
    """The live line under a secret field: what is wrong, or a masked confirmation of what was read."""
    widget.set_class(problem is not None, "-error")
    widget.set_class(problem is None and bool(ok_text), "-ok")
    widget.update(problem or ok_text)
