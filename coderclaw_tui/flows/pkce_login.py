"""openai-codex sign-in: OAuth authorization code with PKCE, finished by the browser's redirect or a paste.

From the moment the URL is shown, the loopback callback and a pasted redirect race, and the first valid one
wins: a user on SSH pastes and is done at once instead of waiting out a callback that can never come
(openclaw#41885). The port is chosen before the URL is built, so a busy 1455 leads to 1457 or to a plain
"paste instead" message (openclaw#51896), and it is released the moment the login ends or is cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from coderclaw_tui.auth.callback_server import (
    FALLBACK_PORT,
    CallbackServer,
    callback_port_from_env,
    open_callback_listener,
    redirect_uri_for,
)
from coderclaw_tui.auth.environment import is_remote_environment, open_graphical_browser, ssh_hint
from coderclaw_tui.auth.paste_parser import (
    PasteError,
    ParsedPaste,
    parse_paste,
    provider_error_message,
    safe_error_name,
)
from coderclaw_tui.auth.pkce import CHALLENGE_METHOD, PkcePair, new_state
from coderclaw_tui.flows.events import (
    LOGIN_TIMEOUT,
    AuthorizeUrlReady,
    BrowserOpened,
    EventSink,
    Exchanging,
    ListenerStatus,
    LoginError,
    LoginFlow,
    LoginResult,
    ignore_event,
)
from coderclaw_tui.providers.catalogue import (
    OPENAI_CODEX_CLIENT_ID,
    openai_codex_issuer,
)
from coderclaw_tui.providers.token_response import parse_token_response

PROVIDER = "openai-codex"
SCOPE = "openid profile email offline_access"
ORIGINATOR = "coderclaw"
REQUEST_TIMEOUT = 30.0
BROWSER_TIMEOUT = 5.0


class PasteIncomplete(PasteError):
    """A redirect URL that stops before its state (the first half of a wrapped URL pasted in two goes): it is not
    sent to the issuer, whose single-use code it would burn; the login waits for the rest."""


def cut_short(text: str, parsed: ParsedPaste, expected_state: str) -> bool:
    """The paste is a redirect URL with its end missing: no state at all, or a state that is the beginning of
    ours. A bare code or `code#state` is taken as it is."""
    if parsed.state is None:
        return "://" in text and "code=" in text
    return len(parsed.state) < len(expected_state) and expected_state.startswith(parsed.state)


def build_authorize_url(issuer: str, *, redirect_uri: str, challenge: str, state: str) -> str:
    """The authorize URL with its parameters in the order OpenAI's own CLI sends them."""
    params = {
        "response_type": "code",
        "client_id": OPENAI_CODEX_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "code_challenge": challenge,
        "code_challenge_method": CHALLENGE_METHOD,
        "state": state,
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "originator": ORIGINATOR,
    }
    return f"{issuer}/oauth/authorize?{urlencode(params)}"


class PkceLogin(LoginFlow):
    """`await PkceLogin(http, on_event=...).run()`; feed pastes to `submit_paste()` once the URL is ready."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        open_browser: Callable[[str], bool] = open_graphical_browser,
        remote: bool | None = None,
        no_browser: bool = False,
        callback_port: int | None = None,
        fallback_port: int | None = FALLBACK_PORT,
        on_event: EventSink = ignore_event,
        timeout: float = LOGIN_TIMEOUT,
    ) -> None:
        super().__init__(on_event)
        self._http = http
        self._issuer = (issuer or openai_codex_issuer(env)).rstrip("/")
        self._host = urlsplit(self._issuer).netloc or self._issuer
        self._clock = clock
        self._open_browser = open_browser
        self._remote = is_remote_environment(env) if remote is None else remote
        self._no_browser = no_browser
        self._port = callback_port_from_env(env) if callback_port is None else callback_port
        self._fallback_port = fallback_port
        self._timeout = timeout
        self._listener: CallbackServer | None = None
        self._expected_state = ""
        self._winner: asyncio.Future[tuple[str, str]] | None = None
        self._side_tasks: list[asyncio.Task[None]] = []
        self.authorize_url: str | None = None

    def submit_paste(self, text: str) -> None:
        """Offer what the user pasted; a bad paste raises `PasteError` at once and the login keeps waiting.

        Call it from the event loop's thread (a Textual handler is)."""
        if self._winner is None:
            raise LoginError("The sign-in URL is not ready yet; paste once it is shown.")
        if self._cancelled:
            raise LoginError("This login was cancelled; start a new one.")
        if self._winner.done():
            if self._winner.cancelled() or self._winner.exception() is not None:
                raise LoginError("This login was cancelled or has ended; start a new one.")
            raise LoginError("This login already has its code and is finishing.")
        parsed = parse_paste(text)
        if cut_short(text, parsed, self._expected_state):
            raise PasteIncomplete(
                "That redirect URL looks incomplete (it stops before its state=…); paste or type the rest of it, "
                "then Enter."
            )
        self._winner.set_result(("paste", parsed.check(self._expected_state)))

    def _release(self) -> None:
        if self._listener is not None:
            self._listener.close()

    async def _login(self) -> LoginResult:
        pkce, self._expected_state = PkcePair.generate(), new_state()
        try:
            listening = await open_callback_listener(
                self._expected_state, port=self._port, fallback_port=self._fallback_port
            )
            self._listener = listening.server
            self._on_event(ListenerStatus(listening.port, not listening.paste_only, listening.message))
            redirect_uri = redirect_uri_for(listening.port)
            self.authorize_url = build_authorize_url(
                self._issuer, redirect_uri=redirect_uri, challenge=pkce.challenge, state=self._expected_state
            )
            self._winner = asyncio.get_running_loop().create_future()
            if self._listener is not None:
                self._side_tasks.append(asyncio.create_task(self._await_callback(self._listener)))
            where = " and ".join(self._listener.addresses) if self._listener else None
            hint = ssh_hint(listening.port) if self._remote and self._listener else None
            self._on_event(AuthorizeUrlReady(self.authorize_url, self._remote, where, hint))
            if self._listener is not None and not (self._remote or self._no_browser):
                # paste only: the redirect would land on whatever holds the port, so no browser is opened
                self._side_tasks.append(asyncio.create_task(self._launch_browser(self.authorize_url)))
            try:
                async with asyncio.timeout(self._timeout):
                    source, code = await self._winner
            except TimeoutError:
                minutes = max(1, round(self._timeout / 60))
                raise LoginError(
                    f"The login timed out after {minutes} minute(s) without a redirect or a pasted code; "
                    "start it again."
                ) from None
        finally:
            self._release()
            for task in self._side_tasks:
                task.cancel()
        self._on_event(Exchanging(source))
        return await self._exchange(code, pkce.verifier, redirect_uri)

    async def _await_callback(self, server: CallbackServer) -> None:
        result = await server.wait()
        if self._winner is None or self._winner.done():
            return
        if result is None:
            if server.cancelled_remotely:
                self._winner.set_exception(
                    LoginError(
                        f"This login was cancelled from outside: a program on this machine asked port {server.port} "
                        "to stop (GET /cancel), so the browser can no longer finish it; nothing was saved."
                    )
                )
        elif result.error is not None:
            self._winner.set_exception(LoginError(provider_error_message(result.error)))
        elif result.code:
            self._winner.set_result(("callback", result.code))

    async def _launch_browser(self, url: str) -> None:
        try:
            opened = await asyncio.wait_for(asyncio.to_thread(self._open_browser, url), BROWSER_TIMEOUT)
        except Exception:  # a broken opener must not end the login; the URL is on screen anyway
            opened = False
        if opened:
            self._on_event(BrowserOpened(True, "Opened your browser; finish signing in there."))
        else:
            self._on_event(BrowserOpened(False, "Could not open a browser here; open the URL above yourself."))

    async def _exchange(self, code: str, verifier: str, redirect_uri: str) -> LoginResult:
        form = {
            "grant_type": "authorization_code",
            "client_id": OPENAI_CODEX_CLIENT_ID,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        }
        try:
            response = await self._http.post(
                f"{self._issuer}/oauth/token",
                data=form,
                headers={"Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            )
        except httpx.TimeoutException as exc:
            raise LoginError(f"{self._host} did not answer the code exchange in time; start the login again.") from exc
        except httpx.TransportError as exc:
            name = type(exc).__name__
            raise LoginError(f"Could not reach {self._host} ({name}); check the network and log in again.") from exc
        payload = _json_object(response)
        if response.status_code != 200:
            error = safe_error_name(payload.get("error"))
            status = response.status_code
            raise LoginError(f"{self._host} refused the sign-in code ({error}, HTTP {status}); start the login again.")
        try:
            fields = parse_token_response(payload, now_ms=int(self._clock() * 1000), provider=PROVIDER)
        except ValueError as exc:
            raise LoginError(f"{self._host} sent an unusable answer ({exc}); start the login again.") from None
        if "refresh" not in fields:
            raise LoginError(f"{self._host} sent no refresh token, so this login could not be kept fresh; start it again.")
        credential: dict[str, Any] = {"type": "oauth", "provider": PROVIDER, **fields}
        email, expires = fields.get("email"), fields["expires"]
        profile_id = f"{PROVIDER}:{email}" if email else f"{PROVIDER}:default"
        return LoginResult(PROVIDER, credential, profile_id, email or fields["accountId"], expires)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
