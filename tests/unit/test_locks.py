"""SPEC 3: CoderClaw's sidecar lock, spoken exactly. A running CoderClaw (simulated by a real process that owns
a lock file) must hold us off, and a lock left by a dead or hung holder must not wedge us forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from coderclaw_tui.core.errors import LockTimeout
from coderclaw_tui.core.locks import store_lock
from coderclaw_tui.core.sink import TokenSink

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
FIXTURES = Path(__file__).parent.parent / "fixtures"


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_lock(lock: Path, pid: int, created: datetime) -> None:
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": pid, "createdAt": iso(created)}, indent=2))


def sleeper(seconds: float, then_delete: Path | None = None) -> subprocess.Popen[bytes]:
    """A real live process, as a running CoderClaw would be; optionally it releases the lock when done."""
    code = "import sys, time, os\ntime.sleep(float(sys.argv[1]))\n"
    if then_delete is not None:
        code += "os.unlink(sys.argv[2])\n"
    args = [sys.executable, "-c", code, str(seconds)] + ([str(then_delete)] if then_delete else [])
    return subprocess.Popen(args)


@pytest.fixture
def store(main_store: Path) -> Path:
    """The store these tests lock: the CoderClaw-written fixture, installed by the shared `main_store`."""
    return main_store


def lock_of(store: Path) -> Path:
    return store.with_name("auth-profiles.json.lock")


def upsert(name: str) -> None:
    TokenSink().upsert("main", f"openai:{name}", {"type": "token", "provider": "openai", "token": f"FAKE-{name}"})


def profiles(store: Path) -> dict:
    return json.loads(store.read_text())["profiles"]


def test_live_fresh_lock_blocks_a_write_until_its_holder_removes_it(store: Path, run_cli: RunCli) -> None:
    lock = lock_of(store)
    holder = sleeper(1.0, then_delete=lock)
    try:
        write_lock(lock, holder.pid, datetime.now(timezone.utc))
        started = time.monotonic()
        result = run_cli(
            "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:waited", input="FAKE-w"
        )
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    assert waited >= 0.9, "the write went ahead while another process held the lock"
    assert profiles(store)["openai:waited"]["token"] == "FAKE-w"
    assert not lock.exists()


def test_lock_of_a_dead_pid_is_recovered_at_once(store: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_lock(lock_of(store), gone.pid, datetime.now(timezone.utc))
    started = time.monotonic()
    upsert("after-dead")
    assert time.monotonic() - started < 0.5
    assert "openai:after-dead" in profiles(store)
    assert not lock_of(store).exists()


def test_lock_older_than_30s_is_recovered_even_if_its_pid_lives(store: Path) -> None:
    holder = sleeper(30)
    try:
        write_lock(lock_of(store), holder.pid, datetime.now(timezone.utc) - timedelta(seconds=31))
        started = time.monotonic()
        upsert("after-old")
        assert time.monotonic() - started < 0.5
    finally:
        holder.kill()
        holder.wait()
    assert "openai:after-old" in profiles(store)


def test_lock_29s_old_with_live_pid_still_holds(store: Path) -> None:
    """The other side of the 30 s rule, so the test above cannot pass by treating every lock as stale."""
    holder = sleeper(30)
    try:
        write_lock(lock_of(store), holder.pid, datetime.now(timezone.utc) - timedelta(seconds=29))
        with pytest.raises(LockTimeout):
            with store_lock(store, retries=1, sleep=lambda s: None):
                pass
    finally:
        holder.kill()
        holder.wait()
    assert lock_of(store).exists(), "a live holder's lock was deleted"


def test_unparsable_lock_is_judged_by_mtime(store: Path) -> None:
    lock = lock_of(store)
    lock.write_text("{not json")
    with pytest.raises(LockTimeout):
        with store_lock(store, retries=1, sleep=lambda s: None):
            pass
    old = time.time() - 60
    os.utime(lock, (old, old))
    started = time.monotonic()
    upsert("after-garbage")
    assert time.monotonic() - started < 0.5
    assert "openai:after-garbage" in profiles(store)
    assert not lock.exists()


def test_lock_timeout_names_the_lock_and_its_holder(store: Path) -> None:
    holder = sleeper(30)
    delays: list[float] = []
    try:
        write_lock(lock_of(store), holder.pid, datetime.now(timezone.utc))
        with pytest.raises(LockTimeout) as caught:
            with store_lock(store, retries=3, sleep=delays.append):
                pytest.fail("entered a lock another live process holds")
    finally:
        holder.kill()
        holder.wait()
    message = caught.value.message
    assert str(lock_of(store)) in message
    assert f"pid {holder.pid}" in message
    assert len(delays) == 3
    assert 0.1 <= delays[0] < 0.2 and 0.2 <= delays[1] < 0.4 and 0.4 <= delays[2] < 0.8, delays
    assert "\n" not in message


def test_lock_body_is_coderclaws_and_is_removed_on_release(store: Path) -> None:
    with store_lock(store) as held:
        lock = held.path
        assert lock == lock_of(store)
        body = json.loads(lock.read_text())
        assert body["pid"] == os.getpid()
        created = datetime.fromisoformat(body["createdAt"].replace("Z", "+00:00"))
        assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 5
    assert not lock_of(store).exists()


def test_lock_is_released_when_the_body_raises(store: Path) -> None:
    with pytest.raises(RuntimeError):
        with store_lock(store):
            raise RuntimeError("boom")
    assert not lock_of(store).exists()
    upsert("after-raise")
    assert "openai:after-raise" in profiles(store)


def test_threads_never_hold_the_store_lock_together(store: Path) -> None:
    """Not re-entrant across tasks (unlike CoderClaw): at most one thread inside at any moment, and a second
    thread that asks while the first holds it enters only after the first left."""
    inside = 0
    most = 0
    guard = threading.Lock()
    spans: list[tuple[float, float]] = []

    def work() -> None:
        nonlocal inside, most
        with store_lock(store):
            with guard:
                inside += 1
                most = max(most, inside)
            entered = time.monotonic()
            time.sleep(0.05)
            with guard:
                inside -= 1
            spans.append((entered, time.monotonic()))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert most == 1
    assert len(spans) == 8
    spans.sort()
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))
    assert not lock_of(store).exists()


def test_threads_upserting_concurrently_lose_nothing(store: Path) -> None:
    """Read-modify-write under the lock: ten threads, ten different profiles, all present afterwards."""
    threads = [threading.Thread(target=upsert, args=(f"t{i}",)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert {f"openai:t{i}" for i in range(10)} <= set(profiles(store))
    assert set(json.loads((FIXTURES / "coderclaw_store.json").read_text())["profiles"]) <= set(profiles(store))


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("models", "status"), None),
        (("models", "auth", "list"), None),
        (("models", "auth", "token", "--provider", "anthropic"), None),
        (("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default"), None),
        (("models", "auth", "order", "get", "--provider", "anthropic"), None),
        (("models", "auth", "order", "clear", "--provider", "anthropic"), None),
        (("models", "auth", "paste-token", "--provider", "openai"), "FAKE-tok"),
        (("models", "auth", "logout", "github-copilot:github"), None),
        (("models", "auth", "logout", "no:such"), None),
        (("agents", "add", "ops"), None),
        (("agents", "list"), None),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, tuple) else "",
)
def test_no_lock_file_is_left_behind(store: Path, state_dir: Path, run_cli: RunCli, args, stdin) -> None:
    run_cli(*args, input=stdin)
    assert [p for p in state_dir.rglob("*.lock")] == []
