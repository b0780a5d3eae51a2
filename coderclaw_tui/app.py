"""The Textual app: one factory (`make_app`) for the CLI, the tests and the snapshots.

The wizard is a single worker that pushes one screen per step and waits for its result, so the step order
lives in `flows.onboarding.Onboarding` and every screen is a typed `Screen[T]` that ends in `dismiss()`.
Collaborators that touch the outside world (clock, HTTP, browser, clipboard, ports) come in `Services`, so a
test swaps them for fakes without patching.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NamedTuple

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import Screen

from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.flows.onboarding import BACK, Onboarding, SavedLogin, Step, WizardStart, target_store_problem
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.services import Services
from coderclaw_tui.terminal_safe import TERMINAL_SAFE

if TYPE_CHECKING:
    from coderclaw_tui.screens.profiles import WizardRequest

log = logging.getLogger(__name__)
UNEXPECTED = (
    "coderclaw: the wizard stopped on an unexpected error; nothing half-done was written. Details are in the log file."
)

INTERRUPTED = 130
"""The app's return code when a SIGINT came before it had started: the command ends as a Ctrl-C does."""


class ProfilesStart(NamedTuple):
    """Open the profile browser instead of the wizard (`coderclaw profiles [--agent ID]`)."""

    agent_id: str | None = None


class CoderclawApp(App[SavedLogin | None]):
    """Runs the onboarding wizard, or the profile browser; the result is the last login saved, or None."""

    CSS_PATH = ["styles/app.tcss", "styles/choose_agent.tcss"]
    """The first screen's own stylesheet is read with the app's: a screen's `CSS_PATH` read when it is pushed makes
    Textual parse every stylesheet again, which the first screen would pay for before it shows (the other screens
    still bring theirs when pushed)."""
    TITLE = "coderclaw"
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True, id="quit", tooltip="Leave now; nothing half-done is written"),
        Binding("q", "quit", "Quit", show=False, id="quit-q"),
    ]

    def __init__(self, services: Services, start: WizardStart | ProfilesStart) -> None:
        super().__init__()
        self.services = services
        self.start = start
        self.wizard = Onboarding(start if isinstance(start, WizardStart) else WizardStart())
        self.last_saved: SavedLogin | None = None
        self.interrupted = False
        """A SIGINT came before the app had loaded (see `interrupt_before_start`)."""
        self._checked_agent: str | None = None
        self._first_step: WizardScreen[Any] | None = None
        """The wizard's first step while it waits to be asked, as the app's first screen (`get_default_screen`)."""
        if services.sandbox is not None:
            self.sub_title = "sandbox"

    def interrupt_before_start(self, signum: int, frame: object) -> None:
        """The SIGINT handler from just before the app runs until it has loaded (`run_wizard` sets it): it only
        remembers the interrupt, and `on_load` ends the app with it (the command's sentence and 130). Raising
        KeyboardInterrupt, as Python's own handler does, could land anywhere in asyncio's start: inside the event
        loop's constructor it left a half-made loop, whose traceback printed as it was freed. Not being Python's
        own handler also keeps asyncio from turning a SIGINT into cancelling the app's task, which took the screens
        down under one being set up (an unexpected error, exit 70)."""
        self.interrupted = True

    def on_load(self) -> None:
        """From here a SIGINT (`kill -INT`, or a Ctrl-C typed as the terminal was taken over) is the Ctrl-C key:
        leave now. One that came before is looked for after the key took over, so none falls between the two."""
        with suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.call_next, self.action_quit)
        if self.interrupted:
            self.exit(None, return_code=INTERRUPTED)

    def on_unmount(self) -> None:
        with suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)

    def get_default_screen(self) -> Screen[Any]:
        """The wizard's first step, when it asks for the agent, is the app's first screen instead of a screen pushed
        over Textual's blank one: a second screen to compose, style and push cost the start about 5 ms of some 230
        (benchmarks/wizard_startup.py: 1.18x to 1.16x a minimal app). It cannot be popped: once answered it stays
        under the later steps, never shown again. A start at a later step checks the agent's store before its
        first step (`_target_store_ready`), so that step is pushed as the others are."""
        if isinstance(self.start, WizardStart) and self.wizard.step is Step.AGENT:
            self._first_step = self._screen_for(Step.AGENT)
            return self._first_step
        return super().get_default_screen()

    def on_mount(self) -> None:
        if isinstance(self.start, ProfilesStart):
            self.open_profiles(self.start.agent_id)
        else:
            self.run_wizard(self.start)

    async def action_quit(self) -> None:
        """Leave now; a login already saved is still reported, anything unconfirmed is simply dropped."""
        self.exit(self.last_saved)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Always plain text (whatever `markup` a caller passes, as widgets pass Textual's default): messages carry
        profile ids, emails and paths read from files and servers, where a stray `[/]` would fail to render and
        stop the app, and `[@click=…]` would make the text run an action."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's own (NO_COLOR and the like), then the guard that keeps control characters read from files or
        servers from the terminal (terminal_safe)."""
        return [*super().get_line_filters(), TERMINAL_SAFE]

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The system commands, plus every key of a screen that offers them (the profile browser)."""
        yield from super().get_system_commands(screen)
        palette_commands = getattr(screen, "palette_commands", None)
        if palette_commands is not None:
            yield from palette_commands()

    def open_profiles(self, agent_id: str | None = None) -> None:
        from coderclaw_tui.flows.profiles import ProfileBrowser
        from coderclaw_tui.screens.profiles import ProfilesScreen

        browser = ProfileBrowser(self.services.sink, self.services.env)
        self.push_screen(
            ProfilesScreen(browser, self.services.clock, agent_filter=agent_id, open_wizard=self.wizard_from_profiles)
        )

    def wizard_from_profiles(self, request: WizardRequest) -> None:
        """"Add" and "log in again" in the browser: the wizard over it; the browser sees the result on disk."""
        start = WizardStart(agent_id=request.agent_id, provider_id=request.provider)
        self.run_wizard(start, nested=True, done=request.done)

    @work(exclusive=True, exit_on_error=False, group="wizard")
    async def run_wizard(
        self, start: WizardStart, nested: bool = False, done: Callable[[SavedLogin | None], None] | None = None
    ) -> None:
        """Each step is a screen pushed and awaited; the controller says which comes next.

        Opened from the profile browser (`nested`), Esc on the first step and saving both go back there.
        """
        try:
            saved = await self._run_steps(start, nested)
            if done is not None:
                done(saved)
            if nested or saved is None:
                return
            from coderclaw_tui.screens.done import DoneScreen

            if await self.ask(DoneScreen(self.services, saved, offer_profiles=True)):
                self._leave_step()
                self.open_profiles(saved.agent_id)
                return
            self.exit(saved)
        except Exception:
            log.exception("the wizard stopped on an unexpected error")
            self.exit(None, return_code=70, message=UNEXPECTED)

    async def _run_steps(self, start: WizardStart, nested: bool) -> SavedLogin | None:
        self.wizard = Onboarding(start)
        self._checked_agent = None
        first = self.wizard.step
        while self.wizard.step is not Step.DONE:
            if not await self._target_store_ready():
                continue
            at_first = nested and self.wizard.step is first
            # the first step is already built, as the app's first screen; every later one is made when it comes
            screen, self._first_step = self._first_step or self._screen_for(self.wizard.step), None
            if at_first:
                screen.can_go_back = True
            result = await self.ask(screen)
            if at_first and result is BACK:
                break
            self.wizard.answer(result)
        if nested:
            self._leave_step()  # back to the browser
        if self.wizard.step is not Step.DONE:  # Esc on the first step
            return None
        self.last_saved = self.wizard.saved
        if nested and self.last_saved is not None:
            self.notify(f"Saved {self.last_saved.profile_id or self.last_saved.agent_id}.", title="Logged in")
            if self.last_saved.config_warning:
                self.notify(self.last_saved.config_warning, severity="warning", timeout=30)
        return self.last_saved

    async def ask(self, screen: WizardScreen[Any]) -> object:
        """Shows a step and waits for its answer. The step shown before goes in the same moment (pop and push with
        nothing awaited between), so no frame of what lies under the steps is painted between two of them: a blank
        screen flashed at every step when each step popped itself."""
        screen.answer = asyncio.get_running_loop().create_future()
        self._leave_step()
        if screen is not self.screen:
            self.push_screen(screen)
        return await screen.answer

    def _leave_step(self) -> None:
        """The step on top goes; the app's first screen (the first step, see `get_default_screen`) cannot."""
        if isinstance(self.screen, WizardScreen) and len(self.screen_stack) > 1:
            self.pop_screen()

    def _fatal_error(self) -> None:
        """Textual's own handler prints a traceback with local variables (secrets among them) to the terminal:
        log it to the file instead, without locals, and leave one sentence through the public `exit()`."""
        log.error("unhandled error in the app", exc_info=True)
        self.exit(None, return_code=70, message=UNEXPECTED)

    async def _target_store_ready(self) -> bool:
        """Before any step that will write to an agent's store, make sure that store can be written."""
        agent = self.wizard.agent
        if self.wizard.step is Step.AGENT or agent is None or agent.create or self._checked_agent == agent.agent_id:
            return True
        problem = target_store_problem(self.services.sink, agent.agent_id)
        if problem is None:
            self._checked_agent = agent.agent_id
            return True
        from coderclaw_tui.screens.dialogs import CorruptStoreDialog

        if await self.push_screen_wait(CorruptStoreDialog(problem)):
            try:
                moved = await asyncio.to_thread(self.services.sink.move_aside, agent.agent_id)
            except (OSError, CoderclawError) as exc:
                self.notify(f"Could not move {problem.path} aside ({exc}); fix it by hand.", severity="error")
            else:
                self.notify(f"Moved the unreadable store to {moved}; starting fresh.", title="Nothing deleted")
                self._checked_agent = agent.agent_id
                return True
        self.wizard.restart_at_agent()
        return False

    def _screen_for(self, step: Step) -> WizardScreen[Any]:
        """Screens are imported when first shown: only the first one stands between start-up and a usable app."""
        wizard, services = self.wizard, self.services
        if step is Step.AGENT:
            from coderclaw_tui.screens.choose_agent import ChooseAgentScreen

            return ChooseAgentScreen(services, current=wizard.agent)
        if step is Step.METHOD:
            from coderclaw_tui.screens.choose_method import ChooseMethodScreen

            return ChooseMethodScreen(services, current=wizard.method)
        if step is Step.PREPARE:
            from coderclaw_tui.screens.prepare_login import PrepareLoginScreen

            assert wizard.method is not None
            return PrepareLoginScreen(services, wizard.method.provider, wizard.method.method)
        if step is Step.CONFIRM:
            from coderclaw_tui.screens.confirm import ConfirmScreen

            assert wizard.agent is not None
            return ConfirmScreen(services, wizard.agent, wizard.login)
        assert wizard.method is not None
        return login_screen_for(wizard, services)


def login_screen_for(wizard: Onboarding, services: Services) -> WizardScreen[Any]:
    """The sign-in screen for the chosen method's kind; a login finished before the user came back from Confirm
    is handed to it, so going back never throws a finished sign-in away."""
    from coderclaw_tui.screens import api_key, device_code, paste_token, pkce_login

    assert wizard.method is not None
    provider, method, kept = wizard.method.provider, wizard.method.method, wizard.login
    kind = method.kind
    if kind == "oauth-pkce":
        return pkce_login.PkceLoginScreen(services, provider, method, wizard.client, kept)
    if kind == "device-code":
        return device_code.DeviceCodeScreen(services, provider, method, wizard.client, kept)
    if kind == "token":
        return paste_token.PasteTokenScreen(
            services,
            provider,
            name=wizard.suggested_profile_name(),
            expires_in_ms=wizard.start.expires_in_ms,
            kept=kept,
        )
    return api_key.ApiKeyScreen(services, provider, kept)


def make_app(services: Services, start: WizardStart | ProfilesStart | None = None) -> CoderclawApp:
    """The one way to build the app: the CLI, the Pilot tests and the snapshots all come through here."""
    return CoderclawApp(services, start or WizardStart())
