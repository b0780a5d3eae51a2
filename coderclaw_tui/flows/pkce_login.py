"""OAuth authorization code with PKCE, finished by the browser's redirect or a paste, for any `PkceSpec`
(openai-codex, Chutes, Gemini CLI, a plugin's).

From the moment the URL is shown, the loopback callback and a pasted redirect race, and the first valid one
wins: a user on SSH pastes and is done at once instead of waiting out a callback that can never come
(openclaw#41885). The port is chosen before the URL is built, so a busy 1455 leads to 1457 or to a plain
"paste instead" message (openclaw#51896), and it is released the moment the login ends or is cancelled.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode

import httpx

from coderclaw_tui.auth.callback_server import (
    PORT_ENV,
    CallbackServer,
    callback_port_from_env,
    open_callback_listener,
    redirect_uri_for,
)
from coderclaw_tui.auth.environment import is_remote_environment, open_graphical_browser, ssh_hint
from coderclaw_tui.auth.login_settings import FROM_SPEC, LOGIN_TIMEOUT
from coderclaw_tui.auth.paste_parser import (
    ParsedPaste,
    PasteError,
    parse_paste,
    provider_error_message,
    safe_error_name,
)
from coderclaw_tui.auth.pkce import CHALLENGE_METHOD, PkcePair, new_state
from coderclaw_tui.flows.events import (
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
from coderclaw_tui.flows.oauth_result import OAuthFinisher, host_of, json_object, resolve_url
from coderclaw_tui.providers.catalogue import CODEX_OAUTH
from coderclaw_tui.providers.clients import resolve_client
from coderclaw_tui.providers.specs import OAuthClient, PkceSpec, pkce_spec_from_env

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


def build_authorize_url(
    authorize_url: str,
    *,
    redirect_uri: str,
    challenge: str,
    state: str,
    spec: PkceSpec = CODEX_OAUTH,
    client_id: str | None = None,
) -> str:
    """The authorize URL: the standard parameters in the order OpenAI's own CLI sends them, then the method's."""
    params = {
        "response_type": "code",
        "client_id": client_id or spec.client.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(spec.scopes),
        "code_challenge": challenge,
        "code_challenge_method": CHALLENGE_METHOD,
        "state": state,
        **dict(spec.extra_params),
    }
    return f"{authorize_url}?{urlencode(params)}"


class PkceLogin(LoginFlow):
    """`await PkceLogin(http, on_event=...).run()`; feed pastes to `submit_paste()` once the URL is ready.

    `issuer` replaces the origin of every endpoint (else `$CODERCLAW_<PROVIDER>_ISSUER` does); `client` is the
    one the user confirmed on screen (else it is resolved from the spec and the environment)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        provider_id: str = "openai-codex",
        spec: PkceSpec = CODEX_OAUTH,
        client: OAuthClient | None = None,
        issuer: str | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        open_browser: Callable[[str], bool] = open_graphical_browser,
        remote: bool | None = None,
        no_browser: bool = False,
        callback_port: int | None = None,
        fallback_port: int | None = FROM_SPEC,
        on_event: EventSink = ignore_event,
        timeout: float = LOGIN_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(on_event)
        env = os.environ if env is None else env
        self._spec_problem = None
        try:
            spec = pkce_spec_from_env(spec, env)
        except ValueError as exc:  # said when the login starts, on its screen
            self._spec_problem = str(exc)
        self._sleep = sleep
        self._http = http
        self._provider, self._spec, self._env = provider_id, spec, env
        self._client = client or resolve_client(spec.client, env)
        self._url = resolve_url(provider_id, env, issuer)
        self._host = host_of(self._url(spec.authorize_url))
        self._clock = clock
        self._open_browser = open_browser
        self._remote = is_remote_environment(env) if remote is None else remote
        self._no_browser = no_browser
        if callback_port is None:
            callback_port = callback_port_from_env(env) if env.get(PORT_ENV, "").strip() else spec.callback_port
        self._port = callback_port
        self._fallback_port = spec.fallback_port if fallback_port == FROM_SPEC else fallback_port
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
        spec, client = self._spec, self._client
        if self._spec_problem:
            raise LoginError(self._spec_problem)
        if client is None:
            raise LoginError(f"{self._provider} needs an OAuth client id; enter one (or set it in the environment).")
        pkce, self._expected_state = PkcePair.generate(spec.verifier), new_state()
        try:
            listening = await open_callback_listener(
                self._expected_state, port=self._port, fallback_port=self._fallback_port, path=spec.callback_path
            )
            self._listener = listening.server
            self._on_event(ListenerStatus(listening.port, not listening.paste_only, listening.message))
            redirect_uri = redirect_uri_for(listening.port, host=spec.redirect_host, path=spec.callback_path)
            self.authorize_url = build_authorize_url(
                self._url(spec.authorize_url),
                redirect_uri=redirect_uri,
                challenge=pkce.challenge,
                state=self._expected_state,
                spec=spec,
                client_id=client.client_id,
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
        return await self._exchange(client, code, pkce.verifier, redirect_uri)

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

    async def _exchange(self, client: OAuthClient, code: str, verifier: str, redirect_uri: str) -> LoginResult:
        form = {
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        }
        if client.secret:
            form["client_secret"] = client.secret
        try:
            response = await self._http.post(
                self._url(self._spec.token_url),
                data=form,
                headers={"Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            )
        except httpx.TimeoutException as exc:
            raise LoginError(f"{self._host} did not answer the code exchange in time; start the login again.") from exc
        except httpx.TransportError as exc:
            name = type(exc).__name__
            raise LoginError(f"Could not reach {self._host} ({name}); check the network and log in again.") from exc
        payload = json_object(response)
        if response.status_code != 200:
            error = safe_error_name(payload.get("error"))
            status = response.status_code
            raise LoginError(f"{self._host} refused the sign-in code ({error}, HTTP {status}); start the login again.")
        finisher = OAuthFinisher(
            self._http, self._provider, self._spec, client, env=self._env, url=self._url, sleep=self._sleep
        )
        return await finisher.finish(payload, int(self._clock() * 1000))
