"""The shared `.env` CoderClaw reads keys from: one variable replaced or appended, as CoderClaw writes it."""

from __future__ import annotations

import re
from pathlib import Path

from coderclaw_tui.core.jsonio import write_text_atomic


def upsert_env_var(path: Path, name: str, value: str) -> None:
    """Replace `NAME=` (keeping an `export ` prefix) or append it; the rest of the file stays as it was.
    Written atomically with mode 0600 (CoderClaw rewrites in place; a rename is safer and reads the same)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    pattern = re.compile(rf"^(\s*(?:export\s+)?){re.escape(name)}\s*=")
    for index, line in enumerate(lines):
        match = pattern.match(line)
        if match:
            lines[index] = f"{match.group(1)}{name}={value}"
            break
    else:
        lines.append(f"{name}={value}")
    write_text_atomic(path, "\n".join(lines) + "\n")
