"""The profile browser's controller: rows for every agent's profiles, and the actions on them.

No UI here: the screen renders `ProfileRow`s and calls these methods from worker threads (every action does
file I/O under CoderClaw's lock, and a refresh does HTTP). Every write goes through the token sink.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coderclaw_tui import paths
from coderclaw_tui.core import credentials
from coderclaw_tui.core.agents import list_agents
from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.core.logins import agents_reading_through, forget_profile, removal_reach
from coderclaw_tui.core.sink import ProfileEntry, StoreView, TokenSink, file_stamp
from coderclaw_tui.core.store import AuthStore


@dataclass(frozen=True)
class ProfileRow:
    """One line of the browser, with everything the details pane shows."""

    agent_id: str
    entry: ProfileEntry
    state: credentials.ProfileState
    order_position: int
    """1-based position in the provider's order for this agent."""
    order_size: int
    explicit_order: bool
    usage: dict[str, Any]
    settled: tuple[int, float] = field(default=(0, 0), compare=False)
    """From when (the time it was worked out at) until when `state` holds (`credentials.state_settled_until`);
    a clock set back falls outside it too."""

    @property
    def key(self) -> str:
        """Stable across reloads, so the selection survives a change on disk."""
        return f"{self.agent_id}\0{self.entry.profile_id}"

    @property
    def record(self) -> dict[str, Any]:
        return self.entry.record if isinstance(self.entry.record, dict) else {}

    @property
    def inherited(self) -> bool:
        return self.entry.owner_agent != self.agent_id

    @property
    def identity(self) -> str:
        """Worked out on each use (a microsecond): a cached_property here cost ten times that on first use, for
        every one of thousands of rows, and a row restated as of a later moment started uncached again."""
        return credentials.identity_of(self.record) or "-"

    @property
    def masked_secret(self) -> str:
        return credentials.mask_secret(credentials.secret_of(self.record)) if self.entry.problem is None else "-"

    def expires_ms(self) -> int | None:
        return credentials.expires_ms(self.record)

    def restated(self, now_ms: int) -> ProfileRow:
        """The same row as of `now_ms`: a token that has just expired is `expired` without a reload. Before the
        moment its state may change (thousands of rows, restated on every render), the row itself."""
        start, end = self.settled
        if start <= now_ms < end:
            return self
        record, usage = self.entry.record, self.usage
        state = credentials.profile_state(record, usage, now_ms)
        return replace(self, state=state, settled=(now_ms, credentials.state_settled_until(record, usage, now_ms)))


@dataclass(frozen=True)
class AgentPart:
    """What one agent's store gave: its rows, and the problems met reading it."""

    rows: list[ProfileRow]
    problems: list[CoderclawError]
    missing_store: bool = False
    """A sub-agent with no store of its own (see `StoreView.own_store_missing`)."""


@dataclass(frozen=True)
class Snapshot:
    rows: list[ProfileRow]
    problems: list[CoderclawError]
    agents: list[str]
    parts: dict[str, AgentPart] = field(default_factory=dict)
    """Per agent shown, so a reload after a change re-reads only the stores that changed."""
    agent_filter: str | None = None
    complete: bool = True
    """False for the first agents' rows, handed on while the other agents' stores are still being read."""

    @property
    def storeless_agents(self) -> list[str]:
        """Agents shown that have no store of their own, which CoderClaw would fill with a copy of main's."""
        return [agent for agent, part in self.parts.items() if part.missing_store]


Stamp = tuple[int, int]
"""(mtime ns, size) of a file; (0, -1) when it is missing."""


@dataclass(frozen=True)
class DiskStamps:
    """The config's and every agent's store's stamps: what a poll compares to tell what changed on disk."""

    config: Stamp
    stores: dict[str, Stamp]

    def stale_agents(self, newer: DiskStamps) -> set[str] | None:
        """The agents whose store changed since `self`; None when every agent must be read again: the config or
        the agent list changed, or main's store, which every other agent reads through."""
        if newer.config != self.config or newer.stores.keys() != self.stores.keys():
            return None
        stale = {agent for agent, stamp in newer.stores.items() if self.stores[agent] != stamp}
        return None if paths.DEFAULT_AGENT_ID in stale else stale


@dataclass(frozen=True)
class FirstRows:
    """When a load hands on the top of the table before reading on: once the agents read give `rows` rows, if the
    stores left to read hold more than `rest_bytes` (reading them first would hold that screenful back for
    longer than it is worth)."""

    rows: int
    show: Callable[[Snapshot], None]
    rest_bytes: int = 0


@dataclass(frozen=True)
class ActionResult:
    """What to tell the user after an action: one sentence, and whether it went wrong."""

    message: str
    ok: bool = True


class ProfileBrowser:
    """Loads every agent's view and performs the browser's actions through the sink."""

    def __init__(self, sink: TokenSink, env: Mapping[str, str] | None = None) -> None:
        self.sink = sink
        self.env = env

    def agent_ids(self) -> list[str]:
        return [a.agent_id for a in list_agents(self.env)]

    def load(
        self,
        agent_filter: str | None = None,
        previous: Snapshot | None = None,
        stale: Collection[str] | None = None,
        first_rows: FirstRows | None = None,
    ) -> Snapshot:
        """All agents' own profiles; with an agent filter, that agent's whole view including inherited ones.

        Given the `previous` snapshot (of the same filter) and the agents whose store changed since (`stale`),
        only those stores are read again; the other agents' rows are taken over as they were.

        `first_rows`: the rows of the agents read so far, handed on before the rest is read (see `FirstRows`). The
        rows come agent by agent, so those are the top of the table: a screenful of thousands of rows can be
        shown at once."""
        agents = self.agent_ids()
        wanted = [agent_filter] if agent_filter else agents
        same_view = previous is not None and stale is not None and previous.agent_filter == agent_filter
        reuse = previous.parts if previous is not None and same_view else {}

        def needs_reading(agent_id: str) -> bool:
            return agent_id not in reuse or agent_id in (stale or ())

        now = self.sink.now_ms()
        reader = ReadOnceSink(self.sink)
        parts: dict[str, AgentPart] = {}
        read = 0
        for index, agent_id in enumerate(wanted, start=1):
            if needs_reading(agent_id):
                view = reader.view(agent_id)
                part = AgentPart(
                    self._rows_for(view, now, include_inherited=bool(agent_filter)),
                    list(view.problems),
                    view.own_store_missing,
                )
            else:
                part = reuse[agent_id]
            parts[agent_id] = part
            read += len(part.rows)
            if first_rows is not None and read >= first_rows.rows:
                to_read = filter(needs_reading, wanted[index:])
                if sum(max(file_stamp(self.sink.store_path(a))[1], 0) for a in to_read) > first_rows.rest_bytes:
                    first_rows.show(assemble(parts, agents, agent_filter, complete=False))
                first_rows = None
        return assemble(parts, agents, agent_filter)

    def _rows_for(self, view: StoreView, now: int, include_inherited: bool) -> list[ProfileRow]:
        rows = []
        by_provider = view.ordered_by_provider()
        for provider in sorted(by_provider):
            ordered = by_provider[provider]
            for position, entry in enumerate(ordered, start=1):
                if entry.owner_agent != view.agent_id and not include_inherited:
                    continue
                usage = view.usage_stats.get(entry.profile_id)
                usage = usage if isinstance(usage, dict) else {}
                rows.append(
                    ProfileRow(
                        view.agent_id,
                        entry,
                        credentials.profile_state(entry.record, usage, now),
                        position,
                        len(ordered),
                        provider in view.order,
                        usage,
                        (now, credentials.state_settled_until(entry.record, usage, now)),
                    )
                )
        return rows

    def stamps(self) -> DiskStamps:
        """Cheap change detection: (mtime, size) of the config and of every agent's store (where each store is
        comes from the sink's map of agent dirs, made once)."""
        stores = {agent: file_stamp(self.sink.store_path(agent)) for agent in self.agent_ids()}
        return DiskStamps(file_stamp(paths.config_path(self.env)), stores)

    # Actions

    def refresh(self, row: ProfileRow) -> ActionResult:
        if row.entry.kind != "oauth":
            return ActionResult(f"{row.entry.profile_id} is a {row.entry.kind}; only OAuth logins refresh.", ok=False)
        from coderclaw_tui.core.refresh import refresh_profile

        try:
            record = refresh_profile(self.sink, row.agent_id, row.entry, force=True)
        except CoderclawError as exc:
            return ActionResult(exc.message, ok=False)
        expiry = credentials.format_expiry(record, self.sink.now_ms())
        return ActionResult(f"Refreshed {row.entry.profile_id}; the new token expires {expiry}.")

    def move(self, row: ProfileRow, offset: int) -> ActionResult:
        """Move within the provider's order for this agent (offset -1 up, +1 down, None-like large to first)."""
        view = self.sink.view(row.agent_id)
        ids = [e.profile_id for e in view.ordered_profiles(row.entry.provider)]
        index = ids.index(row.entry.profile_id)
        target = max(0, min(len(ids) - 1, index + offset))
        if target == index:
            return ActionResult(f"{row.entry.profile_id} is already {'first' if index == 0 else 'last'}.")
        ids.insert(target, ids.pop(index))
        try:
            self.sink.set_order(row.agent_id, row.entry.provider, ids)
        except CoderclawError as exc:
            return ActionResult(exc.message, ok=False)
        return ActionResult(f"{row.entry.provider} order for {row.agent_id}: {', '.join(ids)}")

    def make_first(self, row: ProfileRow) -> ActionResult:
        return self.move(row, -len(self.sink.view(row.agent_id).profiles))

    def readers(self, row: ProfileRow) -> list[str]:
        """The agents besides its owner that lose `row`'s profile when it is removed (only main's are read through)."""
        if row.entry.owner_agent != paths.DEFAULT_AGENT_ID:
            return []
        return agents_reading_through(self.sink, row.entry.profile_id)

    def remove_question(self, row: ProfileRow, readers: list[str]) -> str:
        """What the remove dialog asks; the store's path is shown apart from it, so it is never cut mid-word."""
        owner = row.entry.owner_agent
        question = f"{row.agent_id} only reads this profile through from {owner}. " if row.inherited else ""
        question += f"Remove {row.entry.profile_id} from {owner}'s store?"
        if readers:
            question += f" Every agent using it loses it: {removal_reach(owner, readers)}."
        if row.entry.kind == "oauth":
            question += " The refresh token is forgotten; logging in again is the only way back."
        return question

    def remove(self, row: ProfileRow, readers: list[str] | None = None) -> ActionResult:
        """Removes the profile where it lives (main's store for an inherited row), as the dialog said."""
        try:
            entry = forget_profile(self.sink, row.entry.owner_agent, row.entry.profile_id)
        except CoderclawError as exc:
            return ActionResult(exc.message, ok=False)
        lost = f"; {removal_reach(entry.owner_agent, readers)} no longer have it" if readers else ""
        return ActionResult(f"Removed {row.entry.profile_id} from {entry.store_path}{lost}.")

    def give_empty_stores(self, agent_ids: list[str]) -> ActionResult:
        """An empty store of their own for agents that have none, before CoderClaw copies main's into them."""
        try:
            made = [agent for agent in agent_ids if self.sink.ensure_store(agent)]
        except (CoderclawError, OSError) as exc:
            return ActionResult(str(exc), ok=False)
        if not made:
            return ActionResult("Every agent shown already has a store of its own.")
        return ActionResult(f"Gave {', '.join(made)} an empty auth store of {'its' if len(made) == 1 else 'their'} own.")

    def move_aside(self, agent_id: str) -> ActionResult:
        try:
            target: Path = self.sink.move_aside(agent_id)
        except (CoderclawError, OSError) as exc:
            return ActionResult(str(exc), ok=False)
        return ActionResult(f"Moved the unreadable store aside to {target}; nothing was deleted.")


def assemble(
    parts: dict[str, AgentPart], agents: list[str], agent_filter: str | None, complete: bool = True
) -> Snapshot:
    """The snapshot of the agents' parts, in their order; a store's problem is told once, though every agent
    reading through main's store met it."""
    rows: list[ProfileRow] = []
    problems: list[CoderclawError] = []
    seen_problem_paths: set[str] = set()
    for part in parts.values():
        rows.extend(part.rows)
        for problem in part.problems:
            if str(getattr(problem, "path", "")) not in seen_problem_paths:
                seen_problem_paths.add(str(getattr(problem, "path", "")))
                problems.append(problem)
    return Snapshot(rows, problems, agents, dict(parts), agent_filter, complete)


class ReadOnceSink(TokenSink):
    """The sink as one load of the browser reads it: each store parsed once, though every sub-agent's view reads
    main's store through (50 agents read main's store 50 times)."""

    def __init__(self, sink: TokenSink) -> None:
        super().__init__(sink.env, sink.clock)
        self.base = sink
        self._stores: dict[str, AuthStore | CoderclawError] = {}

    def config(self) -> dict[str, Any]:
        return self.base.config()

    def load(self, agent_id: str) -> AuthStore:
        if agent_id not in self._stores:
            try:
                self._stores[agent_id] = super().load(agent_id)
            except CoderclawError as exc:
                self._stores[agent_id] = exc
        store = self._stores[agent_id]
        if isinstance(store, CoderclawError):
            raise store
        return store

