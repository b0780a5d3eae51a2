"""The sign-in steps that run a login flow (PKCE in the browser, device code): what they share.

Apart from `base` so the wizard's first screen does not import the login flows, the provider catalogue and their
specs before it shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.flows.events import LoginCancelled, LoginFlow, LoginResult
from coderclaw_tui.flows.onboarding import Step
from coderclaw_tui.screens.base import WizardScreen, command_bindings
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    import httpx

    from coderclaw_tui.providers.catalogue import AuthMethod, Provider
    from coderclaw_tui.providers.specs import OAuthClient
    from coderclaw_tui.services import Services


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
