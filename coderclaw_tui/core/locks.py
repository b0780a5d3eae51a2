"""CoderClaw's sidecar store lock, spoken exactly, so this program and a running CoderClaw exclude each other.

Protocol (SPEC 3): `<realpath(dir)>/auth-profiles.json.lock` created exclusively holding `{"pid", "createdAt"}`;
stale when the pid is dead or it is older than 30 s (the file's mtime when the body does not parse, names an
absurd pid, or a `createdAt` in the future); backoff 100 ms doubling to 10 s with jitter, 10 retries, each wait
cut short at the moment the lock turns stale. Kept true while held: a heartbeat thread rewrites `createdAt` every
few seconds, and the holder checks the file is still its own (same inode, same body) before it writes and before
it removes it, so a holder that was stopped past the limit never deletes or writes over a newcomer's work.
A lock path that is not a regular file (a link, a directory, a FIFO) is a busy attempt, never followed or opened
for writing. Unlike CoderClaw it is not re-entrant: an in-process lock per path keeps two threads apart too.
"""

from __future__ import annotations

import json
import os
import random
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from coderclaw_tui.core.errors import LockLost, LockTimeout, PathSymlinked
from coderclaw_tui.core.jsonio import create_exclusive, ensure_private_dir, name_path, pid_alive, remove_dead_temps

STALE_MS = 30_000
STALE_ENV = "CODERCLAW_TEST_LOCK_STALE_MS"
"""Test-only: a shorter stale limit so fault tests run in seconds. Unset, the limit is CoderClaw's 30 s."""
RETRIES = 10
MIN_TIMEOUT_MS = 100
MAX_TIMEOUT_MS = 10_000
FACTOR = 2
MAX_BODY = 4096

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def stale_ms() -> int:
    override = os.environ.get(STALE_ENV, "").strip()
    return int(override) if override.isdigit() and int(override) > 0 else STALE_MS


def heartbeat_s() -> float:
    """How often a holder rewrites `createdAt`: six beats per stale period (5 s for CoderClaw's 30 s)."""
    return stale_ms() / 6000


def lock_path_for(target: Path) -> Path:
    """The sidecar path CoderClaw computes: the real directory plus `<name>.lock`."""
    return Path(os.path.realpath(target.parent)) / f"{target.name}.lock"


def backoff_ms(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Delay before attempt `attempt + 1`: exponential, clamped, times a jitter factor in [1, 2). The clamp is
    CoderClaw's 10 s, or a third of a shortened (test) stale limit."""
    cap = min(MAX_TIMEOUT_MS, stale_ms() / 3)
    base = min(cap, max(MIN_TIMEOUT_MS, MIN_TIMEOUT_MS * FACTOR**attempt))
    return min(cap, base * (1 + rand()))


def _parse_iso_ms(text: str) -> float | None:
    from datetime import datetime, timezone

    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp() * 1000


def _now_iso() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lock_body() -> bytes:
    return json.dumps({"pid": os.getpid(), "createdAt": _now_iso()}, indent=2).encode()


def _read_regular(path: Path, inode: int | None = None) -> bytes | None:
    """A lock file's body, read without following a link or blocking on a FIFO; None if it is not that file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (inode is not None and info.st_ino != inode):
            return None
        return os.read(fd, MAX_BODY)
    except OSError:
        return None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "not a regular file"


def _body_fields(raw: bytes | None) -> tuple[int | None, float | None]:
    """(pid, createdAt in ms) from a lock body; None for a field that is missing or absurd."""
    try:
        body = json.loads(raw or b"")
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    pid = body.get("pid")
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 1 << 22 else None
    created = body.get("createdAt")
    return pid, _parse_iso_ms(created) if isinstance(created, str) else None


def judge(lock_path: Path, info: os.stat_result, now_ms: float | None = None) -> float | None:
    """None when the regular lock file `info` describes is stale, else the seconds until it would be."""
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    pid, created_ms = _body_fields(_read_regular(lock_path, info.st_ino))
    limit = stale_ms()
    if pid is not None and (not pid_alive(pid) or (pid == os.getpid() and not _held_here(lock_path))):
        return None
    if pid is None or created_ms is None or created_ms > now_ms + 1000:
        created_ms = info.st_mtime * 1000
    age = now_ms - created_ms
    if age > limit:
        return None
    return min(limit, limit - age) / 1000


def describe_holder(lock_path: Path) -> str:
    """Who holds a lock, for messages: `pid 123`, what the path is when it is not a lock file, or `an unknown
    process`."""
    try:
        info = os.lstat(lock_path)
    except OSError:
        return "an unknown process"
    if not stat.S_ISREG(info.st_mode):
        return f"nothing: the lock path is {_kind(info.st_mode)}, remove it"
    pid, _ = _body_fields(_read_regular(lock_path, info.st_ino))
    return f"pid {pid}" if pid is not None else "an unknown process"


class HeldLock:
    """A lock file this process created: its fd, inode and body. While held, the process's heartbeat thread
    rewrites its `createdAt` (one thread for every lock held, so a short hold costs no thread of its own)."""

    def __init__(self, path: Path, fd: int, body: bytes) -> None:
        self.path = path
        self.fd = fd
        self.inode = os.fstat(fd).st_ino
        self.body = body
        self.beating = True
        self._guard = threading.Lock()
        _heartbeat.add(self)

    def still_ours(self) -> bool:
        with self._guard:
            return _read_regular(self.path, self.inode) == self.body

    def ensure_owned(self) -> None:
        """Raise LockLost unless the lock file is still the one we made, unchanged."""
        if not self.still_ours():
            raise LockLost(self.path)

    def beat(self) -> None:
        """Rewrite `createdAt` in our own lock file; stop for good once it is not ours (never write another's)."""
        with self._guard:
            if not self.beating:
                return
            if _read_regular(self.path, self.inode) != self.body:
                self.beating = False
                return
            body = _lock_body()
            try:
                os.pwrite(self.fd, body, 0)
                os.ftruncate(self.fd, len(body))
            except OSError:
                self.beating = False
                return
            self.body = body

    def release(self) -> None:
        _heartbeat.discard(self)
        with self._guard:
            self.beating = False
        try:
            if self.still_ours():
                os.unlink(self.path)
        except FileNotFoundError:
            pass
        finally:
            os.close(self.fd)


class _Heartbeat:
    """One daemon thread per process that beats every held lock every `heartbeat_s()`; started on first use."""

    def __init__(self) -> None:
        self._locks: set[HeldLock] = set()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, lock: HeldLock) -> None:
        with self._guard:
            self._locks.add(lock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lock-heartbeat", daemon=True)
                self._thread.start()

    def discard(self, lock: HeldLock) -> None:
        with self._guard:
            self._locks.discard(lock)

    def _run(self) -> None:
        while True:
            time.sleep(heartbeat_s())
            with self._guard:
                due = list(self._locks)
            for lock in due:
                lock.beat()


_heartbeat = _Heartbeat()


_held: set[str] = set()


def _held_here(lock_path: Path) -> bool:
    return str(lock_path) in _held


def _try_create(lock_path: Path) -> HeldLock | None:
    """Exclusive create with the body already in place: the body is written to a private temp file (created
    O_EXCL|O_NOFOLLOW) that is then hard-linked to the lock path (atomic, and it fails if anything is there), so
    a holder killed at any moment leaves a lock whose dead pid makes it stale at once, never an empty one."""
    body = _lock_body()
    temp = lock_path.with_name(f".{lock_path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = create_exclusive(temp)
    try:
        os.write(fd, body)
        os.link(temp, lock_path, follow_symlinks=False)
    except FileExistsError:
        os.close(fd)
        return None
    except BaseException as exc:
        os.close(fd)
        name_path(exc, lock_path)
        raise
    finally:
        temp.unlink(missing_ok=True)
    return HeldLock(lock_path, fd, body)


def _process_lock(lock_path: Path) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(str(lock_path), threading.Lock())


@contextmanager
def store_lock(
    target: Path,
    *,
    retries: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[HeldLock]:
    """Hold CoderClaw's lock on `target` for the body of the `with`; raises LockTimeout after the retries."""
    retries = RETRIES if retries is None else retries
    lock_path = lock_path_for(target)
    in_process = _process_lock(lock_path)
    if not in_process.acquire(timeout=_total_wait_s(retries)):
        raise LockTimeout(lock_path, "another task of this process")
    held: HeldLock | None = None
    try:
        held = _acquire_file(lock_path, retries, sleep)
        _held.add(str(lock_path))
        yield held
    finally:
        if held is not None:
            _held.discard(str(lock_path))
            held.release()
        in_process.release()


def _total_wait_s(retries: int) -> float:
    return sum(backoff_ms(attempt, lambda: 1.0) for attempt in range(retries)) / 1000 + stale_ms() / 1000 + 5


def _remove_if_same(lock_path: Path, inode: int) -> None:
    """Delete a stale lock only if it is still the file we judged, not one a new holder just made."""
    try:
        info = os.lstat(lock_path)
        if stat.S_ISREG(info.st_mode) and info.st_ino == inode:
            os.unlink(lock_path)
    except FileNotFoundError:
        pass


def _acquire_file(lock_path: Path, retries: int, sleep: Callable[[float], None]) -> HeldLock:
    ensure_private_dir(lock_path.parent)
    remove_dead_temps(lock_path)
    attempt = 0
    reclaims = 0
    while True:
        held = _try_create(lock_path)
        if held is not None:
            return held
        until_stale: float | None = None
        try:
            info = os.lstat(lock_path)
        except FileNotFoundError:
            info = None
        if info is not None and stat.S_ISREG(info.st_mode):
            until_stale = judge(lock_path, info)
            if until_stale is None and reclaims < RETRIES:
                reclaims += 1
                _remove_if_same(lock_path, info.st_ino)
                continue  # a reclaim earns one more exclusive-create attempt (bounded: never a spin)
        elif info is None and reclaims < RETRIES:
            reclaims += 1
            continue  # released between our attempt and our look: try again at once
        if attempt >= retries:
            raise LockTimeout(lock_path, describe_holder(lock_path))
        delay = backoff_ms(attempt) / 1000
        if until_stale is not None:
            delay = min(delay, until_stale + 0.05)
        sleep(delay)
        attempt += 1


@contextmanager
def refresh_lock(path: Path, timeout_s: float = 180.0, root: Path | None = None) -> Iterator[None]:
    """The global per-profile refresh lock: an OS lock (flock) that dies with its holder, so it is never stale.

    Its directory and file are never symlinks (refused), so nothing is created or chmod'ed outside the state dir.
    """
    from filelock import FileLock, Timeout

    ensure_private_dir(path.parent, root)
    if os.path.islink(path):
        raise PathSymlinked(path)
    lock = FileLock(str(path), timeout=timeout_s, mode=0o600, thread_local=False)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise LockTimeout(path, "another refresh of this profile") from exc
