"""Sign-in with the browser (OAuth + PKCE): the URL, the listener, and a paste field that races the callback."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Label, Static

from coderclaw_tui.auth.environment import no_browser_reason
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
from coderclaw_tui.flows.pkce_login import PasteIncomplete, PkceLogin
from coderclaw_tui.providers.specs import PkceSpec, pkce_spec_from_env
from coderclaw_tui.screens.base import command_bindings
from coderclaw_tui.screens.flow_login import FlowLoginScreen
from coderclaw_tui.widgets.countdown import Countdown
from coderclaw_tui.widgets.paste_input import PasteInput, join_wrapped
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.url_link import UrlLink

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx


REMOTE_NOTE = (
    "You are on a remote machine, so no browser opens here. Open the URL below in your own browser, sign in, "
    "then paste the address the browser ends on (the redirect URL) in the field below."
)
NO_DISPLAY_NOTE = (
    "This machine has no display, so no browser opens here. Open the URL below in a browser on any machine, "
    "sign in, then paste the address the browser ends on (the redirect URL) in the field below."
)
LOCAL_NOTE = (
    "Your browser opens for sign-in. If the login does not complete by itself, paste the redirect URL "
    "(the address the browser ends on) below."
)
NO_BROWSER_NOTE = "Open the URL below in a browser; after signing in, paste the redirect URL back here."
PASTE_ONLY_NOTE = (
    "No browser is opened, since the redirect could not come back to this login (see below). Open the URL "
    "yourself, sign in, then paste the address the browser ends on in the field below."
)
SHORT_SCREEN = 30
"""Below this many rows the URL box is cut to two lines (the copy key copies it whole)."""


def paste_placeholder(spec: object, env: Mapping[str, str], port: int | None = None) -> str:
    """What a redirect looks like for this method (its redirect variable heeded), with the port actually listened
    on once it is known."""
    if not isinstance(spec, PkceSpec):
        return "the redirect URL, or the code"
    spec = pkce_spec_from_env(spec, env, strict=False)
    return f"http://{spec.redirect_host}:{port or spec.callback_port}{spec.callback_path}?code=…&state=…"


class PkceLoginScreen(FlowLoginScreen):
    """Ids: `#pkce-note`, `#listener-status`, `#authorize-url` (UrlLink), `#ssh-hint`; fixed under them `#paste`
    (PasteInput; Enter or a paste submits), `#paste-error`, `#login-status`, `#login-timeout` (Countdown),
    `#kept-login`, `#login-error`.
    Keys (letter / ctrl while typing): c/ctrl+y copy URL, o/ctrl+o open browser (not on a remote machine),
    r/ctrl+r start again, a/ctrl+g approve (sandbox only), Enter submit, Esc back."""

    CSS_PATH = "../styles/pkce_login.tcss"
    PASTE_TARGET = "#paste"
    BINDINGS = [
        Binding("enter", "submit", "Submit", id="submit-paste", tooltip="Submit the pasted redirect URL"),
        *command_bindings("c", "ctrl+y", "copy_url", "Copy URL", "Copy the whole sign-in URL (also over SSH)"),
        *command_bindings("o", "ctrl+o", "open_browser", "Open browser"),
        *command_bindings("a", "ctrl+g", "sandbox_approve", "Approve", "Sandbox: approve, as the browser would"),
    ]

    SPEC = PkceSpec
    KIND = "browser sign-in"

    url: str | None = None
    """The sign-in URL, once the login has made it (each screen sets its own)."""
    finishing = False
    awaiting_rest = False
    """The last paste was a redirect URL cut short: the next paste is its rest."""

    def note(self) -> str:
        if self.services.remote:
            return NO_DISPLAY_NOTE if no_browser_reason(self.services.env) == "no-display" else REMOTE_NOTE
        return NO_BROWSER_NOTE if self.services.no_browser else LOCAL_NOTE

    def compose_body(self) -> ComposeResult:
        yield Plain(self.note(), id="pkce-note")
        yield Plain("Starting the login…", id="listener-status")
        url = UrlLink(id="authorize-url")
        url.border_title = "Sign-in URL"
        url.can_open = not self.services.remote
        yield url
        yield Plain("", id="ssh-hint")

    def compose_fixed(self) -> ComposeResult:
        yield Label("Paste the redirect URL (or the code)", id="paste-label")
        yield PasteInput(placeholder=paste_placeholder(self.method.spec, self.services.env, self.services.callback_port), id="paste")
        yield Plain("", id="paste-error", classes="problem")
        with Horizontal(id="login-progress"):
            yield Plain("", id="login-status")
            yield Countdown(
                self.services.clock,
                template="The login times out in {left}.",
                expired="The login timed out.",
                id="login-timeout",
            )
        yield from super().compose_fixed()

    def on_mount(self) -> None:
        if self.services.remote or self.services.no_browser:
            self.query_one("#paste", PasteInput).focus()
        super().on_mount()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_SCREEN, "-short")

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

    def on_kept(self) -> None:
        self.query_one("#listener-status", Static).update("Signed in; nothing is listening.")
        self.query_one("#paste", PasteInput).disabled = True

    def on_start(self) -> None:
        self.finishing = self.awaiting_rest = False
        self.query_one("#paste", PasteInput).disabled = False
        self.query_one("#paste-error", Static).update("")

    def on_fail(self) -> None:
        """The URL and the ssh hint go: they belong to a login that can no longer finish."""
        self.url = None
        self.awaiting_rest = False
        self.query_one("#authorize-url", UrlLink).set_url("")
        self.query_one("#ssh-hint", Static).update("")
        self.query_one("#paste", PasteInput).value = ""
        self.query_one("#login-status", Static).update("")
        self.query_one("#login-timeout", Countdown).set_deadline(None)
        listener = self.query_one("#listener-status", Static)
        listener.update("This login has ended; nothing is listening for it any more.")
        listener.add_class("-warning")

    def on_flow_event(self, event: FlowEvent) -> None:
        """Progress from the flow, on the event loop: render it, nothing more."""
        status = self.query_one("#login-status", Static)
        if isinstance(event, ListenerStatus):
            listener = self.query_one("#listener-status", Static)
            listener.update(event.message)
            listener.set_class(not event.listening, "-warning")
            self.query_one("#paste", PasteInput).placeholder = paste_placeholder(self.method.spec, self.services.env, event.port)
        elif isinstance(event, AuthorizeUrlReady):
            self.url = event.url
            self.query_one("#authorize-url", UrlLink).set_url(event.url)
            hint = f"Or forward the port first, and the browser finishes the login by itself:\n  {event.ssh_hint}"
            self.query_one("#ssh-hint", Static).update(hint if event.ssh_hint else "")
            if event.listener is None and not (event.remote or self.services.no_browser):
                self.query_one("#pkce-note", Static).update(PASTE_ONLY_NOTE)
            deadline = int((self.services.clock() + self.services.login_timeout) * 1000)
            self.query_one("#login-timeout", Countdown).set_deadline(deadline)
            by_browser = event.listener is not None and not event.remote
            status.update("Waiting for the browser…" if by_browser else "Waiting for your paste…")
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
        error.remove_class("-warning")
        self.awaiting_rest = False
        if not text.strip():
            error.update("Paste the redirect URL first.")
            return
        if not isinstance(self.flow, PkceLogin) or self.failed:
            error.update("This login has ended; press ctrl+r to start again.")
            return
        try:
            self.flow.submit_paste(text)
        except PasteIncomplete as exc:
            self.awaiting_rest = True
            error.update(exc.message)
            error.add_class("-warning")
            return
        except (PasteError, LoginError) as exc:
            error.update(exc.message)
            return
        error.update("")

    def action_submit(self) -> None:
        """Enter: go on with a kept login, open the URL when it has focus, else submit the paste field."""
        if self.kept is not None:
            self.action_keep()
        elif isinstance(self.focused, UrlLink):
            self.action_open_browser()
        else:
            self.submit_paste(self.query_one("#paste", PasteInput).value)

    def on_paste_input_pasted(self, event: PasteInput.Pasted) -> None:
        """A paste submits at once (no Enter needed). It is parsed from exactly what was pasted, unless it is the
        rest of a redirect URL cut short: then from the field, which holds both parts."""
        event.stop()
        if self.awaiting_rest:
            self.submit_paste(event.paste_input.value)
            return
        if event.before:  # a fresh paste replaces what an earlier failed attempt left in the field
            event.paste_input.value = join_wrapped(event.text) if "\n" in event.text else event.text
        self.submit_paste(event.text)

    # -- keys --------------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_url":
            return self.url is not None
        if action == "open_browser":
            return self.url is not None and not self.services.remote
        if action == "sandbox_approve":
            return self.services.sandbox is not None and self.url is not None and not self.finishing
        if action == "submit":
            return self.kept is not None or not self.failed
        return super().check_action(action, parameters)

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
        if not self.services.remote:
            self.action_open_browser()

    @work(exit_on_error=False, group="sandbox")
    async def action_sandbox_approve(self) -> None:
        """Play the browser against the sandbox issuer: approve, then follow the redirect (or paste it)."""
        import httpx

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
