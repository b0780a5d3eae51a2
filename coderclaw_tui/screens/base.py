"""What every wizard step shares: the trail of steps at the top, the Footer, and Esc for "back"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
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
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    import httpx

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
    ENTER_ACTION: ClassVar[str | None] = None
    """The action Enter runs when a field of this step has focus."""
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

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field runs the step's ENTER_ACTION. Not a priority binding: that would act as the key
        arrives, before the keys typed just ahead of it (still queued for the field) had landed."""
        if self.ENTER_ACTION is not None:
            event.stop()
            getattr(self, f"action_{self.ENTER_ACTION}")()

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
    forward (r starts again), and Esc cancels the flow before going back, so a callback port is free at once."""

    STEP = Step.LOGIN
    SPEC: ClassVar[type]
    """The spec type (`PkceSpec`, `DeviceSpec`) this screen's engine runs."""
    KIND: ClassVar[str]
    """What the sign-in is called in the message for a method without such a spec."""

    def __init__(self, services: Services, provider: Provider, method: AuthMethod, client: OAuthClient | None = None) -> None:
        super().__init__(services)
        self.provider = provider
        self.method = method
        self.client = client
        """The OAuth client the user confirmed on the step before (None: the method's own)."""
        self.flow: LoginFlow | None = None
        self.failed = self.can_retry = False

    def make_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        raise NotImplementedError

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
        self.query_one("#login-error", Static).update("")
        self.on_start()
        self.refresh_bindings()
        async with self.services.http_client() as http:
            self.flow = self.make_flow(http)
            try:
                result = await self.flow.run()
            except LoginCancelled:
                return
            except CoderclawError as exc:  # a LoginError, or a setting such as a bad callback port
                self.fail(exc.message)
                return
        self.dismiss(result)

    def fail(self, message: str, *, retry: bool = True) -> None:
        self.failed, self.can_retry = True, retry
        self.on_fail()
        self.query_one("#login-error", Static).update(
            f"{message} Press r to start again, or Esc to go back." if retry else message
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.failed and self.can_retry
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.flow is not None:
            self.flow.cancel()
        super().action_back()

    def action_retry(self) -> None:
        self.start_login()


def compose_profile_name(initial: str = "") -> ComposeResult:
    """The name field of the secret-entry steps, and the line under it saying which id it makes."""
    yield Label("Profile name (blank = default)")
    yield Input(value=initial, placeholder="default", id="profile-name")
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
