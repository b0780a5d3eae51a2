"""`auth-profiles.json` as data: parse, legacy seeding and serialisation in CoderClaw's key order (SPEC 2).

Profiles are kept as the exact dicts read, so every field another program wrote survives our writes.
"""

from __future__ import annotations

import time
from pathlib import Path

from coderclaw_tui.core.errors import FileProblem, StoreCorrupt
from coderclaw_tui.core.jsonio import describe_json_error, dumps_pretty, strict_loads

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any

STORE_VERSION = 1
REREAD_DELAYS_S = (0.02, 0.04, 0.06, 0.08, 0.1)
"""A store that does not parse is read again over about 300 ms before it is reported: CoderClaw's paste-token
rewrites the file in place (truncate, then write), so a reader can catch it half written."""
_KNOWN_TOP = ("version", "profiles", "order", "lastGood", "usageStats")
_LEGACY_FIELDS = ("key", "token", "access", "refresh", "expires", "email", "enterpriseUrl", "projectId", "accountId")


class AuthStore:
    """One agent's store. Sections absent on disk stay absent (None) so we never add empty keys."""

    def __init__(
        self,
        profiles: dict[str, Any] | None = None,
        order: dict[str, Any] | None = None,
        last_good: dict[str, Any] | None = None,
        usage_stats: dict[str, Any] | None = None,
        version: Any = STORE_VERSION,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.profiles: dict[str, Any] = {} if profiles is None else profiles
        self.order = order
        self.last_good = last_good
        self.usage_stats = usage_stats
        self.version = version
        self.extra: dict[str, Any] = {} if extra is None else extra
        """Top-level keys this program does not know, in the order read."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuthStore) and self.to_json() == other.to_json()

    @classmethod
    def from_json(cls, data: Any, path: Path) -> AuthStore:
        if not isinstance(data, dict):
            raise StoreCorrupt(path, "the top level is not an object")
        sections: dict[str, dict[str, Any] | None] = {}
        for key in ("profiles", "order", "lastGood", "usageStats"):
            value = data.get(key)
            if value is not None and not isinstance(value, dict):
                raise StoreCorrupt(path, f'"{key}" is not an object')
            sections[key] = value
        version = data.get("version", STORE_VERSION)
        return cls(
            profiles=sections["profiles"] or {},
            order=sections["order"],
            last_good=sections["lastGood"],
            usage_stats=sections["usageStats"],
            version=version,  # kept as read, whatever it is: another program may depend on it
            extra={k: v for k, v in data.items() if k not in _KNOWN_TOP},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "profiles": self.profiles}
        for key, value in (("order", self.order), ("lastGood", self.last_good), ("usageStats", self.usage_stats)):
            if value is not None:
                out[key] = value
        out.update(self.extra)
        return out

    def serialize(self) -> str:
        return dumps_pretty(self.to_json())

    # Small mutations shared by the sink, the commands and the browser.

    def remove_profile(self, profile_id: str) -> bool:
        """Drop a profile and every reference to it in this store's order, lastGood and usageStats."""
        existed = self.profiles.pop(profile_id, None) is not None
        if self.order:
            for provider in list(self.order):
                ids = self.order[provider]
                if isinstance(ids, list) and profile_id in ids:
                    remaining = [i for i in ids if i != profile_id]
                    if remaining:
                        self.order[provider] = remaining
                    else:
                        del self.order[provider]
        if self.last_good:
            for provider in [p for p, i in self.last_good.items() if i == profile_id]:
                del self.last_good[provider]
        if self.usage_stats:
            self.usage_stats.pop(profile_id, None)
        return existed

    def usage_for(self, profile_id: str) -> dict[str, Any]:
        if self.usage_stats is None:
            self.usage_stats = {}
        stats = self.usage_stats.get(profile_id)
        if not isinstance(stats, dict):
            stats = self.usage_stats[profile_id] = {}
        return stats


def parse_store(text: str, path: Path) -> AuthStore:
    try:
        data = strict_loads(text)
    except ValueError as exc:
        raise StoreCorrupt(path, describe_json_error(exc)) from None
    return AuthStore.from_json(data, path)


def _read_once(path: Path) -> AuthStore | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise StoreCorrupt(path, "not UTF-8 text") from None
    except IsADirectoryError:
        raise StoreCorrupt(path, "it is a directory") from None
    except OSError as exc:
        raise FileProblem(exc, "read") from None
    return parse_store(text, path)


def read_store(path: Path) -> AuthStore | None:
    """The store at `path`, None when there is none; raises StoreCorrupt rather than pretend it is empty."""
    for delay in REREAD_DELAYS_S:
        try:
            return _read_once(path)
        except StoreCorrupt:
            time.sleep(delay)
    return _read_once(path)


def _read_legacy_map(path: Path) -> dict[str, Any]:
    """A legacy flat `{provider: credential}` file; an unreadable one imports nothing (it is only a seed)."""
    try:
        data = strict_loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def legacy_seed(agent_dir: Path, legacy_oauth: Path | None) -> AuthStore | None:
    """What an agent with no store starts from: its legacy `auth.json`, and (main only) `credentials/oauth.json`.

    Sub-agents never seed from oauth.json: they read main's profiles through, and a copy of a refresh
    token forks the token family. Neither legacy file is deleted.
    """
    store = AuthStore()
    for provider, cred in _read_legacy_map(agent_dir / "auth.json").items():
        if isinstance(cred, dict) and cred.get("type") in ("api_key", "token", "oauth"):
            record = {"type": cred["type"], "provider": provider}
            record.update({k: cred[k] for k in _LEGACY_FIELDS if k in cred})
            store.profiles[f"{provider}:default"] = record
    if legacy_oauth is not None:
        for provider, cred in _read_legacy_map(legacy_oauth).items():
            profile_id = f"{provider}:default"
            if isinstance(cred, dict) and profile_id not in store.profiles:
                store.profiles[profile_id] = {"type": "oauth", "provider": provider, **cred}
    return store if store.profiles else None
