"""Row 4: whatever sits at `auth-profiles.json.lock`, the lock loop neither spins, blocks nor crashes. A path
that is not a regular file is a busy attempt (exit 3 naming it, after the backoff, with almost no CPU used); a
body whose pid or `createdAt` is absurd is judged by the file's mtime, so it goes stale like any other.

Every case runs as its own real process in its own state dir, all at once, under a 3 s stale limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_helpers import one_sentence, strict_json, write_store

BUSY: dict[str, Callable[[Path, Path], None]] = {
    "dangling symlink": lambda lock, out: lock.symlink_to(out / "nowhere"),
    "directory": lambda lock, out: lock.mkdir(),
    "FIFO": lambda lock, out: os.mkfifo(lock),
    "symlink to a file elsewhere": lambda lock, out: lock.symlink_to(out / "victim.txt"),
}
STALE_BODIES = {
    "pid 1e30": '{"pid": 1e30, "createdAt": "%s"}',
    "pid 2**70": '{"pid": 1180591620717411303424, "createdAt": "%s"}',
    "createdAt in 2099, live pid": '{"pid": %d, "createdAt": "2099-01-01T00:00:00.000Z"}',
}


def paste_in(state: Path, name: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CODERCLAW_STATE_DIR": str(state), "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen(
        [sys.executable, "-m", "coderclaw_tui", "models", "auth", "paste-token", "--provider", "openai",
         "--profile-id", f"openai:{name}"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdin is not None
    child.stdin.write("sk-FAKE-lockpath-0001")
    child.stdin.close()
    return child


def finish(child: subprocess.Popen[str]) -> tuple[int, str, float, float]:
    """(exit code, stderr, wall seconds since `child.started`, CPU seconds the child used)."""
    _, status, usage = os.wait4(child.pid, 0)
    took = time.monotonic() - child.started  # type: ignore[attr-defined]
    assert child.stderr is not None
    return os.waitstatus_to_exitcode(status), child.stderr.read(), took, usage.ru_utime + usage.ru_stime


def test_odd_lock_paths_are_busy_attempts_never_followed(tmp_path: Path, short_stale: None) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("not yours\n")
    runs = {}
    for name, make in BUSY.items():
        state = tmp_path / name.replace(" ", "-")
        store = write_store(state, {"version": 1, "profiles": {}})
        make(store.with_name("auth-profiles.json.lock"), outside)
        child = paste_in(state, "blocked")
        child.started = time.monotonic()  # type: ignore[attr-defined]
        runs[name] = (child, store)
    for name, (child, store) in runs.items():
        code, err, took, cpu = finish(child)
        assert code == 3, (name, err)
        line = one_sentence(err)
        assert str(store.with_name("auth-profiles.json.lock")) in line, line
        assert "remove it" in line
        assert took < 25 and cpu < 3, f"{name}: {took:.1f} s wall, {cpu:.2f} s CPU"
        print(f"FIGURE lock path {name}: exit 3 after {took:.1f} s, {cpu:.2f} s CPU")
        assert strict_json(store.read_text()) == {"version": 1, "profiles": {}}
    assert (outside / "victim.txt").read_text() == "not yours\n"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


@pytest.mark.parametrize("absurd", list(STALE_BODIES))
def test_absurd_lock_bodies_go_stale_by_mtime(absurd: str, tmp_path: Path, short_stale: None) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store = write_store(tmp_path / "state", {"version": 1, "profiles": {}})
        body = STALE_BODIES[absurd]
        body = body % sleeper.pid if "%d" in body else body % time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        store.with_name("auth-profiles.json.lock").write_text(body)
        child = paste_in(tmp_path / "state", "after")
        child.started = time.monotonic()  # type: ignore[attr-defined]
        code, err, took, _ = finish(child)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert code == 0, err
    assert 2.5 < took < 10, f"took {took:.1f} s; the lock's mtime makes it stale after 3 s"
    assert "openai:after" in json.loads(store.read_text())["profiles"]
    assert not store.with_name("auth-profiles.json.lock").exists()


def test_stale_lock_judged_in_process_does_not_raise(tmp_path: Path) -> None:
    """The same bodies judged in-process: a verdict by mtime, never OverflowError or ValueError."""
    from coderclaw_tui.core.locks import judge

    lock = tmp_path / "x.lock"
    for body in ('{"pid": 1e30}', '{"pid": -5, "createdAt": 7}', "[]", '{"pid": true}', "\x00\xff", ""):
        lock.write_text(body, encoding="latin-1")
        old = time.time() - 60
        os.utime(lock, (old, old))
        assert judge(lock, os.lstat(lock)) is None, body
        os.utime(lock, None)
        assert judge(lock, os.lstat(lock)) is not None, body
