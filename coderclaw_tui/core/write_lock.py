"""CoderClaw's store lock, for writers, with its module loaded on first use: it brings threads (the heartbeat) and
random backoff, which the read-only commands that scripts call often (`models status`, a fresh token) never need."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

    from coderclaw_tui.core.locks import HeldLock


def store_lock(path: Path) -> AbstractContextManager[HeldLock]:
    """`core.locks.store_lock(path)`, importing that module only now."""
    from coderclaw_tui.core.locks import store_lock as lock

    return lock(path)
