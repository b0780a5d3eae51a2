"""Device login for any `DeviceSpec`: show a short code, let the user approve it elsewhere, poll until they do.

Three protocol shapes cover every provider CoderClaw signs in to this way:
- "rfc8628" (GitHub Copilot; Qwen with PKCE on the device request): errors arrive as `{"error": ...}` whatever
  the HTTP status (GitHub 200, Qwen 400/429); `slow_down` backs off by the method's step and factor.
- "user-code" (MiniMax): PKCE plus a state that must come back, a user-code grant, `status` answers, times in ms.
- "codex" (OpenAI): JSON device authorization; 403/404 mean pending; the approval carries an authorization
  code and the server's PKCE verifier, exchanged at the token endpoint like a browser login.
The clock and the sleep are injected so a test runs the whole countdown in milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from coderclaw_tui.auth.paste_parser import safe_error_name
from coderclaw_tui.auth.pkce import CHALLENGE_METHOD, PkcePair
from coderclaw_tui.flows.events import (
    DeviceCodeReady,
    EventSink,
    LoginError,
    LoginFlow,
    LoginResult,
    Polling,
    ignore_event,
)
from coderclaw_tui.flows.oauth_result import OAuthFinisher, host_of, json_object, resolve_url
from coderclaw_tui.providers.catalogue import COPILOT_DEVICE
from coderclaw_tui.providers.clients import resolve_client
from coderclaw_tui.providers.specs import LOOPBACK_HOSTS, DeviceSpec, OAuthClient

REQUEST_TIMEOUT = 30.0
MAX_UNREACHABLE_POLLS = 3
"""Consecutive network failures tolerated while polling before giving up."""
MS = 1000
MAX_CODE_LENGTH = 64
MAX_ADDRESS_LENGTH = 2048


class _Unreachable(LoginError):
    """The server could not be reached or failed (5xx): worth another poll, not worth a retry of the start."""


class _Started(NamedTuple):
    """What the device request gave: the code to show and what each poll sends."""

    user_code: str
    verification_uri: str
    expires_at_ms: int
    interval: float
    poll_body: dict[str, str]


class DeviceCodeLogin(LoginFlow):
    """`await DeviceCodeLogin(http, provider_id=..., spec=...).run()`; defaults to GitHub Copilot."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        provider_id: str = "github-copilot",
        spec: DeviceSpec = COPILOT_DEVICE,
        client: OAuthClient | None = None,
        issuer: str | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_event: EventSink = ignore_event,
    ) -> None:
        super().__init__(on_event)
        env = os.environ if env is None else env
        self._http, self._provider, self._spec, self._env = http, provider_id, spec, env
        self._client = client or resolve_client(spec.client, env)
        self._url = resolve_url(provider_id, env, issuer)
        self._host = host_of(self._url(spec.code_url))
        self._clock = clock
        self._sleep = sleep
        self._pkce: PkcePair | None = None

    def _now_ms(self) -> int:
        return int(self._clock() * MS)

    async def _login(self) -> LoginResult:
        if self._client is None:
            raise LoginError(f"{self._provider} needs an OAuth client id; set it in the environment and try again.")
        spec = self._spec
        self._pkce = PkcePair.generate() if spec.pkce or spec.variant == "user-code" else None
        start = await self._start(self._client)
        interval = start.interval
        self._on_event(DeviceCodeReady(start.user_code, start.verification_uri, start.expires_at_ms, interval))
        attempt, unreachable, slowed_down = 0, 0, False
        while True:
            attempt += 1
            self._on_event(Polling(attempt, interval, start.expires_at_ms, slowed_down))
            await self._sleep(interval)
            if self._now_ms() >= start.expires_at_ms:
                raise LoginError(f"The code {start.user_code} expired before it was approved; start the login again.")
            try:
                status, answer = await self._post(
                    self._url(spec.poll_url), start.poll_body, json_body=spec.variant == "codex"
                )
            except _Unreachable:
                unreachable += 1
                if unreachable >= MAX_UNREACHABLE_POLLS:
                    raise
                continue
            unreachable, slowed_down = 0, False
            outcome = self._read_poll(status, answer, start.user_code)
            if outcome == "pending":
                if spec.variant == "user-code":
                    interval = min(interval * spec.slow_down_factor, spec.max_interval_s)
                continue
            if outcome == "slow_down":
                server = _seconds(answer.get("interval")) or 0.0
                interval = min(max(interval * spec.slow_down_factor + spec.slow_down_step_s, server), spec.max_interval_s)
                slowed_down = True
                continue
            return await self._finish(answer)

    # -- the device request ------------------------------------------------------------------------------------

    async def _start(self, client: OAuthClient) -> _Started:
        spec, now_ms = self._spec, self._now_ms()
        if spec.variant == "codex":
            status, start = await self._post(self._url(spec.code_url), {"client_id": client.client_id}, json_body=True)
            if status == 404:
                raise LoginError(spec.not_enabled_hint or f"{self._host} has no device login; use the browser sign-in.")
            self._refuse_on_error(status, start)
            user_code = start.get("user_code") or start.get("usercode")
            auth_id = start.get("device_auth_id")
            if not _texts(user_code, auth_id):
                raise LoginError(f"{self._host} sent an incomplete device-code answer; try again later.")
            interval = _seconds(_number(start.get("interval"))) or spec.default_interval_s
            expires_at = now_ms + int(spec.lifetime_s * MS)
            body = {"device_auth_id": str(auth_id), "user_code": str(user_code)}
            return _Started(str(user_code), self._url(spec.verification_url), expires_at, interval, body)
        form = {"client_id": client.client_id}
        if spec.variant == "user-code":
            form = {"response_type": "code", **form}
        if spec.scope:
            form["scope"] = spec.scope
        if self._pkce is not None:
            form.update(code_challenge=self._pkce.challenge, code_challenge_method=CHALLENGE_METHOD)
        state = secrets.token_urlsafe(16)
        if spec.variant == "user-code":
            form["state"] = state
        status, start = await self._post(self._url(spec.code_url), form)
        self._refuse_on_error(status, start)
        user_code = start.get("user_code")
        uri = start.get("verification_uri_complete") or start.get("verification_uri")
        if spec.variant == "user-code":
            if start.get("state") != state:
                raise LoginError(
                    f"{self._host} answered with another login's state (possible CSRF or a mixed-up session); "
                    "start the login again."
                )
            expires_at = _epoch_ms(start.get("expired_in"), now_ms)
            interval = (_seconds(_number(start.get("interval")) / MS) if _number(start.get("interval")) else None)
            if not _texts(user_code, uri) or expires_at is None:
                raise LoginError(f"{self._host} sent an incomplete device-code answer; try again later.")
            poll = {"grant_type": spec.grant_type, "client_id": client.client_id, "user_code": str(user_code)}
        else:
            device_code, lifetime = start.get("device_code"), _seconds(start.get("expires_in"))
            if not _texts(user_code, uri, device_code) or lifetime is None:
                raise LoginError(f"{self._host} sent an incomplete device-code answer; try again later.")
            expires_at = now_ms + int(lifetime * MS)
            interval = _seconds(start.get("interval"))
            poll = {"client_id": client.client_id, "device_code": str(device_code), "grant_type": spec.grant_type}
        if self._pkce is not None:
            poll["code_verifier"] = self._pkce.verifier
        if not _showable_code(str(user_code)) or not _openable_address(str(uri)):
            raise LoginError(f"{self._host} sent a device code or sign-in address that cannot be shown; try again later.")
        return _Started(str(user_code), str(uri), expires_at, interval or spec.default_interval_s, poll)

    def _refuse_on_error(self, status: int, start: dict[str, Any]) -> None:
        if "error" in start or status >= 400:
            error = safe_error_name(start.get("error")) if "error" in start else f"HTTP {status}"
            raise LoginError(f"{self._host} refused to start a device login ({error}).")

    # -- polling -----------------------------------------------------------------------------------------------

    def _read_poll(self, status: int, answer: dict[str, Any], user_code: str) -> str:
        """"done", "pending" or "slow_down"; anything final raises `LoginError`."""
        variant = self._spec.variant
        if variant == "codex":
            if status in (403, 404):
                return "pending"
            if status >= 400 or not _texts(answer.get("authorization_code"), answer.get("code_verifier")):
                raise LoginError(f"{self._host} refused the device login (HTTP {status}); start the login again.")
            return "done"
        if variant == "user-code":
            if status >= 400:
                raise LoginError(f"{self._host} refused the device login (HTTP {status}); start the login again.")
            outcome = answer.get("status")
            if outcome == "success":
                return "done"
            if outcome == "error":
                raise LoginError(f"{self._host} reported an error for this login; start it again later.")
            return "pending"
        if isinstance(answer.get("access_token"), str) and answer["access_token"]:
            return "done"
        error = answer.get("error")
        if error in ("authorization_pending", "slow_down"):
            return "pending" if error == "authorization_pending" else "slow_down"
        if error == "expired_token":
            raise LoginError(f"The code {user_code} expired before it was approved; start the login again.")
        if error == "access_denied":
            raise LoginError(f"The login was denied on {self._host}; nothing was saved.")
        raise LoginError(f"{self._host} refused the device login ({safe_error_name(error)}); start the login again.")

    async def _finish(self, answer: dict[str, Any]) -> LoginResult:
        spec = self._spec
        assert self._client is not None
        if spec.stores == "token":
            credential = {"type": "token", "provider": self._provider, "token": answer["access_token"]}
            profile = f"{self._provider}:{spec.profile_name or 'default'}"
            return LoginResult(self._provider, credential, profile, identity=None, expires_ms=None)
        if spec.variant == "codex":
            answer = await self._exchange(answer)
        finisher = OAuthFinisher(
            self._http, self._provider, spec, self._client, env=self._env, url=self._url, sleep=self._sleep
        )
        return await finisher.finish(answer, self._now_ms())

    async def _exchange(self, approval: dict[str, Any]) -> dict[str, Any]:
        """Codex: trade the approved code, with the verifier the server generated, for tokens."""
        spec = self._spec
        assert self._client is not None
        form = {
            "grant_type": "authorization_code",
            "code": str(approval["authorization_code"]),
            "redirect_uri": self._url(spec.exchange_redirect_uri),
            "client_id": self._client.client_id,
            "code_verifier": str(approval["code_verifier"]),
        }
        status, answer = await self._post(self._url(spec.token_url), form)
        if status != 200:
            error = safe_error_name(answer.get("error"))
            raise LoginError(f"{self._host} refused the sign-in code ({error}, HTTP {status}); start the login again.")
        return answer

    async def _post(self, url: str, body: dict[str, str], *, json_body: bool = False) -> tuple[int, dict[str, Any]]:
        """POST a form (or JSON), asking for JSON; 5xx and network failures are `_Unreachable`."""
        headers = {"Accept": "application/json"}
        if self._spec.request_id_header:
            headers["x-request-id"] = str(uuid.uuid4())
        try:
            if json_body:
                response = await self._http.post(url, json=body, headers=headers, timeout=REQUEST_TIMEOUT)
            else:
                response = await self._http.post(url, data=body, headers=headers, timeout=REQUEST_TIMEOUT)
        except httpx.TransportError as exc:
            name = type(exc).__name__
            raise _Unreachable(f"Could not reach {self._host} ({name}); check the network and try again.") from exc
        if response.status_code >= 500:
            raise _Unreachable(f"{self._host} is failing (HTTP {response.status_code}); try again later.")
        payload = json_object(response)
        expected_errors = self._spec.variant == "codex" and response.status_code in (403, 404)
        if not payload and not expected_errors:
            raise LoginError(f"{self._host} sent an unexpected answer (HTTP {response.status_code}); try again later.")
        if self._spec.variant == "rfc8628" and response.is_error and "error" not in payload:
            raise LoginError(f"{self._host} sent an unexpected answer (HTTP {response.status_code}); try again later.")
        return response.status_code, payload


def _showable_code(code: str) -> bool:
    """A code a person can read and type: printable, no longer than a line."""
    return code.isprintable() and len(code) <= MAX_CODE_LENGTH


def _openable_address(uri: str) -> bool:
    """An address the wizard may show as a link and open: https to a host (http only to this machine, as the
    sandbox and a local test issuer serve), no space or control character, not absurdly long. A garbled or
    hostile answer could otherwise end the terminal's link sequence early or have the browser open a `file:`."""
    if len(uri) > MAX_ADDRESS_LENGTH or not uri.isprintable() or " " in uri:
        return False
    parts = urlsplit(uri)
    if parts.scheme == "http":
        return parts.hostname in LOOPBACK_HOSTS
    return parts.scheme == "https" and bool(parts.hostname)


def _texts(*values: object) -> bool:
    return all(isinstance(v, str) and v for v in values)


def _number(value: object) -> float | None:
    """Codex sends `interval` as a string of seconds."""
    if isinstance(value, str) and value.strip().isdigit():
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _epoch_ms(value: object, now_ms: int) -> int | None:
    """MiniMax's `expired_in`: an absolute time in ms, if it is a plausible one."""
    number = _number(value)
    if number is None or not now_ms < number < now_ms + 86_400 * MS:
        return None
    return int(number)


def _seconds(value: object) -> float | None:
    """A duration the server sent, if it is a plausible one (a number of seconds, under a day)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 86_400:
        return float(value)
    return None
