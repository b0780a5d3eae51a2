"""Saving the result of a login: profile id collisions (SPEC 5) and the config update (SPEC 6).

The same identity logging in again updates its profile in place; a different identity or another type never
silently overwrites an existing id: the caller is offered a free one instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from coderclaw_tui import paths
from coderclaw_tui.core import credentials
from coderclaw_tui.core.agents import list_agents
from coderclaw_tui.core.config import apply_auth_profile, forget_auth_profile, update_config
from coderclaw_tui.core.errors import CoderclawError, StoreCorrupt
from coderclaw_tui.core.relogin import clear_needs_relogin
from coderclaw_tui.core.sink import ProfileEntry, TokenSink
from coderclaw_tui.core.store import AuthStore

CONFIG_MODES = {"oauth": "oauth", "token": "token", "api_key": "api_key"}


class ProfileCollision(CoderclawError):
    """The id holds someone else's credential; `free_id` is a name that does not."""

    def __init__(self, profile_id: str, existing: str, free_id: str) -> None:
        super().__init__(f"{profile_id} already holds {existing}; save this login as {free_id} instead, or choose another name.")
        self.profile_id = profile_id
        self.free_id = free_id


def _identity_key(record: dict[str, Any]) -> tuple[str, str] | None:
    for field in ("accountId", "email"):
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return field, value.strip().lower()
    return None


def same_owner(existing: Any, incoming: dict[str, Any]) -> bool:
    """Whether `incoming` may replace `existing` in place: same type, and no identity that proves otherwise."""
    if not isinstance(existing, dict) or existing.get("type") != incoming.get("type"):
        return False
    if existing.get("provider") != incoming.get("provider"):
        return False
    old, new = _identity_key(existing), _identity_key(incoming)
    if old is None:
        return True
    if new is None:
        return False
    if old[0] == new[0]:
        return old == new
    other = incoming.get(old[0])
    return isinstance(other, str) and other.strip().lower() == old[1]


CREDENTIAL_WORDS = {"oauth": "an OAuth login", "token": "a token", "api_key": "an API key"}


def describe(record: Any) -> str:
    """What an existing profile holds, in words: "an API key", "an OAuth login for ada@example.com"."""
    if not isinstance(record, dict):
        return "an entry coderclaw cannot read"
    who = credentials.identity_of(record)
    what = CREDENTIAL_WORDS.get(str(record.get("type")), "a credential coderclaw does not know")
    return what + (f" for {who}" if who else "")


def free_profile_id(profiles: dict[str, Any], profile_id: str) -> str:
    provider, _, name = profile_id.partition(":")
    counter = 2
    while f"{provider}:{name}-{counter}" in profiles:
        counter += 1
    return f"{provider}:{name}-{counter}"


@dataclass(frozen=True)
class Placement:
    """Where a login would land, for the confirm screen to show before anything is written."""

    profile_id: str
    store_path: str
    replaces: bool
    """True when it updates the same identity's profile in place."""
    collision: str | None = None
    """What occupies the requested id, when it is someone else's; `profile_id` is then a free one."""
    requested_id: str | None = None
    """Set when the same account already has a profile under another id (CoderClaw's `openai-codex:default`):
    the login updates `profile_id` instead of adding `requested_id`."""


def same_identity(existing: Any, incoming: dict[str, Any]) -> bool:
    """Whether two credentials provably belong to one account (SPEC 5): same provider and type, and the stored
    profile's identity (its accountId, else its email) is the one the new login carries."""
    if not isinstance(existing, dict) or existing.get("type") != incoming.get("type"):
        return False
    if existing.get("provider") != incoming.get("provider"):
        return False
    old = _identity_key(existing)
    value = incoming.get(old[0]) if old else None
    return old is not None and isinstance(value, str) and value.strip().lower() == old[1]


def _target(visible: dict[str, Any], profile_id: str, record: dict[str, Any]) -> tuple[str, Any]:
    """The id a login is saved under and what it finds there: the requested id when it is free or the same
    owner's, else another profile of the same account, else the requested id (a collision for the caller)."""
    existing = visible.get(profile_id)
    if existing is not None and same_owner(existing, record):
        return profile_id, existing
    for other_id, other in visible.items():
        if other_id != profile_id and same_identity(other, record):
            return other_id, other
    return profile_id, existing


def plan_placement(sink: TokenSink, agent_id: str, profile_id: str, record: dict[str, Any]) -> Placement:
    agent_id = paths.normalize_agent_id(agent_id)
    visible = _visible_records(sink, agent_id, sink.load(agent_id))
    target, existing = _target(visible, profile_id, record)
    store_path = str(sink.store_path(agent_id))
    if target != profile_id:
        return Placement(target, store_path, replaces=True, requested_id=profile_id)
    if existing is None:
        return Placement(profile_id, store_path, replaces=False)
    if same_owner(existing, record):
        return Placement(profile_id, store_path, replaces=True)
    return Placement(free_profile_id(visible, profile_id), store_path, replaces=False, collision=describe(existing))


def _visible_records(sink: TokenSink, agent_id: str, own: AuthStore) -> dict[str, Any]:
    """What the agent sees under each id: its own records over the ones it reads through from main.

    A sub-agent saving under an inherited id would hide main's profile from it, so that counts as taken too.
    """
    inherited = {} if agent_id == paths.DEFAULT_AGENT_ID else {k: e.record for k, e in sink.view(agent_id).profiles.items()}
    return {**inherited, **own.profiles}


def relogged_record(existing: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The same owner's record after a new login: the new credential over the old record's other fields (a label,
    a plan type another program wrote), without the old secrets, expiry or re-login marker."""
    if not isinstance(existing, dict) or existing.get("type") != record.get("type"):
        return record
    kept = {k: v for k, v in existing.items() if k not in _LOGIN_FIELDS}
    return {**kept, **record}


_LOGIN_FIELDS = frozenset(
    {"access", "refresh", "expires", "token", "key", credentials.RELOGIN_FIELD, credentials.UNKNOWN_FIELD}
)


class SavedProfile(NamedTuple):
    profile_id: str
    """The id written: the one asked for, or the same account's existing profile."""
    config_warning: str | None = None
    """Set when the store was written but the config could not be: the login still counts (the store is the truth)."""


def save_login(sink: TokenSink, agent_id: str, profile_id: str, record: dict[str, Any]) -> SavedProfile:
    """Write the credential to the agent's own store and record it in the config.

    Re-checks the collision and identity rules under the lock, since another process may have written meanwhile.
    """
    agent_id = paths.normalize_agent_id(agent_id)

    def put(store: AuthStore) -> str:
        visible = _visible_records(sink, agent_id, store)
        target, existing = _target(visible, profile_id, record)
        if existing is not None and not same_owner(existing, record) and not same_identity(existing, record):
            raise ProfileCollision(profile_id, describe(existing), free_profile_id(visible, profile_id))
        store.profiles[target] = relogged_record(existing, record)
        clear_needs_relogin(store, target)
        return target

    target = sink.update(agent_id, put)
    email = record.get("email") if isinstance(record.get("email"), str) else None
    mode = CONFIG_MODES[str(record["type"])]
    config = paths.config_path(sink.env)
    try:
        update_config(config, lambda data: apply_auth_profile(data, target, str(record["provider"]), mode, email))
    except (CoderclawError, OSError) as exc:
        reason = exc.message if isinstance(exc, CoderclawError) else (exc.strerror or type(exc).__name__)
        return SavedProfile(target, f"{target} was saved, but {config} could not be updated ({reason}).")
    return SavedProfile(target)


def forget_profile(sink: TokenSink, agent_id: str, profile_id: str) -> ProfileEntry:
    """Log out: remove the profile from the agent's store and from the config's `auth` section."""
    entry = sink.remove(agent_id, profile_id)
    config = paths.config_path(sink.env)
    if config.exists():
        update_config(config, lambda data: forget_auth_profile(data, profile_id))
    return entry


def agents_reading_through(sink: TokenSink, profile_id: str) -> list[str]:
    """The agents that use main's `profile_id` without a profile of that id of their own: removing it from main
    takes it from all of them (an agent whose own store cannot be read falls back on main's too)."""
    readers = []
    for info in list_agents(sink.env):
        if info.agent_id == paths.DEFAULT_AGENT_ID:
            continue
        try:
            own = sink.load(info.agent_id).profiles
        except StoreCorrupt:
            own = {}
        if profile_id not in own:
            readers.append(info.agent_id)
    return readers


def removal_reach(owner_agent: str, readers: list[str]) -> str:
    """Who loses a removed profile: `main`, `main and work`, `main, research and work`."""
    agents = [owner_agent, *readers]
    return agents[0] if len(agents) == 1 else f"{', '.join(agents[:-1])} and {agents[-1]}"
