"""Sign-in with the browser (OAuth + PKCE): the URL, the listener, and a paste field that races the callback."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, Static

from coderclaw_tui.auth.paste_parser import PasteError
from coderclaw_tui.flows.events import (
    AuthorizeUrlReady,
    BrowserOpened,
    Exchanging,
    FlowEvent,
    ListenerStatus,
    LoginError,
    LoginFlow,
)
from coderclaw_tui.flows.pkce_login import PkceLogin
from coderclaw_tui.providers.catalogue import AuthMethod, Provider
from coderclaw_tui.providers.specs import OAuthClient, PkceSpec
from coderclaw_tui.screens.base import FlowLoginScreen
from coderclaw_tui.widgets.countdown import Countdown
from coderclaw_tui.widgets.paste_input import PasteInput
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.url_link import UrlLink

if TYPE_CHECKING:
    import httpx

    from coderclaw_tui.app import Services

REMOTE_NOTE = (
    "You are on a remote machine, so no browser opens here. Open the URL below in your LOCAL browser; "
    "after signing in, paste the redirect URL (the address the browser ends on) back here."
)
LOCAL_NOTE = (
    "Your browser opens for sign-in. If the login does not complete by itself, paste the redirect URL "
    "(the address the browser ends on) below."
)
NO_BROWSER_NOTE = "Open the URL below in a browser; after signing in, paste the redirect URL back here."


class PkceLoginScreen(FlowLoginScreen):
    """Ids: `#pkce-note`, `#listener-status`, `#authorize-url` (UrlLink), `#ssh-hint`, `#paste` (PasteInput;
    Enter or a paste submits), `#paste-error`, `#login-timeout` (Countdown), `#login-status`, `#login-error`.
    Keys: c copy URL, o open browser, r start again after a failure, a approve (sandbox only), Esc back."""

    CSS_PATH = "../styles/pkce_login.tcss"
    ENTER_ACTION = "submit"
    BINDINGS = [
        Binding("c", "copy_url", "Copy URL", priority=True, id="copy-url"),
        Binding("o", "open_browser", "Open browser", priority=True, id="open-browser"),
        Binding("a", "sandbox_approve", "Approve (sandbox)", priority=True, id="sandbox-approve"),
        Binding("r", "retry", "Start again", priority=True, id="retry"),
        Binding("enter", "submit", "Submit paste", id="submit-paste"),
    ]

    SPEC = PkceSpec
    KIND = "browser sign-in"

    def __init__(
        self, services: Services, provider: Provider, method: AuthMethod, client: OAuthClient | None = None
    ) -> None:
        super().__init__(services, provider, method, client)
        self.url: str | None = None
        self.finishing = False

    def compose_body(self) -> ComposeResult:
        yield Plain(f"Sign in to {self.provider.label}", classes="heading")
        note = REMOTE_NOTE if self.services.remote else NO_BROWSER_NOTE if self.services.no_browser else LOCAL_NOTE
        yield Plain(note, id="pkce-note")
        yield Plain("Starting the login…", id="listener-status")
        yield UrlLink(id="authorize-url")
        yield Plain("", id="ssh-hint")
        yield Label("Paste the redirect URL (or the code)")
        yield PasteInput(
            placeholder="http://localhost:1455/auth/callback?code=…&state=…", id="paste", command_keys="coar"
        )
        yield Plain("", id="paste-error", classes="problem")
        yield Countdown(
            self.services.clock,
            template="The login times out in {left}.",
            expired="The login timed out.",
            id="login-timeout",
        )
        yield Plain("", id="login-status")
        yield Plain("", id="login-error", classes="problem")

    def on_mount(self) -> None:
        if self.services.remote or self.services.no_browser:
            self.query_one("#paste", PasteInput).focus()
        self.start_login()

    # -- the login ---------------------------------------------------------------------------------------------

    def make_flow(self, http: httpx.AsyncClient) -> LoginFlow:
        services = self.services
        assert isinstance(self.method.spec, PkceSpec)
        return PkceLogin(
            http,
            provider_id=self.provider.id,
            spec=self.method.spec,
            client=self.client,
            env=services.env,
            clock=services.clock,
            open_browser=services.open_browser,
            remote=services.remote,
            no_browser=services.no_browser,
            callback_port=services.callback_port,
            fallback_port=services.fallback_port,
            on_event=self.on_flow_event,
            timeout=services.login_timeout,
            sleep=services.sleep,
        )

    def on_start(self) -> None:
        self.finishing = False

    def on_fail(self) -> None:
        self.url = None
        self.query_one("#paste", PasteInput).value = ""  # so r starts again rather than typing
        self.query_one("#login-status", Static).update("")
        self.query_one("#login-timeout", Countdown).set_deadline(None)

    def on_flow_event(self, event: FlowEvent) -> None:
        """Progress from the flow, on the event loop: render it, nothing more."""
        status = self.query_one("#login-status", Static)
        if isinstance(event, ListenerStatus):
            listener = self.query_one("#listener-status", Static)
            listener.update(event.message)
            listener.set_class(not event.listening, "-warning")
        elif isinstance(event, AuthorizeUrlReady):
            self.url = event.url
            self.query_one("#authorize-url", UrlLink).set_url(event.url)
            hint = ""
            if event.ssh_hint:
                hint = (
                    "Or forward the port from your laptop first, and the browser finishes the login by itself:\n"
                    f"  {event.ssh_hint}"
                )
            self.query_one("#ssh-hint", Static).update(hint)
            deadline = int((self.services.clock() + self.services.login_timeout) * 1000)
            self.query_one("#login-timeout", Countdown).set_deadline(deadline)
            waiting = "Waiting for the redirect URL to be pasted…" if event.remote else "Waiting for the browser…"
            status.update(waiting)
            self.refresh_bindings()
        elif isinstance(event, BrowserOpened):
            status.update(event.message)
        elif isinstance(event, Exchanging):
            self.finishing = True
            where = "the browser" if event.source == "callback" else "your paste"
            status.update(f"Got the code from {where}; exchanging it for tokens…")
            self.query_one("#login-timeout", Countdown).set_deadline(None)
            self.refresh_bindings()

    # -- pastes ------------------------------------------------------------------------------------------------

    def submit_paste(self, text: str) -> None:
        error = self.query_one("#paste-error", Static)
        if not text.strip():
            error.update("Paste the redirect URL first.")
            return
        if not isinstance(self.flow, PkceLogin) or self.failed:
            error.update("This login has ended; press r to start again.")
            return
        try:
            self.flow.submit_paste(text)
        except (PasteError, LoginError) as exc:
            error.update(exc.message)
            return
        error.update("")

    def action_submit(self) -> None:
        """Enter: open the URL when it has focus, else hand over what is in the paste field."""
        if isinstance(self.focused, UrlLink):
            self.action_open_browser()
        else:
            self.submit_paste(self.query_one("#paste", PasteInput).value)

    def on_paste_input_pasted(self, event: PasteInput.Pasted) -> None:
        """A paste finishes the login at once (no Enter needed), parsed from exactly what was pasted."""
        event.stop()
        self.submit_paste(event.text)

    def on_paste(self, event: events.Paste) -> None:
        """A paste while the URL (or nothing) has focus still lands in the paste field."""
        if event.text:
            paste = self.query_one("#paste", PasteInput)
            paste.value = ""
            paste.focus()
            paste.post_message(events.Paste(event.text))

    # -- keys --------------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_url", "open_browser"):
            return self.url is not None
        if action == "sandbox_approve":
            return self.services.sandbox is not None and self.url is not None and not self.finishing
        return super().check_action(action, parameters)

    def on_input_changed(self) -> None:
        """The letter keys free up or not with the field's content (see PasteInput.command_keys)."""
        self.refresh_bindings()

    def action_copy_url(self) -> None:
        if self.url:
            self.copy_text(self.url, "the sign-in URL")

    @work(exit_on_error=False, group="browser")
    async def action_open_browser(self) -> None:
        if not self.url:
            return
        opened = await asyncio.to_thread(self.services.open_browser, self.url)
        if opened:
            self.notify("Opened the sign-in URL in your browser.")
        else:
            self.notify(
                "No graphical browser here; copy the URL with c and open it on your own machine.", severity="warning"
            )

    def on_url_link_activated(self, event: UrlLink.Activated) -> None:
        event.stop()
        self.action_open_browser()

    @work(exit_on_error=False, group="sandbox")
    async def action_sandbox_approve(self) -> None:
        """Play the browser against the sandbox issuer: approve, then follow the redirect (or paste it)."""
        sandbox, url = self.services.sandbox, self.url
        if sandbox is None or url is None:
            return
        redirect = sandbox.approve(url)
        listening = not self.query_one("#listener-status", Static).has_class("-warning")
        if listening:
            async with self.services.http_client() as http:
                try:
                    await http.get(redirect, timeout=5.0)
                    return
                except httpx.HTTPError:
                    pass  # the listener went away: hand the redirect over as a paste instead
        self.submit_paste(redirect)
