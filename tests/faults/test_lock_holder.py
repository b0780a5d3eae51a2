"""Row 1 (and the stale-wait half of row 10): a store lock is kept true while held. A holder stopped with SIGSTOP
past the stale limit loses the lock to a newcomer, and when it resumes it neither writes its old snapshot over
the newcomer's profile nor deletes a third process's live lock; a holder doing slow work keeps its lock fresh
with a heartbeat; a waiter takes a stale lock at the limit, not seconds after it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fault_endpoint import PROFILE, FaultyEndpoint
from fault_helpers import store_path, stored, write_store

HOLDER = """
import pathlib, sys, time
from coderclaw_tui.core.sink import TokenSink
ready, name, work = pathlib.Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
def put(store):
    ready.write_text("in")
    time.sleep(work)
    store.profiles["openai:" + name] = {"type": "api_key", "provider": "openai", "key": "sk-FAKE-" + name}
TokenSink().update("main", put)
ready.write_text("done")
"""


def start_holder(tmp_path: Path, name: str, work: float, env: dict[str, str] | None = None) -> tuple[Any, Path]:
    """A real process that takes the store lock, says so, then works `work` seconds before writing."""
    ready = tmp_path / f"{name}.ready"
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(ready), name, str(work)], env=env)
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert time.monotonic() < deadline and child.poll() is None, "the holder never took the lock"
        time.sleep(0.02)
    return child, ready


def lock_body(state_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads(store_path(state_dir).with_name("auth-profiles.json.lock").read_text())
    except (OSError, ValueError):
        return None


def created_at_s(body: dict[str, Any]) -> float:
    return datetime.fromisoformat(body["createdAt"].replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()


def paste(run_cli: Any, name: str, **kwargs: Any) -> Any:
    return run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", f"openai:{name}",
                   input=f"sk-FAKE-{name}", **kwargs)


@pytest.fixture
def seeded(state_dir: Path) -> Path:
    return write_store(state_dir, {"version": 1, "profiles": {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"}}})


def test_holder_stopped_past_the_real_30s_loses_nothing_and_deletes_no_one_elses_lock(
    seeded: Path, state_dir: Path, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CoderClaw's real 30 s limit (no test override)."""
    monkeypatch.delenv("CODERCLAW_TEST_LOCK_STALE_MS", raising=False)
    holder, ready = start_holder(tmp_path, "stopped", 2.0)
    body = lock_body(state_dir)
    assert body is not None and body["pid"] == holder.pid
    os.kill(holder.pid, signal.SIGSTOP)
    third = None
    try:
        newcomer = paste(run_cli, "newcomer", timeout=90)
        # When the newcomer wrote (the store's mtime), not when its process ended: exit time under load is noise.
        took_over_at = store_path(state_dir).stat().st_mtime - created_at_s(body)
        assert newcomer.returncode == 0, newcomer.stderr
        assert 30 <= took_over_at < 32.5, f"stale lock taken {took_over_at:.1f} s after it was made"
        print(f"FIGURE stopped holder: its lock taken over {took_over_at:.2f} s after it was made")
        assert "openai:newcomer" in stored(state_dir)["profiles"]

        # A third process (a running CoderClaw, say) holds the lock when the stopped holder resumes.
        third = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        lock = store_path(state_dir).with_name("auth-profiles.json.lock")
        third_body = json.dumps({"pid": third.pid, "createdAt": datetime.now(timezone.utc).isoformat()})
        lock.write_text(third_body)
        os.kill(holder.pid, signal.SIGCONT)
        time.sleep(3)
        assert lock.read_text() == third_body, "the resumed holder deleted or rewrote another process's lock"
        assert "openai:stopped" not in stored(state_dir)["profiles"], "it wrote without holding the lock"
        lock.unlink()  # the third process releases
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGCONT)
        if third is not None:
            third.kill()
            third.wait()
    profiles = stored(state_dir)["profiles"]
    assert {"anthropic:default", "openai:newcomer", "openai:stopped"} <= set(profiles), profiles.keys()
    assert ready.read_text() == "done"


def test_heartbeat_keeps_a_slow_holders_lock_fresh(
    seeded: Path, state_dir: Path, tmp_path: Path, run_cli: Any, short_stale: None
) -> None:
    """A 3 s stale limit and a holder working 6 s: the waiter never judges it stale, and writes after it. (A
    stale judgement would take the lock about 3 s after it was made; CoderClaw's retries give the waiter about
    8 s under this limit, so 6 s of work leaves room for a loaded machine.)"""
    holder, _ = start_holder(tmp_path, "slow", 6.0)
    first = lock_body(state_dir)
    started = time.monotonic()
    writer = paste(run_cli, "waiter", timeout=60)
    waited = time.monotonic() - started
    assert holder.wait(timeout=30) == 0
    assert writer.returncode == 0, writer.stderr
    assert waited > 4.5, f"the waiter took a live holder's lock after {waited:.1f} s"
    print(f"FIGURE heartbeat: waiter held off {waited:.1f} s by a holder working 6 s under a 3 s stale limit")
    profiles = stored(state_dir)["profiles"]
    assert {"openai:slow", "openai:waiter", "anthropic:default"} <= set(profiles)
    assert first is not None


def test_heartbeat_rewrites_created_at(seeded: Path, state_dir: Path, tmp_path: Path, short_stale: None) -> None:
    holder, _ = start_holder(tmp_path, "beating", 3.0)
    try:
        before = lock_body(state_dir)
        time.sleep(1.5)
        after = lock_body(state_dir)
    finally:
        assert holder.wait(timeout=30) == 0
    assert before and after and before["pid"] == after["pid"] == holder.pid
    assert created_at_s(after) - created_at_s(before) >= 0.4, "createdAt was not refreshed while held"


@pytest.mark.parametrize("mode", ["ok", "echo-400"])
def test_refresh_whose_lock_was_taken_meanwhile_retakes_it_and_merges(
    mode: str, endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any
) -> None:
    """While the answer is on its way the store lock is taken from the refresher (as a process that judged it
    stale would) and another profile is written; what the answer says (a rotated token, or a refusal) is not
    lost, and neither is that profile."""
    lock = store_path(state_dir).with_name("auth-profiles.json.lock")
    intruder: list[Any] = []

    def take_over() -> None:
        lock.unlink()
        intruder.append(paste(run_cli, "intruder"))

    endpoint.mode = mode
    endpoint.before_answer = take_over
    result = run_cli("models", "auth", "token", "--provider", "openai-codex")
    assert intruder and intruder[0].returncode == 0, intruder
    data = stored(state_dir)
    assert "openai:intruder" in data["profiles"] and not lock.exists()
    record = data["profiles"][PROFILE]
    assert record["keptField"] == {"x": 1} and endpoint.reused == 0
    if mode == "echo-400":
        assert result.returncode == 5, result.stderr
        assert record["needsRelogin"] == "invalid_grant"
        assert data["usageStats"][PROFILE]["disabledReason"] == "auth"
        return
    assert result.returncode == 0, result.stderr
    assert record["refresh"] != expired_login["refresh"] and record["refresh"] in endpoint.live
    assert result.stdout.strip() == record["access"]
