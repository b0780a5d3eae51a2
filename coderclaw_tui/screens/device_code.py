"""Sign-in with a device code (GitHub): the code large, where to enter it, and how long it stays valid."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from coderclaw_tui.flows.device_login import DeviceCodeLogin
from coderclaw_tui.flows.events import (
    DeviceCodeReady,
    FlowEvent,
    LoginFlow,
    Polling,
)
from coderclaw_tui.providers.specs import DeviceSpec
from coderclaw_tui.screens.base import command_bindings
from coderclaw_tui.screens.flow_login import FlowLoginScreen
from coderclaw_tui.widgets.countdown import Countdown
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.url_link import UrlLink

if TYPE_CHECKING:
    import httpx



def spaced(code: str) -> str:
    """`ABCD-1234` as `A B C D - 1 2 3 4`: easier to read across a room, or off a small font."""
    return " ".join(code)


class DeviceCodeScreen(FlowLoginScreen):
    """Ids: `#verification-url` (UrlLink), `#user-code`; fixed under them `#code-expiry` (Countdown),
    `#device-status`, `#kept-login`, `#login-error`. Keys: c copy the code, o open the page, r start again
    (after a failure), a approve (sandbox only), Esc back (stops polling). No text field, so no ctrl twins
    are needed, but they are bound all the same by `command_bindings`."""

    CSS_PATH = "../styles/device_code.tcss"
    BINDINGS = [
        *command_bindings("c", "ctrl+y", "copy_code", "Copy code"),
        *command_bindings("o", "ctrl+o", "open_page", "Open page"),
        *command_bindings("a", "ctrl+g", "sandbox_approve", "Approve", "Sandbox: approve, as the browser would"),
    ]

    SPEC = DeviceSpec
    KIND = "device login"

    code: DeviceCodeReady | None = None
    """The code being shown, once the provider has given one (each screen sets its own)."""

    def compose_body(self) -> ComposeResult:
        yield Plain("Open this page in any browser, on any device, and enter the code below:", id="device-note")
        yield UrlLink(id="verification-url")
        yield Plain("", id="user-code")

    def compose_fixed(self) -> ComposeResult:
        yield Countdown(
            self.services.clock, template="The code expires in {left}.", expired="The code expired.", id="code-expiry"
        )
        yield Plain("Asking for a code…", id="device-status")
        yield from super().compose_fixed()

    def on_kept(self) -> None:
        self.query_one("#device-note", Static).display = False
        self.query_one("#user-code").display = False
        self.query_one("#device-status", Static).update("")

    def make_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        services = self.services
        assert isinstance(self.method.spec, DeviceSpec)
        return DeviceCodeLogin(
            http,
            provider_id=self.provider.id,
            spec=self.method.spec,
            client=self.client,
            env=services.env,
            clock=services.clock,
            sleep=services.sleep,
            on_event=self.on_flow_event,
        )

    def on_start(self) -> None:
        self.code = None
        self.query_one("#device-note", Static).display = True
        self.query_one("#device-status", Static).update("Asking for a code…")

    def on_fail(self) -> None:
        """No code box, link or countdown for a code that can no longer be used."""
        self.code = None
        self.query_one("#device-note", Static).display = False
        self.query_one("#user-code", Static).update("")
        self.query_one("#user-code").display = False
        self.query_one("#verification-url", UrlLink).set_url("")
        self.query_one("#device-status", Static).update("")
        self.query_one("#code-expiry", Countdown).set_deadline(None)

    def on_flow_event(self, event: FlowEvent) -> None:
        if isinstance(event, DeviceCodeReady):
            self.code = event
            self.query_one("#verification-url", UrlLink).set_url(event.verification_uri)
            self.query_one("#user-code", Static).update(spaced(event.user_code))
            self.query_one("#user-code").display = True
            self.query_one("#code-expiry", Countdown).set_deadline(event.expires_at_ms)
            self.refresh_bindings()
        elif isinstance(event, Polling):
            text = f"Waiting for you to approve… (check {event.attempt}, every {event.interval:g}s)"
            if event.slowed_down:
                text += f"; the server asked us to slow down to every {event.interval:g}s"
            self.query_one("#device-status", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_code", "open_page"):
            return self.code is not None
        if action == "sandbox_approve":
            return self.services.sandbox is not None and self.code is not None and not self.failed
        return super().check_action(action, parameters)

    def action_copy_code(self) -> None:
        if self.code:
            self.copy_text(self.code.user_code, f"the code {self.code.user_code}")

    @work(exit_on_error=False, group="browser")
    async def action_open_page(self) -> None:
        if self.code is None:
            return
        if await asyncio.to_thread(self.services.open_browser, self.code.verification_uri):
            self.notify("Opened the page in your browser.")
        else:
            self.notify("No graphical browser here; open the page on another device.", severity="warning")

    def on_url_link_activated(self, event: UrlLink.Activated) -> None:
        event.stop()
        self.action_open_page()

    def action_sandbox_approve(self) -> None:
        """What typing the code on the sandbox's page and pressing Approve does."""
        from coderclaw_tui.auth.sandbox_issuer import SandboxRequestError

        if self.services.sandbox is None or self.code is None:
            return
        try:
            self.services.sandbox.approve_device(self.code.user_code)
        except SandboxRequestError as exc:
            self.notify(f"The sandbox refused: {exc}.", severity="error")
            return
        self.notify("Approved in the sandbox; the next check finishes the login.")
