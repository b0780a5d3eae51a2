"""Fixtures for the fault-injection tests: a misbehaving token endpoint, an expired login that refreshes against
it, a short stale limit for the tests that do not need CoderClaw's real 30 s, and what every failure must look
like (one sentence, no traceback)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_endpoint import ACCOUNT, EMAIL, PROFILE, FaultyEndpoint, jwt

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


def store_path(state_dir: Path, agent: str = "main") -> Path:
    return state_dir / "agents" / agent / "agent" / "auth-profiles.json"


def write_store(state_dir: Path, data: Any, raw: str | None = None) -> Path:
    path = store_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(raw if raw is not None else json.dumps(data, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


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


def stored(state_dir: Path) -> dict[str, Any]:
    return strict_json(store_path(state_dir).read_text(encoding="utf-8"))


def strict_json(text: str) -> Any:
    """What CoderClaw's JSON.parse round-trips: no NaN/Infinity constants."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} in JSON")

    return json.loads(text, parse_constant=refuse)


def one_sentence(stderr: str) -> str:
    """A failure is one line starting `coderclaw:` with no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("coderclaw: ") and "Traceback" not in stderr, stderr
    return lines[0]


def log_text(tmp_path: Path) -> str:
    path = tmp_path / "xdg-state" / "coderclaw" / "log" / "coderclaw.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
