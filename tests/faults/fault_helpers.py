"""What the fault tests read back: the store (strictly), the log, and the one sentence a failure prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def store_path(state_dir: Path, agent: str = "main") -> Path:
    return state_dir / "agents" / agent / "agent" / "auth-profiles.json"


def write_store(state_dir: Path, data: Any, raw: str | None = None) -> Path:
    path = store_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(raw if raw is not None else json.dumps(data, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def stored(state_dir: Path) -> dict[str, Any]:
    return strict_json(store_path(state_dir).read_text(encoding="utf-8"))


def strict_json(text: str) -> Any:
    """What CoderClaw's JSON.parse round-trips: no NaN/Infinity constants."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} in JSON")

    return json.loads(text, parse_constant=refuse)


def one_sentence(stderr: str) -> str:
    """A failure is one line starting `coderclaw:` with no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("coderclaw: ") and "Traceback" not in stderr, stderr
    return lines[0]


def log_text(tmp_path: Path) -> str:
    path = tmp_path / "xdg-state" / "coderclaw" / "log" / "coderclaw.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
