"""Typed errors whose message is the one sentence a user sees."""

from __future__ import annotations

from pathlib import Path


class CoderclawError(Exception):
    """An expected failure: the message names what was wrong and what to do; `exit_code` is for the CLI."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreCorrupt(CoderclawError):
    """A store that does not parse: reported, never overwritten, never read as empty."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path} is not a valid auth store ({reason}); it was left untouched. "
            "Fix it by hand, or move it aside from `coderclaw profiles` to start fresh."
        )
        self.path = path
        self.reason = reason


class PathSymlinked(CoderclawError):
    """A file or directory coderclaw would write or chmod is a symbolic link: refused, never followed."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} is a symbolic link, and coderclaw does not write through links; replace it with a real "
            "file or directory (sub-agents already read main's profiles without one)."
        )
        self.path = path


StoreSymlinked = PathSymlinked


class FileProblem(CoderclawError):
    """An operating-system error on a file, as one sentence with the path and the cause (disk full, read-only,
    permission denied, too many links)."""

    def __init__(self, exc: OSError, doing: str = "use") -> None:
        path = exc.filename if exc.filename is not None else "a file"
        cause = exc.strerror or type(exc).__name__
        super().__init__(f"could not {doing} {path}: {cause[:1].lower()}{cause[1:]}.")
        self.path = path


class LockLost(CoderclawError):
    """The store lock was taken over while we held it (we were stopped past the stale limit): nothing was
    written, since the file may hold another process's newer data."""

    exit_code = 3

    def __init__(self, lock_path: Path) -> None:
        super().__init__(
            f"the lock {lock_path} was taken over by another process while this one was paused; "
            "nothing was written, run the command again."
        )
        self.lock_path = lock_path


class LockTimeout(CoderclawError):
    exit_code = 3

    def __init__(self, lock_path: Path, holder: str) -> None:
        super().__init__(
            f"file lock timeout for {lock_path}: held by {holder}; try again when it finishes, "
            "or delete the lock file if that process is gone."
        )
        self.lock_path = lock_path


class ConfigCorrupt(CoderclawError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} is not valid JSON5 ({reason}); fix it by hand, it was left untouched.")
        self.path = path


class UsageError(CoderclawError):
    exit_code = 2
