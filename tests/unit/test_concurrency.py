"""Real processes racing on one store, and a writer killed with SIGKILL mid-write: no profile is ever lost,
the store always parses, and a lock left by the dead writer never wedges the next one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from coderclaw_tui.core.sink import TokenSink

FIXTURES = Path(__file__).parent.parent / "fixtures"
ORIGINAL_IDS = set(json.loads((FIXTURES / "coderclaw_store.json").read_text())["profiles"])


def test_twenty_processes_upsert_different_profiles_at_once(main_store: Path, state_dir: Path) -> None:
    store = main_store
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    procs = []
    for i in range(20):
        secret = state_dir.parent / f"stdin-{i:02d}"
        secret.write_text(f"FAKE-token-{i:02d}\n")  # input ready up front, so all twenty race for real
        with secret.open("rb") as stdin:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "coderclaw_tui",
                        "models",
                        "auth",
                        "paste-token",
                        "--provider",
                        "openai",
                        "--profile-id",
                        f"openai:p{i:02d}",
                    ],
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                )
            )
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    data = json.loads(store.read_text())
    assert {f"openai:p{i:02d}" for i in range(20)} | ORIGINAL_IDS == set(data["profiles"])
    assert all(data["profiles"][f"openai:p{i:02d}"]["token"] == f"FAKE-token-{i:02d}" for i in range(20))
    config = json.loads((state_dir / "coderclaw.json").read_text())
    assert {f"openai:p{i:02d}" for i in range(20)} <= set(config["auth"]["profiles"]), "config lost a concurrent update"
    assert list(store.parent.glob("*.lock")) == []


_WRITER = r"""
import sys
from coderclaw_tui.core.sink import TokenSink
sink = TokenSink()
round_ = sys.argv[1]
i = 0
while True:
    # grow the file and rewrite an existing record, so kills land in every phase of a write
    sink.upsert("main", f"openai:k{round_}-{i % 7}", {"type": "token", "provider": "openai", "token": "FAKE-" + "x" * (i % 4000)})
    sink.set_order("main", "openai", [f"openai:k{round_}-{i % 7}"])
    if i == 0:
        print("ready", flush=True)
    i += 1
"""


def test_sigkill_at_random_moments_never_loses_or_corrupts(main_store: Path) -> None:
    store = main_store
    rng = random.Random(20240611)
    deadline = time.monotonic() + 10
    rounds = 0
    bodyless = 0
    while rounds < 15 and time.monotonic() < deadline:
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(rounds)], stdout=subprocess.PIPE, env=dict(os.environ)
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()  # reap it: a zombie still answers kill(pid, 0)
        proc.stdout.close()

        lock = store.with_name("auth-profiles.json.lock")
        if lock.exists() and not lock.read_bytes().strip():
            # Killed between creating the lock and writing its body: that wedges every writer for 30 s and
            # is pinned down deterministically by test_writer_killed_between_lock_create_and_body_leaves_no_wedge.
            # Cleared here so this test keeps checking everything else within its time bound.
            lock.unlink()
            bodyless += 1

        data = json.loads(store.read_text())  # parses after every kill
        assert ORIGINAL_IDS <= set(data["profiles"])
        assert data["version"] == 1 and "x-coderclaw-future" in data

        started = time.monotonic()
        TokenSink().upsert(
            "main", f"openai:after-{rounds}", {"type": "token", "provider": "openai", "token": "FAKE-after"}
        )
        assert time.monotonic() - started < 1.0, "a lock left by the killed writer was not recovered at once"
        assert not store.with_name("auth-profiles.json.lock").exists()
        rounds += 1

    assert rounds >= 5
    final = json.loads(store.read_text())
    assert ORIGINAL_IDS | {f"openai:after-{r}" for r in range(rounds)} <= set(final["profiles"])


_DIE_BEFORE_LOCK_BODY = r"""
import os, signal
from coderclaw_tui.core.sink import TokenSink
real_write = os.write
def write(fd, data):
    # SIGKILL at the worst moment: the lock file exists, its body is not written yet
    if ".lock" in os.path.basename(os.readlink(f"/proc/self/fd/{fd}")):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(fd, data)
os.write = write
TokenSink().upsert("main", "openai:never", {"type": "token", "provider": "openai", "token": "FAKE-never"})
"""


def test_writer_killed_between_lock_create_and_body_leaves_no_wedge(main_store: Path) -> None:
    """A writer killed right after it created the lock (O_EXCL) and before it wrote `{pid, createdAt}` must not
    leave a body-less lock: such a lock names no pid, so every other writer (ours and CoderClaw's) can only
    judge it by mtime and waits 30 s. About 1 in 20 random kills of a busy writer lands there."""
    from coderclaw_tui.core.errors import LockTimeout
    from coderclaw_tui.core.locks import store_lock

    store = main_store
    before = store.read_bytes()
    child = subprocess.run([sys.executable, "-c", _DIE_BEFORE_LOCK_BODY], env=dict(os.environ), timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert store.read_bytes() == before
    try:
        with store_lock(store, retries=2, sleep=lambda s: None):
            pass
    except LockTimeout as exc:
        raise AssertionError(f"the killed writer's lock wedges the store: {exc.message}") from None
