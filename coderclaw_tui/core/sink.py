"""The token sink: the one writer of `auth-profiles.json`, and the merged read view every reader uses.

Every read-modify-write happens under CoderClaw's store lock with a fresh read from disk. Sub-agents read
through to main (their own entries override main's key by key); nothing is ever copied between stores, and
a change to an inherited profile is written to the store that owns it.
"""

from __future__ import annotations

import os
import time
from collections import namedtuple
from collections.abc import Callable, Mapping
from pathlib import Path

from coderclaw_tui import paths
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import CoderclawError, FileProblem, LockLost, PathSymlinked, UsageError
from coderclaw_tui.core.jsonio import StrictJsonError, ensure_private_dir, write_text_atomic
from coderclaw_tui.core.store import AuthStore, legacy_seed, read_store
from coderclaw_tui.core.write_lock import store_lock

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from coderclaw_tui.core.locks import HeldLock

    T = TypeVar("T")


class ProfileEntry(namedtuple("ProfileEntry", "profile_id record owner_agent store_path")):
    """One profile as an agent sees it, with the store that owns it."""

    __slots__ = ()
    profile_id: str
    record: Any
    owner_agent: str
    store_path: Path

    @property
    def provider(self) -> str:
        provider = self.record.get("provider") if isinstance(self.record, dict) else None
        return provider if isinstance(provider, str) and provider else self.profile_id.split(":", 1)[0]

    @property
    def kind(self) -> str:
        kind = self.record.get("type") if isinstance(self.record, dict) else None
        return kind if isinstance(kind, str) else "?"

    @property
    def problem(self) -> str | None:
        return credentials.offer_problem(self.record)


def file_stamp(path: Path) -> tuple[int, int]:
    """(mtime ns, size) of a file, (0, -1) when it is missing: cheap change detection."""
    try:
        info = os.stat(path)
    except OSError:
        return (0, -1)
    return (info.st_mtime_ns, info.st_size)


class StoreView:
    """What one agent can use: its own store over main's. `problems` lists stores that could not be read."""

    def __init__(self, agent_id: str, agent_dir: Path, store_path: Path) -> None:
        self.agent_id = agent_id
        self.agent_dir = agent_dir
        self.store_path = store_path
        self.profiles: dict[str, ProfileEntry] = {}
        self.order: dict[str, list[str]] = {}
        self.last_good: dict[str, str] = {}
        self.usage_stats: dict[str, Any] = {}
        self.problems: list[CoderclawError] = []

    @property
    def own_store_missing(self) -> bool:
        """A sub-agent with no store file: CoderClaw copies main's whole store, refresh tokens included, into such a
        dir on its next read, forking every token family (`TokenSink.ensure_store` gives it an empty one)."""
        return self.agent_id != paths.DEFAULT_AGENT_ID and not self.store_path.exists()

    def provider_profiles(self, provider: str) -> list[ProfileEntry]:
        return [e for e in self.profiles.values() if e.provider == provider]

    def ordered_profiles(self, provider: str) -> list[ProfileEntry]:
        """The store's explicit order first (ids that exist and match), then the rest in file order."""
        return self._in_order(provider, {e.profile_id: e for e in self.provider_profiles(provider)})

    def ordered_by_provider(self) -> dict[str, list[ProfileEntry]]:
        """Every provider's profiles in the order they are tried, in one pass over the profiles (status of a store
        of thousands of profiles should not read every profile once per provider)."""
        groups: dict[str, dict[str, ProfileEntry]] = {}
        for entry in self.profiles.values():
            groups.setdefault(entry.provider, {})[entry.profile_id] = entry
        return {provider: self._in_order(provider, entries) for provider, entries in groups.items()}

    def _in_order(self, provider: str, entries: dict[str, ProfileEntry]) -> list[ProfileEntry]:
        explicit = [i.strip() for i in self.order.get(provider, []) if isinstance(i, str) and i.strip() in entries]
        rest = [i for i in entries if i not in explicit]
        return [entries[i] for i in dict.fromkeys(explicit + rest)]


class TokenSink:
    """Reads merged views and performs every write to the auth stores."""

    def __init__(self, env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.env = env
        self.clock = clock
        self._config: dict[str, Any] | None = None
        self._config_stamp = (0, -1)
        self._configured_dirs: dict[str, Path] | None = None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # Locations

    def config(self) -> dict[str, Any]:
        """The config as on disk: read again once the file changed, since a sink may outlive a write to it (the
        full-screen app keeps one for its whole run, while CoderClaw or an editor moves an agent's dir)."""
        path = paths.config_path(self.env)
        stamp = file_stamp(path)
        if self._config is None or stamp != self._config_stamp:
            from coderclaw_tui.core.config import read_config

            self._config, self._config_stamp, self._configured_dirs = read_config(path), stamp, None
        return self._config

    def agent_dir(self, agent_id: str) -> Path:
        if agent_id == paths.DEFAULT_AGENT_ID:
            return paths.default_agent_dir(agent_id, self.env)
        config = self.config()
        if self._configured_dirs is None:  # made once per config read
            from coderclaw_tui.core.agents import configured_dirs

            self._configured_dirs = configured_dirs(config)
        return self._configured_dirs.get(agent_id) or paths.default_agent_dir(agent_id, self.env)

    def store_path(self, agent_id: str) -> Path:
        return paths.auth_store_path(self.agent_dir(agent_id))

    def _legacy_oauth(self, agent_id: str) -> Path | None:
        return paths.legacy_oauth_path(self.env) if agent_id == paths.DEFAULT_AGENT_ID else None

    # Reading

    def load(self, agent_id: str) -> AuthStore:
        """An agent's own store, seeded from legacy files when it has none; raises StoreCorrupt."""
        path = self.store_path(agent_id)
        store = read_store(path)
        if store is None:
            store = legacy_seed(path.parent, self._legacy_oauth(agent_id)) or AuthStore()
        return store

    def view(self, agent_id: str = paths.DEFAULT_AGENT_ID) -> StoreView:
        agent_id = paths.normalize_agent_id(agent_id)
        view = StoreView(agent_id, self.agent_dir(agent_id), self.store_path(agent_id))
        layers = [paths.DEFAULT_AGENT_ID] if agent_id == paths.DEFAULT_AGENT_ID else [paths.DEFAULT_AGENT_ID, agent_id]
        for layer in layers:
            try:
                store = self.load(layer)
            except CoderclawError as exc:
                view.problems.append(exc)
                continue
            path = self.store_path(layer)
            for profile_id, record in store.profiles.items():
                view.profiles[profile_id] = ProfileEntry(profile_id, record, layer, path)
            view.order.update({k: v for k, v in (store.order or {}).items() if isinstance(v, list) and v})
            view.last_good.update(store.last_good or {})
            view.usage_stats.update(store.usage_stats or {})
        return view

    # Writing

    def update_store(
        self, path: Path, agent_id: str, mutate: Callable[[AuthStore], T], *, retry_if_lost: bool = True
    ) -> T:
        """Lock, re-read from disk, mutate, write atomically. A corrupt or symlinked store is refused untouched.

        Just before writing, the lock is checked to still be ours: if it was taken over (this process was stopped
        past the stale limit), nothing is written and, when `retry_if_lost`, the whole read-mutate-write runs again
        on what is now on disk. Callers whose `mutate` must not run twice (a refresh's HTTP call) pass False and
        handle LockLost themselves.
        """
        root = paths.state_dir(self.env)
        try:
            if os.path.islink(path):
                raise PathSymlinked(path)
            ensure_private_dir(path.parent, root)
            for _ in range(3):
                with store_lock(path) as held:
                    try:
                        return self._read_mutate_write(path, agent_id, mutate, held, root)
                    except LockLost:
                        if not retry_if_lost:
                            raise
            raise LockLost(path.with_name(path.name + ".lock"))
        except OSError as exc:
            raise FileProblem(exc, "write") from None

    def _read_mutate_write(
        self, path: Path, agent_id: str, mutate: Callable[[AuthStore], T], held: HeldLock, root: Path
    ) -> T:
        store = read_store(path)
        if store is None:
            store = legacy_seed(path.parent, self._legacy_oauth(agent_id)) or AuthStore()
        before = store.serialize()
        result = mutate(store)
        try:
            after = store.serialize()
        except StrictJsonError as exc:
            raise CoderclawError(f"Refusing to write {path}: {exc}; the store was left as it was.") from None
        if after != before or (store.profiles and not path.exists()):
            held.ensure_owned()
            write_text_atomic(path, after, root)
        return result

    def ensure_store(self, agent_id: str) -> bool:
        """Give an agent with no store file one of its own now (empty, or seeded from its legacy files); True
        when one was written. CoderClaw fills a sub-agent dir that has none with a copy of main's whole store,
        refresh tokens included, which forks their token families."""
        agent_id = paths.normalize_agent_id(agent_id)
        path = self.store_path(agent_id)
        if path.is_symlink():
            raise PathSymlinked(path)
        with store_lock(path):
            if path.exists():
                return False
            store = legacy_seed(path.parent, self._legacy_oauth(agent_id)) or AuthStore()
            write_text_atomic(path, store.serialize())
            return True

    def update(self, agent_id: str, mutate: Callable[[AuthStore], T]) -> T:
        agent_id = paths.normalize_agent_id(agent_id)
        return self.update_store(self.store_path(agent_id), agent_id, mutate)

    def update_owner(self, entry: ProfileEntry, mutate: Callable[[AuthStore], T], *, retry_if_lost: bool = True) -> T:
        """Write to the store that owns `entry` (main's, for an inherited profile)."""
        return self.update_store(entry.store_path, entry.owner_agent, mutate, retry_if_lost=retry_if_lost)

    def upsert(self, agent_id: str, profile_id: str, record: dict[str, Any]) -> None:
        problem = credentials.offer_problem(record)
        if problem:
            raise UsageError(f"Refusing to store {profile_id}: {problem}.")

        def put(store: AuthStore) -> None:
            store.profiles[profile_id] = record

        self.update(agent_id, put)

    def remove(self, agent_id: str, profile_id: str) -> ProfileEntry:
        """Remove a profile from the agent's own store; an inherited one must be removed from main."""
        entry = self._require(agent_id, profile_id)
        if entry.owner_agent != paths.normalize_agent_id(agent_id):
            raise UsageError(
                f"{profile_id} belongs to agent {entry.owner_agent} and is only inherited here; "
                f"remove it with --agent {entry.owner_agent}."
            )
        if not self.update(agent_id, lambda store: store.remove_profile(profile_id)):
            raise UsageError(f"{profile_id} was removed by another process meanwhile.")
        return entry

    def set_order(self, agent_id: str, provider: str, profile_ids: list[str]) -> list[str]:
        view = self.view(agent_id)
        if view.problems:
            raise view.problems[0]
        for profile_id in profile_ids:
            entry = view.profiles.get(profile_id)
            if entry is None:
                raise UsageError(f"No profile {profile_id} for agent {view.agent_id}; see `coderclaw models auth list`.")
            if entry.provider != provider:
                raise UsageError(f"{profile_id} belongs to provider {entry.provider}, not {provider}.")
        ids = list(dict.fromkeys(profile_ids))

        def put(store: AuthStore) -> None:
            if store.order is None:
                store.order = {}
            store.order[provider] = ids

        self.update(agent_id, put)
        return ids

    def clear_order(self, agent_id: str, provider: str) -> bool:
        def drop(store: AuthStore) -> bool:
            if not store.order or provider not in store.order:
                return False
            del store.order[provider]
            return True

        return self.update(agent_id, drop)

    def mark_used(self, agent_id: str, profile_id: str) -> None:
        """A success: `lastUsed = now`, counters and cooldowns cleared, `lastGood` set (as CoderClaw does)."""
        entry = self._require(agent_id, profile_id)
        now = self.now_ms()

        def touch(store: AuthStore) -> None:
            stats = store.usage_for(profile_id)
            for key in ("cooldownUntil", "disabledUntil", "disabledReason", "failureCounts"):
                stats.pop(key, None)
            stats["lastUsed"] = now
            stats["errorCount"] = 0
            if store.last_good is None:
                store.last_good = {}
            store.last_good[entry.provider] = profile_id

        self.update(agent_id, touch)

    def move_aside(self, agent_id: str) -> Path:
        """Rename a corrupt store to `auth-profiles.json.corrupt-<timestamp>` so a fresh one can start.

        Linking to the new name fails rather than replace an earlier copy, so nothing is ever lost.
        """
        path = self.store_path(agent_id)
        from datetime import datetime, timezone

        with store_lock(path) as held:
            held.ensure_owned()
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            for suffix in ("", *(f"-{n}" for n in range(2, 100))):
                target = path.with_name(f"{path.name}.corrupt-{stamp}{suffix}")
                try:
                    os.link(path, target)
                except FileExistsError:
                    continue
                path.unlink()
                return target
            raise CoderclawError(f"Could not find a free name to move {path} aside; nothing was changed.")

    def _require(self, agent_id: str, profile_id: str) -> ProfileEntry:
        view = self.view(agent_id)
        entry = view.profiles.get(profile_id)
        if entry is None:
            if view.problems:
                raise view.problems[0]
            raise UsageError(f"No profile {profile_id} for agent {view.agent_id}; see `coderclaw models auth list`.")
        return entry
