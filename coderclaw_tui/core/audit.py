"""The program's private log file (0600, never through a link) and its audit lines: one per login, refresh,
failure and cancel, with profile ids, providers and outcomes, never a secret or anything a server wrote.

Scriptable commands import this only when they write, so a plain `models status` pays nothing for logging.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

_configured: Path | None | bool = False


def open_log_file() -> Path | None:
    """Attach the log file to the root logger once; None when no log file can be opened (nothing is logged)."""
    global _configured
    if _configured is not False:
        return _configured or None
    from coderclaw_tui import paths
    from coderclaw_tui.core.jsonio import FILE_MODE, ensure_private_dir

    _configured = None
    try:
        log_path = paths.log_file_path()
        ensure_private_dir(log_path.parent)
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        stream = os.fdopen(fd, "a", encoding="utf-8")
    except (OSError, ValueError):
        logging.getLogger().addHandler(logging.NullHandler())
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in ("httpx", "httpcore"):  # request lines can carry an authorization code in the query
        logging.getLogger(chatty).setLevel(logging.WARNING)
    _configured = log_path
    return log_path


def log(event: str, **fields: object) -> None:
    """One line `event key=value ...`; values are reprs so a hostile id cannot forge a line of its own."""
    open_log_file()
    log_line = " ".join([event, *(f"{key}={value!r}" for key, value in fields.items())])
    logging.getLogger("coderclaw.audit").info(log_line)
