"""Pilot-test fixtures: a frozen clock, the sandbox issuer on loopback, and Services with fakes for the
browser and the clipboard. The root conftest already points the state dir (and HOME) at a temp dir."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
from wizard_helpers import BUILTIN_IDS, REMOTE_VARS, SSH_CONNECTION, FakeBrowser, FakeClipboard, FakeClock, MakeServices

from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer, sandbox_env
from coderclaw_tui.services import Services


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(clock: FakeClock) -> Iterator[SandboxIssuer]:
    with SandboxIssuer(clock=clock, device_interval=1) as sandbox:
        yield sandbox


@pytest.fixture
def browser() -> FakeBrowser:
    return FakeBrowser()


@pytest.fixture
def clipboard() -> FakeClipboard:
    return FakeClipboard()


@pytest.fixture
def make_services(
    clock: FakeClock, issuer: SandboxIssuer, browser: FakeBrowser, clipboard: FakeClipboard
) -> MakeServices:
    """Services for a local machine with a browser, an ephemeral callback port (never 1455) and no fallback
    port; the device flow's sleep moves the frozen clock instead of waiting."""

    async def fast_sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0.05)

    def build(env: dict[str, str] | None = None, **overrides: Any) -> Services:
        inherited = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k not in REMOTE_VARS}
        full_env = {**inherited, **sandbox_env(issuer.base_url, BUILTIN_IDS), **(env or {})}
        if overrides.get("remote") and not any(full_env.get(name) for name in REMOTE_VARS):
            full_env["SSH_CONNECTION"] = SSH_CONNECTION  # "remote" in a test means an SSH session
        settings: dict[str, Any] = {
            "remote": False,
            "callback_port": 0,
            "fallback_port": None,
            "open_browser": browser,
            "copy_text": clipboard,
            "sleep": fast_sleep,
            **overrides,
        }
        return Services.from_env(full_env, clock=clock, **settings)

    return build
