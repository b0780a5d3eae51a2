"""What the app and its screens share: the collaborators that touch the outside world.

Kept apart from `app.py` so a screen needs only this module, never the app that shows it. Tests build `Services`
with fakes (clock, browser, clipboard, ports) instead of patching.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coderclaw_tui import paths
from coderclaw_tui.auth.environment import is_remote_environment, open_graphical_browser
from coderclaw_tui.auth.login_settings import FALLBACK_PORT_ENV, FROM_SPEC, LOGIN_TIMEOUT
from coderclaw_tui.core.sink import TokenSink

if TYPE_CHECKING:
    import httpx

    from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer


def copy_to_system_clipboard(text: str) -> bool:
    """pyperclip, when this machine has a clipboard it can reach; over SSH it usually has none (OSC 52 covers that)."""
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception:  # pyperclip raises its own error types, or anything from the helper it spawns
        return False
    return True


def new_http_client() -> httpx.AsyncClient:
    """httpx is imported when the first login starts, not before the first screen (start-up is measured)."""
    import httpx

    return httpx.AsyncClient()


@dataclass
class Services:
    """Everything the wizard needs from outside the process; tests pass fakes."""

    sink: TokenSink
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    http_client: Callable[[], httpx.AsyncClient] = new_http_client
    """A factory: each login opens (and closes) its own client."""
    open_browser: Callable[[str], bool] = open_graphical_browser
    copy_text: Callable[[str], bool] = copy_to_system_clipboard
    """The system clipboard; the terminal's (OSC 52) is always written as well."""
    remote: bool = False
    """No browser here can reach the user (SSH, container, no display): show the URL and take a paste."""
    no_browser: bool = False
    callback_port: int | None = None
    """None: `$CODERCLAW_OAUTH_CALLBACK_PORT`, else 1455. Tests use 0 (any free port)."""
    fallback_port: int | None = FROM_SPEC
    """Where a login goes when the callback port is held: the method's own (1457 for Codex, none for the others),
    or `$CODERCLAW_OAUTH_FALLBACK_PORT`; None: paste only."""
    login_timeout: float = LOGIN_TIMEOUT
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """How the device flow waits between polls."""
    sandbox: SandboxIssuer | None = None
    """The embedded issuer of `--sandbox`; its presence adds the "approve" keys that play the browser."""
    command: str = "coderclaw"
    """How to run this program again, for the "what now" hints: its path when `coderclaw` on PATH is not this one."""
    state_dir: str | None = None
    """The state dir given with `--state-dir` (or made for `--sandbox`): the hints name it, since a bare command
    would look elsewhere."""

    @property
    def state_dir_note(self) -> str:
        """Which state dir the wizard works on and why, naming any other CoderClaw state dirs (SPEC 1)."""
        return paths.discover_state_dir(self.env).describe()

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.time, **overrides: Any
    ) -> Services:
        """Services whose sink, remote detection and clock all agree on one environment."""
        env = os.environ if env is None else env
        overrides.setdefault("remote", is_remote_environment(env))
        if env.get(FALLBACK_PORT_ENV, "").strip():
            from coderclaw_tui.auth.callback_server import fallback_port_from_env  # only when it has a setting to check

            overrides.setdefault("fallback_port", fallback_port_from_env(env))
        return cls(sink=TokenSink(env=env, clock=clock), clock=clock, env=env, **overrides)
