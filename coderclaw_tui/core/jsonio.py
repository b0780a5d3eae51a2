"""Atomic, private JSON writes: temp file in the same dir, fsync, os.replace, 0600 (SPEC 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from coderclaw_tui.core.errors import StoreSymlinked

DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> None:
    """Create a directory and every missing parent 0700; tighten an existing leaf we own."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
    try:
        if path.stat().st_mode & 0o777 != DIR_MODE:
            path.chmod(DIR_MODE)
    except PermissionError:
        pass


def dumps_pretty(data: Any) -> str:
    """Two-space indent and a final newline, byte-compatible with `JSON.stringify(x, null, 2) + "\\n"`."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Replace `path` in one step so a crash leaves either the old or the new file, never half of one."""
    if path.is_symlink():
        raise StoreSymlinked(path)
    ensure_private_dir(path.parent)
    import tempfile  # only writers pay for it; the read-only commands never import it

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    os.chmod(path, FILE_MODE)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        dir_fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
