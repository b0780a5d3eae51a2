"""What a login flow tells its UI while it runs, and what it ends in.

Progress events are NamedTuples (cheap to define: this module is on the wizard's start-up path); the result is a
dataclass so that its repr can leave the credential out.

Events are small frozen values with no secrets in them, so a screen, a plain CLI or a test can render or
assert on them; the flow's `run()` returns a `LoginResult` or raises a `LoginError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from coderclaw_tui.core.errors import CoderclawError


class ListenerStatus(NamedTuple):
    """Whether the browser can hand the login back by itself; `message` says where, or why not."""

    port: int
    listening: bool
    message: str


class AuthorizeUrlReady(NamedTuple):
    """The sign-in URL to show (and copy); from now on a paste is accepted."""

    url: str
    remote: bool
    listener: str | None
    """The loopback address waiting for the redirect, or None when only a paste can finish the login."""
    ssh_hint: str | None
    """`ssh -L <port>:127.0.0.1:<port> <host>` when running remotely, so the redirect can reach us anyway."""


class BrowserOpened(NamedTuple):
    opened: bool
    message: str


class DeviceCodeReady(NamedTuple):
    """The code to show large, where to enter it, and when it stops working (for a countdown)."""

    user_code: str
    verification_uri: str
    expires_at_ms: int
    interval: float


class Polling(NamedTuple):
    """One more poll is due in `interval` seconds; `slowed_down` when the server asked us to back off."""

    attempt: int
    interval: float
    expires_at_ms: int
    slowed_down: bool = False


class Exchanging(NamedTuple):
    """A code arrived (`source` is "callback" or "paste") and is being traded for tokens."""

    source: str


class LoginFailed(NamedTuple):
    message: str


FlowEvent = ListenerStatus | AuthorizeUrlReady | BrowserOpened | DeviceCodeReady | Polling | Exchanging | LoginFailed
EventSink = Callable[[FlowEvent], None]


def ignore_event(event: FlowEvent) -> None:
    """The default sink, for callers that only want the result."""


@dataclass(frozen=True)
class LoginResult:
    """A finished login: `credential` is exactly the record to store, in CoderClaw's shape."""

    provider: str
    credential: dict[str, Any] = field(repr=False)
    suggested_profile_id: str
    identity: str | None
    """Email or account id, for "logged in as …" and for telling identities apart."""
    expires_ms: int | None
    config_patch: dict[str, Any] | None = field(default=None, repr=False)
    """Deep-merged into `coderclaw.json` when the login is saved (`models.providers.<id>`, model aliases)."""
    env_file: tuple[str, str] | None = field(default=None, repr=False)
    """(variable, value) also written to the `.env` CoderClaw reads (the OpenAI API key)."""
    saves_profile: bool = True
    """False when CoderClaw keeps this secret in the config instead of the store (a custom provider's key)."""
    note: str = ""
    """What the confirm step should say besides (an endpoint id that was taken, so a suffix was added)."""


class LoginError(CoderclawError):
    """A login that cannot finish; the message is one sentence saying what happened and what to do."""


class LoginCancelled(LoginError):
    """The user (or a newer login of ours) cancelled; nothing was stored."""


class LoginFlow:
    """The contract every login flow keeps: `run()` once, `cancel()` at any time, progress to `on_event`."""

    def __init__(self, on_event: EventSink) -> None:
        self._on_event = on_event
        self._task: asyncio.Task[LoginResult] | None = None
        self._cancelled = False

    async def run(self) -> LoginResult:
        """The finished login, or `LoginError` (`LoginCancelled` after `cancel()`), announced as `LoginFailed`."""
        if self._task is not None:
            raise RuntimeError("a login flow runs only once")
        self._task = asyncio.ensure_future(self._login())
        if self._cancelled:
            self._task.cancel()
        error: LoginError
        try:
            return await self._task
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
            error = LoginCancelled("Login cancelled; nothing was saved.")
        except LoginError as exc:
            error = exc
        self._on_event(LoginFailed(error.message))
        raise error

    def cancel(self) -> None:
        """Stop now: what the flow holds (a port) is released before this returns."""
        self._cancelled = True
        self._release()
        if self._task is not None:
            self._task.cancel()

    async def _login(self) -> LoginResult:
        raise NotImplementedError

    def _release(self) -> None:
        """Free what must be free the moment `cancel()` returns; flows holding nothing keep this no-op."""
