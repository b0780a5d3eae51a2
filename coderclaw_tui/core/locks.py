"""CoderClaw's sidecar store lock, spoken exactly, so this program and a running CoderClaw exclude each other.

Protocol (SPEC 3): `<realpath(dir)>/auth-profiles.json.lock` created with O_CREAT|O_EXCL holding
`{"pid", "createdAt"}`; stale when the pid is dead or it is older than 30 s (mtime when the body is not JSON);
backoff 100 ms doubling to 10 s with jitter, 11 attempts. Unlike CoderClaw it is not re-entrant: an
in-process lock per path keeps two threads (and so two coroutines using worker threads) apart too.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from coderclaw_tui.core.errors import LockTimeout
from coderclaw_tui.core.jsonio import ensure_private_dir

STALE_MS = 30_000
RETRIES = 10
MIN_TIMEOUT_MS = 100
MAX_TIMEOUT_MS = 10_000
FACTOR = 2

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def lock_path_for(target: Path) -> Path:
    """The sidecar path CoderClaw computes: the real directory plus `<name>.lock`."""
    return Path(os.path.realpath(target.parent)) / f"{target.name}.lock"


def backoff_ms(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before attempt `attempt + 1`: exponential, clamped, times a jitter factor in [1, 2)."""
    base = min(MAX_TIMEOUT_MS, max(MIN_TIMEOUT_MS, MIN_TIMEOUT_MS * FACTOR**attempt))
    return min(MAX_TIMEOUT_MS, base * (1 + rand()))


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse_iso_ms(text: str) -> float | None:
    from datetime import datetime, timezone

    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp() * 1000


def describe_holder(lock_path: Path) -> str:
    """Who holds a lock, for messages: `pid 123` or `an unknown process`."""
    try:
        body = json.loads(lock_path.read_text(encoding="utf-8"))
        return f"pid {int(body['pid'])}"
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown process"


def is_stale(lock_path: Path, now_ms: float | None = None) -> bool:
    """CoderClaw's stale test. A lock that vanished meanwhile counts as stale (try again at once)."""
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    try:
        raw = lock_path.read_text(encoding="utf-8")
        mtime_ms = lock_path.stat().st_mtime * 1000
    except FileNotFoundError:
        return True
    try:
        body = json.loads(raw)
        pid = int(body["pid"])
        created_ms = _parse_iso_ms(str(body["createdAt"]))
    except (ValueError, KeyError, TypeError):
        return now_ms - mtime_ms > STALE_MS
    if not _pid_alive(pid):
        return True
    if created_ms is None:
        return now_ms - mtime_ms > STALE_MS
    return now_ms - created_ms > STALE_MS


def _remove_if_same(lock_path: Path, inode: int) -> None:
    """Delete a stale lock only if it is still the file we judged, not one a new holder just made."""
    try:
        if lock_path.stat().st_ino == inode:
            lock_path.unlink()
    except FileNotFoundError:
        pass


def _try_create(lock_path: Path) -> int | None:
    """Exclusive create with the body already in place: the body is written to a private temp file that is
    then hard-linked to the lock path (atomic, and it fails if the lock exists), so a holder killed at any
    moment leaves a lock whose dead pid makes it stale at once, never an empty one that blocks for 30 s."""
    from datetime import datetime, timezone

    created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = json.dumps({"pid": os.getpid(), "createdAt": created}, indent=2).encode()
    temp = lock_path.with_name(f".{lock_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        os.write(fd, body)
        os.link(temp, lock_path)
    except FileExistsError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    finally:
        temp.unlink(missing_ok=True)
    return fd


def _process_lock(lock_path: Path) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(str(lock_path), threading.Lock())


@contextmanager
def store_lock(
    target: Path,
    *,
    retries: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Path]:
    """Hold CoderClaw's lock on `target` for the body of the `with`; raises LockTimeout after the retries."""
    retries = RETRIES if retries is None else retries
    lock_path = lock_path_for(target)
    in_process = _process_lock(lock_path)
    if not in_process.acquire(timeout=_total_wait_s(retries)):
        raise LockTimeout(lock_path, "another task of this process")
    fd: int | None = None
    try:
        fd = _acquire_file(lock_path, retries, sleep)
        yield lock_path
    finally:
        if fd is not None:
            os.close(fd)
            try:
                lock_path.unlink()
            except FileNotFoundError:
                pass
        in_process.release()


def _total_wait_s(retries: int) -> float:
    return sum(backoff_ms(attempt, lambda: 1.0) for attempt in range(retries)) / 1000 + 5


def _acquire_file(lock_path: Path, retries: int, sleep: Callable[[float], None]) -> int:
    ensure_private_dir(lock_path.parent)
    attempt = 0
    while True:
        fd = _try_create(lock_path)
        if fd is not None:
            return fd
        try:
            inode = lock_path.stat().st_ino
        except FileNotFoundError:
            continue
        if is_stale(lock_path):
            _remove_if_same(lock_path, inode)
            continue  # a reclaim always earns one more exclusive-create attempt
        if attempt >= retries:
            raise LockTimeout(lock_path, describe_holder(lock_path))
        sleep(backoff_ms(attempt) / 1000)
        attempt += 1


@contextmanager
def refresh_lock(path: Path, timeout_s: float = 180.0) -> Iterator[None]:
    """The global per-profile refresh lock: an OS lock (flock) that dies with its holder, so it is never stale."""
    from filelock import FileLock, Timeout

    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=timeout_s, mode=0o600, thread_local=False)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise LockTimeout(path, "another refresh of this profile") from exc
