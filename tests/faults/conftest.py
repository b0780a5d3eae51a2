"""Fixtures for the fault-injection tests: a misbehaving token endpoint, an expired login that refreshes against
it, a short stale limit for the tests that do not need CoderClaw's real 30 s, and what every failure must look
like (one sentence, no traceback)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_endpoint import ACCOUNT, EMAIL, PROFILE, FaultyEndpoint, jwt
from fault_helpers import write_store

SHORT_STALE_MS = "3000"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyEndpoint]:
    with FaultyEndpoint() as running:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", running.base_url)
        yield running


@pytest.fixture
def short_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 3 s stale limit (so a 2 s refresh deadline and 0.5 s heartbeat) for the subprocesses of this test."""
    monkeypatch.setenv("CODERCLAW_TEST_LOCK_STALE_MS", SHORT_STALE_MS)


@pytest.fixture
def expired_login(state_dir: Path, endpoint: FaultyEndpoint) -> dict[str, Any]:
    """An expired openai-codex login whose refresh token the endpoint will honour once."""
    record = {
        "type": "oauth", "provider": "openai-codex", "access": jwt(exp=int(time.time()) - 600),
        "refresh": endpoint.new_refresh(), "expires": int(time.time() * 1000) - 600_000,
        "accountId": ACCOUNT, "email": EMAIL, "keptField": {"x": 1},
    }
    write_store(state_dir, {"version": 1, "profiles": {PROFILE: record}})
    return record
