"""GitHub device login (RFC 8628) for github-copilot: show a short code, poll until it is approved.

Polling obeys the server: `interval` between polls (5 s by default), 5 s more on every `slow_down`, and a stop
on `expired_token` or `access_denied`. GitHub answers these with HTTP 200, RFC-style servers with 400; both are
read the same way. The clock and the sleep are injected so a test runs the whole countdown in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from coderclaw_tui.auth.paste_parser import safe_error_name
from coderclaw_tui.flows.events import (
    DeviceCodeReady,
    EventSink,
    LoginError,
    LoginFlow,
    LoginResult,
    Polling,
    ignore_event,
)
from coderclaw_tui.providers.catalogue import GITHUB_BASE_URL

PROVIDER = "github-copilot"
PROFILE_ID = "github-copilot:github"
GITHUB_CLIENT_ID = "Iv1.b507a08c87ecfe98"
GITHUB_SCOPE = "read:user"
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0
SLOW_DOWN_STEP = 5.0
REQUEST_TIMEOUT = 30.0
MAX_UNREACHABLE_POLLS = 3
"""Consecutive network failures tolerated while polling before giving up."""


class _Unreachable(LoginError):
    """The server could not be reached or failed (5xx): worth another poll, not worth a retry of the start."""


class DeviceCodeLogin(LoginFlow):
    """`await DeviceCodeLogin(http).run()` ends in a github-copilot token credential."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = GITHUB_BASE_URL,
        client_id: str = GITHUB_CLIENT_ID,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_event: EventSink = ignore_event,
    ) -> None:
        super().__init__(on_event)
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._host = urlsplit(self._base_url).netloc or self._base_url
        self._client_id = client_id
        self._clock = clock
        self._sleep = sleep

    async def _login(self) -> LoginResult:
        start = await self._post("/login/device/code", {"client_id": self._client_id, "scope": GITHUB_SCOPE})
        if "error" in start:
            raise LoginError(f"{self._host} refused to start a device login ({safe_error_name(start['error'])}).")
        device_code, user_code = start.get("device_code"), start.get("user_code")
        verification_uri, expires_in = start.get("verification_uri"), start.get("expires_in")
        lifetime = _seconds(expires_in)
        if not all(isinstance(v, str) and v for v in (device_code, user_code, verification_uri)) or lifetime is None:
            raise LoginError(f"{self._host} sent an incomplete device-code answer; try again later.")
        interval = _seconds(start.get("interval")) or DEFAULT_INTERVAL
        expires_at_ms = int((self._clock() + lifetime) * 1000)
        self._on_event(DeviceCodeReady(str(user_code), str(verification_uri), expires_at_ms, interval))
        form = {"client_id": self._client_id, "device_code": str(device_code), "grant_type": DEVICE_GRANT_TYPE}
        attempt, unreachable, slowed_down = 0, 0, False
        while True:
            attempt += 1
            self._on_event(Polling(attempt, interval, expires_at_ms, slowed_down))
            await self._sleep(interval)
            if self._clock() * 1000 >= expires_at_ms:
                raise LoginError(f"The code {user_code} expired before it was approved; start the login again.")
            try:
                answer = await self._post("/login/oauth/access_token", form)
            except _Unreachable:
                unreachable += 1
                if unreachable >= MAX_UNREACHABLE_POLLS:
                    raise
                continue
            unreachable, slowed_down = 0, False
            token = answer.get("access_token")
            if isinstance(token, str) and token:
                credential = {"type": "token", "provider": PROVIDER, "token": token}
                return LoginResult(PROVIDER, credential, PROFILE_ID, identity=None, expires_ms=None)
            error = answer.get("error")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval = max(interval + SLOW_DOWN_STEP, _seconds(answer.get("interval")) or 0.0)
                slowed_down = True
            elif error == "expired_token":
                raise LoginError(f"The code {user_code} expired before it was approved; start the login again.")
            elif error == "access_denied":
                raise LoginError(f"The login was denied on {self._host}; nothing was saved.")
            else:
                raise LoginError(
                    f"{self._host} refused the device login ({safe_error_name(error)}); start the login again."
                )

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        """POST a form, asking for JSON; errors arrive as `{"error": ...}` whatever the status."""
        try:
            response = await self._http.post(
                self._base_url + path, data=form, headers={"Accept": "application/json"}, timeout=REQUEST_TIMEOUT
            )
        except httpx.TransportError as exc:
            name = type(exc).__name__
            raise _Unreachable(f"Could not reach {self._host} ({name}); check the network and try again.") from exc
        if response.status_code >= 500:
            raise _Unreachable(f"{self._host} is failing (HTTP {response.status_code}); try again later.")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or (response.is_error and "error" not in payload):
            raise LoginError(f"{self._host} sent an unexpected answer (HTTP {response.status_code}); try again later.")
        return payload


def _seconds(value: object) -> float | None:
    """A duration the server sent, if it is a plausible one (a number of seconds, under a day)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 86_400:
        return float(value)
    return None
