"""`coderclaw.json`: read as JSON5 (comments, trailing commas), written as JSON atomically (SPEC 6).

Only the `auth` and `agents` sections are ever changed; everything else is written back as read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from coderclaw_tui.core.errors import ConfigCorrupt
from coderclaw_tui.core.jsonio import FILE_MODE, dumps_pretty, write_text_atomic
from coderclaw_tui.core.write_lock import store_lock

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")
BACKUP_GENERATIONS = 5


def parse_config(text: str, path: Path) -> tuple[dict[str, Any], bool]:
    """The config and whether it needed JSON5 (comments and the like, lost on rewrite)."""
    try:
        data = json.loads(text)
        plain = True
    except json.JSONDecodeError:
        import json5

        try:
            data = json5.loads(text)
        except ValueError as exc:
            raise ConfigCorrupt(path, str(exc).splitlines()[0]) from None
        plain = False
    if not isinstance(data, dict):
        raise ConfigCorrupt(path, "the top level is not an object")
    return data, plain


def read_config(path: Path) -> dict[str, Any]:
    """The config, or {} when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return parse_config(text, path)[0]


def update_config(path: Path, mutate: Callable[[dict[str, Any]], T]) -> T:
    """Read-modify-write under the same sidecar lock protocol, rotating CoderClaw's five backups first."""
    with store_lock(path):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = None
        data = parse_config(text, path)[0] if text is not None else {}
        result = mutate(data)
        if text is not None:
            rotate_backups(path)
        write_text_atomic(path, dumps_pretty(data))
        return result


def backup_paths(path: Path) -> list[Path]:
    """`coderclaw.json.bak`, `.bak.1` ... `.bak.4`, newest first."""
    return [path.with_name(f"{path.name}.bak")] + [path.with_name(f"{path.name}.bak.{n}") for n in range(1, BACKUP_GENERATIONS)]


def rotate_backups(path: Path) -> None:
    """CoderClaw's rotation before every rewrite (SPEC 6): `.bak.3` -> `.bak.4`, ..., `.bak` -> `.bak.1`, then
    the current file copied to `.bak`. Renames move a symlinked backup as a link and the copy replaces whatever
    `.bak` is, so no link is ever followed. Best effort: a backup that cannot be kept never blocks the write."""
    generations = backup_paths(path)
    for older, newer in reversed(list(zip(generations, generations[1:]))):
        try:
            os.replace(older, newer)
        except FileNotFoundError:
            continue
        except OSError:
            _log_backup_failure(f"could not rotate {older} to {newer}")
    try:
        current = path.read_bytes()
    except OSError:
        return
    import tempfile  # writers only: the read-only commands never import it

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.bak.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(current)
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, generations[0])
    except OSError:
        _log_backup_failure(f"could not back up {path}")
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass


def _log_backup_failure(message: str) -> None:
    import logging  # only on this rare path; the scriptable commands do not otherwise load it

    logging.getLogger(__name__).warning(message, exc_info=True)


def _section(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    node = data
    for key in keys:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    return node


def apply_auth_profile(data: dict[str, Any], profile_id: str, provider: str, mode: str, email: str | None) -> None:
    """Upsert `auth.profiles[id]`; move the id to the front of `auth.order[provider]` only if that list exists."""
    entry: dict[str, Any] = {"provider": provider, "mode": mode}
    if email:
        entry["email"] = email
    profiles = _section(data, "auth", "profiles")
    existing = profiles.get(profile_id)
    profiles[profile_id] = {**existing, **entry} if isinstance(existing, dict) else entry
    if not email and isinstance(profiles[profile_id], dict):
        profiles[profile_id].pop("email", None)
    order = data["auth"].get("order")
    if isinstance(order, dict) and isinstance(order.get(provider), list):
        order[provider] = [profile_id] + [i for i in order[provider] if i != profile_id]


def forget_auth_profile(data: dict[str, Any], profile_id: str) -> None:
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return
    profiles = auth.get("profiles")
    if isinstance(profiles, dict):
        profiles.pop(profile_id, None)
    order = auth.get("order")
    if isinstance(order, dict):
        for provider, ids in order.items():
            if isinstance(ids, list) and profile_id in ids:
                order[provider] = [i for i in ids if i != profile_id]


def agents_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    agents = data.get("agents")
    entries = agents.get("list") if isinstance(agents, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
