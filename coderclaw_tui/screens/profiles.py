"""The profile browser: every profile of every agent, live expiry, and the keys to refresh, reorder and remove.

The screen only renders `ProfileBrowser` snapshots and forwards keys; every read and write runs in a worker
thread (file locks, HTTP), and a change on disk made by another process reloads the table in place.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import events, on, work
from textual.actions import parse as parse_action
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from coderclaw_tui.commands.output import printable
from coderclaw_tui.core import credentials
from coderclaw_tui.core.sink import ProfileEntry
from coderclaw_tui.flows.onboarding import SavedLogin
from coderclaw_tui.flows.profiles import (
    ActionResult,
    DiskStamps,
    FirstRows,
    ProfileBrowser,
    ProfileRow,
    Snapshot,
)
from coderclaw_tui.screens.confirm_dialog import ConfirmDialog
from coderclaw_tui.widgets.blank import BlankColumn, BlankRow
from coderclaw_tui.widgets.countdown import format_left, left_step
from coderclaw_tui.widgets.plain import Plain, fold_path
from coderclaw_tui.widgets.profile_table import CELL_PADDING, Column, ProfileTable
from coderclaw_tui.widgets.rule_line import RuleLine
from coderclaw_tui.widgets.steady_footer import SteadyFooter
from coderclaw_tui.widgets.text_lines import TextLines

COLUMNS = ("agent", "profile", "state", "expires", "identity", "secret", "type")
"""What matters most first. Narrower than WIDE_COLUMNS the type goes (the details name it), the agent goes when
one agent is shown (the title names it), and a long profile id is shortened in the middle (the details show it
whole): identity and secret always stay readable."""
WIDE_COLUMNS = 110
MIN_PROFILE_WIDTH = 12
MIN_IDENTITY_WIDTH = 12
EXPIRES_WIDTH = 8
"""`in 59:59`, `3d 4h ago`: the expires cell ticks, so its width is not measured from the text of one moment."""
SHORT_SCREEN = 20
"""Fewer lines than this (60x15): the filter takes one line and the details two, so rows still show."""
STATUS_SECONDS = 10.0
ERROR_STATUS_SECONDS = 30.0
"""How long a message stays on the status line; an error longer, as it may need reading twice."""
STATE_STYLES = {
    "ok": "green",
    "static": "",
    "expiring": "yellow",
    "expired (refreshable)": "yellow",
    "cooldown": "yellow",
    "disabled": "red",
    "expired": "red",
    "needs re-login": "bold red",
    "unusable": "dim",
}
MOVE = Binding.Group("Move", compact=True)
"""⇧↑ and ⇧↓ share one Footer entry: the Footer has to fit `/` and `q` at 80 columns too."""
DETAIL_INDENT = " " * 11
"""Where the details' values start (`state      ok`)."""
NARROW_STATES = {"expired (refreshable)": "expired ↻"}
POLL_SECONDS = 1.0
BINDINGS_SETTLE_SECONDS = 0.15
FIRST_LOAD_SECONDS = 0.5
"""How long the screen waits for its first load before it first paints (then it paints, and the rows follow)."""
StaticTexts = dict[str, tuple[ProfileEntry, dict[str, str]]]
"""Each row's cells that do not change with time (by row key), with the entry they were made from."""
FIRST_PART_BYTES = 256_000
"""With more than this left to read (about 700 profiles, 25 ms of work) once the first agents' stores fill the
screen, those rows are painted first and the rest read after (which then comes later than it would have,
sharing the processor with what the app does after its first frame)."""


@dataclass(frozen=True)
class WizardRequest:
    """What the browser asks the app to open: the wizard for an agent, at a provider when logging in again."""

    agent_id: str
    provider: str | None = None
    done: Callable[[SavedLogin | None], None] | None = None
    """Told what the wizard saved (None: nothing) when it closes."""


class ProfilesScreen(Screen[None]):
    """`coderclaw profiles`."""

    CSS_PATH = "../styles/profiles.tcss"
    BLANK = True
    """Nothing of the screen's own shows (its children cover it): each frame paints it as blank lines, not
    through the style cache line by line."""
    AUTO_FOCUS = "#profiles-table"
    """The table has the keys from the start: focus first on the filter (the first focusable widget) gave the
    Footer that field's keys to build, and built it again for the table's a moment later."""
    BINDINGS = [
        # In the Footer's order: what a narrow terminal cuts is the end, and `/` and `q` must stay (^p has all).
        Binding("r", "refresh_profile", "Refresh", id="refresh", tooltip="Refresh this OAuth token now"),
        Binding("x,delete", "remove", "Remove", id="remove", tooltip="Remove this profile (asks first)"),
        Binding("a", "add", "Add", id="add", tooltip="Log in to another account"),
        Binding("l", "relogin", "Re-login", id="relogin", tooltip="Log in again to replace a dead login"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/", tooltip="Filter the table by typing",
                priority=True),  # see action_filter
        Binding("q", "app.quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # see action_quit
        Binding("s", "switch_agent", "Agent", id="switch-agent", tooltip="Show one agent, or all"),
        Binding("shift+up,K", "move(-1)", "Up", id="move-up", key_display="⇧↑", tooltip="Move up: try it earlier",
                group=MOVE),
        Binding("shift+down,J", "move(1)", "Down", id="move-down", key_display="⇧↓", tooltip="Move down: try it later",
                group=MOVE),
        Binding("f", "make_first", "First", id="first", tooltip="Make this the provider's first profile"),
        Binding("e", "give_empty_stores", "Own store", id="empty-store",
                tooltip="Give agents with no store of their own an empty one, before CoderClaw copies main's into it"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("down", "table_cursor(1)", "Next row", show=False),
        Binding("up", "table_cursor(-1)", "Previous row", show=False),
    ]

    def __init__(
        self,
        browser: ProfileBrowser,
        clock: Callable[[], float],
        *,
        agent_filter: str | None = None,
        open_wizard: Callable[[WizardRequest], None] | None = None,
    ) -> None:
        super().__init__()
        self.browser = browser
        self.clock = clock
        self.agent_filter = agent_filter
        self.open_wizard = open_wizard
        self.snapshot = Snapshot([], [], [])
        self.rows: dict[str, ProfileRow] = {}
        self._stamps: DiskStamps | None = None
        self._applicable: object = ()
        """What decides the keys shown: (kind, state, reorderable) of the selected row, None with no row; the
        first value differs from both, so the first load always settles the Footer (an empty table included)."""
        self._widths: dict[str, int] = {}
        self._static: StaticTexts = {}
        """Each row's cells that do not change with time, with the entry they were made from (`static_of`)."""
        self._fitted_for = (Size(0, 0), False)
        """The screen size the columns were last fitted to, and whether a scrollbar was left room for."""
        self.painted_at = 0
        """The time (ms) the rows are shown as of: set by a reload and each tick."""
        self._texts_hold: dict[str, tuple[ProfileRow, int, float]] = {}
        """By row key: (row, from, until): over that time, that row's expiry and state cells read as painted."""
        self._bindings_timer: Timer | None = None
        self._bindings_due = 0.0
        """When (monotonic) the keys shown are brought up to date, if nothing changes them before."""
        self._status_timer: Timer | None = None
        self.status_seconds = STATUS_SECONDS
        self.error_status_seconds = ERROR_STATUS_SECONDS
        self._first_shown = asyncio.Event()

    def compose(self) -> ComposeResult:
        with BlankRow(id="profiles-top"):
            yield Plain("", id="profiles-title")
            yield Input(placeholder="/ filter by id, identity, state", id="profiles-filter")
        yield Plain("", id="profiles-problems")
        yield ProfileTable(self.cells_of, self.show_details, id="profiles-table")
        yield RuleLine(id="profiles-rule")
        yield TextLines(id="profiles-details")
        with BlankColumn(id="profiles-foot"):
            yield Plain("", id="profiles-status")
        yield SteadyFooter(compact=True)

    async def on_mount(self) -> None:
        """The first frame waits (up to FIRST_LOAD_SECONDS) for the first load, or for its first screenful of
        rows: the screen is painted once, with its rows, rather than empty and again with them (twice the start-up
        work, and a flash of "0 shown"). The screen paints only once this returns; the load runs in its thread
        meanwhile, the rest of the app goes on, and a slow disk still gets a screen, whose rows come when they
        are read."""
        self.reload()
        self.set_interval(POLL_SECONDS, self.watch_disk)
        self.set_interval(1.0, self.tick_countdowns)
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._first_shown.wait(), FIRST_LOAD_SECONDS)

    # Loading

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def reload(self) -> None:
        """Read again the stores that changed on disk since the last load (every store the first time, or when
        the config or main's store changed, or the agent shown). The first time, with much left to read
        (FIRST_PART_BYTES), a screenful of rows is shown as soon as the first agents' stores give it, and the
        other stores are read once it is painted."""
        worker = get_current_worker()
        stamps = self.browser.stamps()
        stale = None if self._stamps is None else self._stamps.stale_agents(stamps)
        first_rows = None
        if self._stamps is None:
            first_rows = FirstRows(max(self.size.height, 1), partial(self.show_first_rows, stamps), FIRST_PART_BYTES)
        snapshot = self.browser.load(self.agent_filter, self.snapshot, stale, first_rows)
        self.app.call_from_thread(self.show_snapshot, worker, snapshot, stamps, self.new_texts(snapshot))

    def new_texts(self, snapshot: Snapshot) -> StaticTexts:
        """The static cells of the rows that are new or changed, made in the load's thread (for thousands of
        rows, most of the work of fitting the columns)."""
        return {
            row.key: (row.entry, static_texts(row))
            for row in snapshot.rows
            if self._static.get(row.key, (None,))[0] is not row.entry
        }

    def show_first_rows(self, stamps: DiskStamps, snapshot: Snapshot) -> None:
        """In the load's thread: show the top of the table, and wait until it is painted (or a slow frame has
        had FIRST_LOAD_SECONDS) before reading on, so that the first frame does not share the processor with
        the rest of the load."""
        worker, painted, texts = get_current_worker(), threading.Event(), self.new_texts(snapshot)

        def show() -> None:
            if self.show_snapshot(worker, snapshot, stamps, texts):
                self.call_after_refresh(painted.set)
            else:
                painted.set()

        self.app.call_from_thread(show)
        painted.wait(FIRST_LOAD_SECONDS)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_disk(self) -> None:
        """Poll file stamps off the UI thread; reload only when another process changed something."""
        if self.browser.stamps() != self._stamps:
            self.app.call_from_thread(self.reload)

    def show_snapshot(self, worker: Worker[None], snapshot: Snapshot, stamps: DiskStamps, texts: StaticTexts) -> bool:
        """On the UI thread: show what a load read (`texts`: its `new_texts`), unless a newer load has replaced it
        since (another agent chosen while it read, whose rows this would cover); whether it was shown."""
        if worker.is_cancelled:
            return False
        self.snapshot = snapshot
        self._stamps = stamps
        kept = {**self._static, **texts}
        self._static = {row.key: kept[row.key] for row in snapshot.rows if row.key in kept}
        self.render_table()
        lines = [f"! {p.message}" for p in snapshot.problems]
        lines += [
            f"! Agent {agent} has no auth store of its own; CoderClaw would fill it with a copy of main's (refresh "
            "tokens included). Press e to give it an empty one."
            for agent in snapshot.storeless_agents
        ]
        problems = self.query_one("#profiles-problems", Static)
        problems.update("\n".join(lines))
        problems.display = bool(lines)
        self.refresh_bindings()
        self._first_shown.set()
        return True

    def show_title(self, shown: int) -> None:
        """The rows in the table, out of how many when a filter hides some."""
        count = len(self.snapshot.agents)
        scope = f"agent {self.agent_filter}" if self.agent_filter else f"{count} agent{'s' if count != 1 else ''}"
        total = len(self.snapshot.rows)
        rows = f"{shown} shown" if shown == total else f"{shown} of {total} shown"
        if not self.snapshot.complete:
            rows += " · reading…"
        self.query_one("#profiles-title", Static).update(f"Profiles · {scope} · {rows}")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_SCREEN, "-short")
        if self.is_mounted and self.rows and event.size != self._fitted_for[0]:  # the first may come after a load
            self.render_table()

    def filter_text(self) -> str:
        """The filter's words, one space apart."""
        return " ".join(self.query_one("#profiles-filter", Input).value.split())

    def visible_rows(self) -> list[ProfileRow]:
        """The rows holding every word of the filter, each anywhere in its agent, id, provider, identity or state
        (`work expired` finds the work account's expired logins)."""
        words = self.query_one("#profiles-filter", Input).value.lower().split()
        if not words:
            return list(self.snapshot.rows)
        return [row for row in self.snapshot.rows if all(map(searchable(row).__contains__, words))]

    @property
    def narrow(self) -> bool:
        return self.size.width < WIDE_COLUMNS

    def columns_for(self, rows: list[ProfileRow]) -> tuple[str, ...]:
        """Narrow, a column goes when its cells say nothing here: one agent, no identity beyond the ids."""
        dropped = set()
        if self.narrow:
            dropped.add("type")
            if len({row.agent_id for row in rows}) <= 1:
                dropped.add("agent")
            if not any(identity_text(row).strip("-") for row in rows):
                dropped.add("identity")
        return tuple(c for c in COLUMNS if c not in dropped)

    def needs_scrollbar(self, rows: int) -> bool:
        """Whether `rows` overflow the table. Before its first layout (the first load is shown before the first
        frame) the table's height is not known, and the screen's stands in for it: thousands of rows get their
        scrollbar at once, and rows that fit the screen but not the table get it when the table is laid out."""
        height = self.query_one("#profiles-table", ProfileTable).size.height or self.size.height
        return rows > max(height - 1, 0)

    @on(ProfileTable.Resized)
    def table_resized(self) -> None:
        if self.rows and self.needs_scrollbar(len(self.rows)) != self._fitted_for[1]:
            self.render_table()

    def fit_widths(self, widest: dict[str, int], columns: tuple[str, ...], rows: int) -> dict[str, int]:
        """Every column's width: its widest cell (`widest`), except that the profile column takes what the others
        leave (cut in the middle); only when that is under MIN_PROFILE_WIDTH does the identity give some up (down
        to MIN_IDENTITY)."""
        scrollbar = 2 if self.needs_scrollbar(rows) else 0
        widths = {column: max(len(column), widest.get(column, 0)) for column in columns}
        available = self.size.width - 2 - scrollbar - 2 * CELL_PADDING * len(columns)  # 2: the body's padding
        others = {c: max(w, EXPIRES_WIDTH) if c == "expires" else w for c, w in widths.items() if c != "profile"}
        profile = available - sum(others.values())
        identity = widths.get("identity", 0)
        if profile < MIN_PROFILE_WIDTH and identity > MIN_IDENTITY_WIDTH:
            give = min(MIN_PROFILE_WIDTH - profile, identity - MIN_IDENTITY_WIDTH)
            identity -= give
            profile += give
        widths["profile"] = min(widths["profile"], max(MIN_PROFILE_WIDTH, profile))
        if "identity" in widths:
            widths["identity"] = identity
        return widths

    def render_table(self) -> None:
        """Fit the columns to the rows the filter lets through and hand the table their keys; the table paints
        only the lines on screen, asking `cells_of` for them, and only those whose row changed when the keys and
        columns are the same as before (a reload after a change on disk)."""
        table = self.query_one("#profiles-table", ProfileTable)
        now = self.painted_at = int(self.clock() * 1000)
        self._texts_hold.clear()
        rows = [row.restated(now) for row in self.visible_rows()]
        columns, narrow = self.columns_for(rows), self.narrow
        widest: dict[str, int] = {}
        for row in rows:  # plain strings: a Text per cell of thousands of rows cost more than the rest
            for column, value in cell_texts(row, now, narrow, self.static_of(row)).items():
                if len(value) > widest.get(column, 0):
                    widest[column] = len(value)
        widths = self.fit_widths(widest, columns, len(rows))
        self._fitted_for = (self.size, self.needs_scrollbar(len(rows)))
        previous = self.rows
        self.rows = {row.key: row for row in rows}
        self._widths = widths
        layout = tuple(Column(c, c.upper(), widths[c]) for c in columns)
        table.forget_lines()
        if layout == table.columns and list(self.rows) == table.keys:
            table.refresh_keys([key for key, row in self.rows.items() if previous.get(key) != row])
        else:
            table.set_columns(layout)
            table.set_rows(list(self.rows))
        self.show_title(len(rows))
        self.show_details()

    def static_of(self, row: ProfileRow) -> dict[str, str]:
        """The row's cells that do not change with time, made once per entry read from disk."""
        kept = self._static.get(row.key)
        if kept is None or kept[0] is not row.entry:
            kept = self._static[row.key] = (row.entry, static_texts(row))
        return kept[1]

    def cells_of(self, key: str) -> dict[str, Text | str]:
        """The row's cells as of the last tick, cut to their columns: what the table paints when the row comes
        into view (as of the tick, so a row painted between ticks agrees with the details)."""
        now = self.painted_at
        row = self.rows[key] = self.rows[key].restated(now)
        values = row_cells(row, now, self.narrow, self.static_of(row))
        for column in ("profile", "identity"):
            if column in self._widths:
                values[column] = shorten(str(values[column]), self._widths[column])
        return values

    def tick_countdowns(self) -> None:
        """Only the rows on screen are looked at, and only the lines whose expiry or state text changed are
        repainted: a table of thousands of profiles ticks as cheaply as one of ten. A token that expires meanwhile
        changes its state cell too (and the keys that apply to it). A row whose texts were found as painted is
        not worked out again until they may change (`in 9d 4h`: in an hour), unless it was reloaded meanwhile."""
        table = self.query_one("#profiles-table", ProfileTable)
        now = self.painted_at = int(self.clock() * 1000)
        top, bottom = table.visible_range()
        changed, narrow, hold = [], self.narrow, self._texts_hold
        for key in table.keys[top:bottom]:
            row = self.rows[key]
            held = hold.get(key)
            if held is not None and held[0] is row and held[1] <= now < held[2]:
                continue
            row = self.rows[key] = row.restated(now)
            expiry, state = live_expiry(row, now), state_name(row, narrow)
            painted = table.painted.get(key, {})
            if str(painted.get("expires")) == expiry and str(painted.get("state")) == state:
                hold[key] = (row, now, min(row.settled[1], live_expiry_until(row, now)))
                continue
            changed.append(key)
            if len(expiry) > self._widths.get("expires", 0) or len(state) > self._widths.get("state", 0):
                self.render_table()  # rare (a wider text): the columns are fitted again
                return
        table.forget_lines()  # off screen, a row kept as painted before this tick may read otherwise now
        table.refresh_keys(changed)
        self.show_details()

    def selected_row(self) -> ProfileRow | None:
        key = self.query_one("#profiles-table", ProfileTable).cursor_key
        return None if key is None else self.rows.get(key)

    def bindings_changed(self) -> None:
        """Rebuilding the Footer costs more than moving the cursor: it is done once the cursor rests, and only
        when the keys that apply have changed. One timer at a time: a change before it fires moves the time on,
        and the timer, firing early, waits the rest (a held key made and cancelled a timer on every row)."""
        self._bindings_due = time.monotonic() + BINDINGS_SETTLE_SECONDS
        if self._bindings_timer is None:
            self._bindings_timer = self.set_timer(BINDINGS_SETTLE_SECONDS, self._bindings_settled)

    def _bindings_settled(self) -> None:
        left = self._bindings_due - time.monotonic()
        if left > 0.001:
            self._bindings_timer = self.set_timer(left, self._bindings_settled)
            return
        self._bindings_timer = None
        self.refresh_bindings()

    def show_details(self) -> None:
        row = self.selected_row()
        applicable = None if row is None else (row.entry.kind, row.state.name, row.order_size > 1)
        if applicable != self._applicable:
            self._applicable = applicable
            self.bindings_changed()
        details = self.query_one("#profiles-details", TextLines)
        if row is None:
            typed = self.filter_text()
            hidden = bool(self.snapshot.rows) and bool(typed)
            if hidden:
                details.update(f"No profile matches “{typed}”. Escape clears the filter.")
            else:
                details.update("No profiles here yet. Press a to log in.")
            return
        now = int(self.clock() * 1000)
        state = row.state.name + (f" ({row.state.detail})" if row.state.detail else "")
        order = f"{row.order_position} of {row.order_size}" + ("" if row.explicit_order else ", round-robin")
        owner = row.entry.owner_agent + (f", read through by {row.agent_id}" if row.inherited else "")
        store_width = max(20, self.size.width - 4 - len(DETAIL_INDENT))
        store = fold_path(str(row.entry.store_path), store_width).replace("\n", "\n" + DETAIL_INDENT)
        lines = [
            f"{row.entry.profile_id}  ·  {row.entry.provider} {row.entry.kind}  ·  expires {live_expiry(row, now)}",
            f"state      {state}",
            f"order      {order}  ·  owner {owner}  ·  last used {_ago(row.usage.get('lastUsed'), now)}",
            f"store      {store}",
        ]
        cooldown = row.usage.get("cooldownUntil")
        if isinstance(cooldown, (int, float)) and cooldown > now:
            lines.append(f"cooldown   {credentials.format_duration(int(cooldown) - now)} left")
        lines.append(f"pin it     /model <model>@{row.entry.profile_id}")
        if row.state.name == "needs re-login":
            lines.append(f"fix it     press l, or run: coderclaw models auth login --provider {row.entry.provider}")
        details.update("\n".join(lines))  # repaints the lines that changed; fixed height in the CSS

    @on(Input.Changed, "#profiles-filter")
    def filter_changed(self) -> None:
        self.render_table()

    @on(Input.Submitted, "#profiles-filter")
    def filter_done(self) -> None:
        self.set_focus(self.query_one("#profiles-table", ProfileTable))

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key (nothing here it could act on); None shows it disabled, and `why_not` says why."""
        row = self.selected_row()
        needs_row = {"refresh_profile", "move", "make_first", "remove", "relogin"}
        if action in needs_row and row is None:
            return False
        if action in ("move", "make_first") and row is not None and row.order_size < 2:
            return False
        if action in ("add", "relogin") and self.open_wizard is None:
            return False
        if action == "give_empty_stores":
            return bool(self.snapshot.storeless_agents)
        if action == "quit":
            return not isinstance(self.focused, Input)
        if self.why_not(action) is not None:
            return False if action == "relogin" else None  # a live login is not offered a new one at all
        return True

    def why_not(self, action: str) -> str | None:
        """Why a key does nothing on the selected row, in a sentence; None when it applies."""
        row = self.selected_row()
        if row is None:
            return None
        profile = row.entry.profile_id
        if action == "refresh_profile" and row.entry.kind != "oauth":
            return f"{profile} is a {row.entry.kind}, which never refreshes; only OAuth logins do."
        if action == "relogin" and row.state.name not in ("needs re-login", "expired"):
            return f"{profile} is {row.state.name}; logging in again is for a dead login (a adds another account)."
        return None

    def report(self, result: ActionResult, *, lasting: bool = False) -> None:
        """The message on the status line, cleared after a while unless `lasting` (work still under way)."""
        status = self.query_one("#profiles-status", Static)
        status.update(result.message)
        status.set_class(not result.ok, "-error")
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        if not lasting:
            seconds = self.status_seconds if result.ok else self.error_status_seconds
            self._status_timer = self.set_timer(seconds, self.clear_status)

    def clear_status(self) -> None:
        status = self.query_one("#profiles-status", Static)
        status.update("")
        status.remove_class("-error")

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def run_browser_action(self, action: Callable[[], ActionResult]) -> None:
        result = action()
        self.app.call_from_thread(self.report, result)
        self.app.call_from_thread(self.reload)

    def action_refresh_profile(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.report(ActionResult(f"Refreshing {row.entry.profile_id}…"), lasting=True)
            self.run_browser_action(lambda: self.browser.refresh(row))

    def action_move(self, offset: int) -> None:
        row = self.selected_row()
        if row is not None:
            self.run_browser_action(lambda: self.browser.move(row, offset))

    def action_give_empty_stores(self) -> None:
        agents = self.snapshot.storeless_agents
        if agents:
            self.run_browser_action(lambda: self.browser.give_empty_stores(agents))

    def action_make_first(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.run_browser_action(lambda: self.browser.make_first(row))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_remove(self) -> None:
        """Asks first, naming every agent that loses the profile: removing main's takes it from those reading it."""
        row = self.selected_row()
        if row is None:
            return
        readers = await asyncio.to_thread(self.browser.readers, row)
        question = self.browser.remove_question(row, readers)
        dialog = ConfirmDialog(question, confirm_label="Remove", path=str(row.entry.store_path))
        if await self.app.push_screen_wait(dialog):
            self.run_browser_action(lambda: self.browser.remove(row, readers))

    def action_add(self) -> None:
        """The wizard opens over the browser; when it saves, the change on disk reloads the table."""
        if self.open_wizard is not None:
            self.open_wizard(WizardRequest(self.agent_filter or "main"))

    def action_relogin(self) -> None:
        row = self.selected_row()
        if row is not None and self.open_wizard is not None:
            # A dead inherited login is fixed where it lives, so every agent reading it through gets the new one.
            done = partial(self.after_relogin, row)
            self.open_wizard(WizardRequest(row.entry.owner_agent, row.entry.provider, done))

    def after_relogin(self, row: ProfileRow, saved: SavedLogin | None) -> None:
        """A login as another identity is saved under a new id (it never overwrites): say so, since the dead
        profile is still there."""
        if saved is None or saved.profile_id is None:
            return
        dead = row.entry.profile_id
        if saved.profile_id == dead:
            self.report(ActionResult(f"Logged in again; {dead} works again."))
            return
        self.report(
            ActionResult(
                f"That login is another identity, so it was saved as a new profile, {saved.profile_id}; "
                f"{dead} still needs a login as its own identity (x removes it).",
                ok=False,
            )
        )

    def action_filter(self) -> None:
        """The focus moves before the next key is handed on: `/work` typed or pasted in one burst is the filter's
        text, not `w` and `k` run as the table's keys. (The app hands each key to the focused widget as it reads
        it, so `/`, had the table handled it, would have moved the focus after the rest were already the table's:
        a priority key is handled as it is read, and `set_focus` moves the focus at once, where `focus()` waits
        its turn.) No filter holds a `/`: it looks in ids, identities, providers, agents and states."""
        self.set_focus(self.query_one("#profiles-filter", Input))

    def action_table_cursor(self, offset: int) -> None:
        """Up and Down in the filter field move the table's cursor (the table, focused, takes them itself): the
        arrows of a burst such as `/work⏎↓↓` come before the Enter has moved the focus, and were lost."""
        self.query_one("#profiles-table", ProfileTable).action_cursor(offset)

    async def action_quit(self) -> None:
        """The Footer says Quit once: this hidden ^c stands in the Footer for the app's, and `q` says it. While
        the filter has the focus, `q` types a q: this one steps aside (`check_action`) and the app's ^c shows.
        (The app's ^c, a priority key, is the one that handles the key either way.)"""
        await self.app.action_quit()

    def action_clear_filter(self) -> None:
        box = self.query_one("#profiles-filter", Input)
        box.value = ""
        self.set_focus(self.query_one("#profiles-table", ProfileTable))

    def action_switch_agent(self) -> None:
        """Cycle: all agents → each agent in turn → all again."""
        cycle: list[str | None] = [None, *self.snapshot.agents]
        position = cycle.index(self.agent_filter) if self.agent_filter in cycle else 0
        self.agent_filter = cycle[(position + 1) % len(cycle)]
        self.reload()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every key of this screen that the Footer may show and that applies, also in the command palette (the app
        yields these): one that cannot act on the selected row is left out, or says why instead of doing nothing."""
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.action == "app.quit" or not binding.show:
                continue
            _, action, parameters = parse_action(binding.action)
            reason = self.why_not(action)
            if reason is not None:
                yield SystemCommand(binding.description, reason, partial(self.report, ActionResult(reason, ok=False)))
            elif self.check_action(action, parameters):
                run = partial(self.app.run_action, binding.action, self)
                yield SystemCommand(binding.description, binding.tooltip or binding.description, run)


def row_cells(
    row: ProfileRow, now_ms: int, narrow: bool = False, static: dict[str, str] | None = None
) -> dict[str, Text | str]:
    """Every column's cell for `row`, at full length; the state in its colour."""
    cells: dict[str, Text | str] = {**cell_texts(row, now_ms, narrow, static)}
    cells["state"] = Text(str(cells["state"]), style=STATE_STYLES.get(row.state.name, ""))
    return cells


def cell_texts(
    row: ProfileRow, now_ms: int, narrow: bool = False, static: dict[str, str] | None = None
) -> dict[str, str]:
    """Every column's text for `row`, at full length (`static`: its `static_texts`, when already made)."""
    texts = dict(static_texts(row) if static is None else static)
    texts["state"] = state_name(row, narrow)
    texts["expires"] = live_expiry(row, now_ms)
    return texts


def static_texts(row: ProfileRow) -> dict[str, str]:
    """The texts of the cells that do not change with time; what a store holds shown escaped, as the commands
    print it."""
    return {
        "agent": row.agent_id,
        "profile": printable(row.entry.profile_id + (f"  ↑{row.entry.owner_agent}" if row.inherited else "")),
        "identity": printable(identity_text(row)),
        "secret": printable(row.masked_secret),
        "type": printable(row.entry.kind),
    }


def searchable(row: ProfileRow) -> str:
    """What the filter looks in, lower-cased."""
    return " ".join((row.agent_id, row.entry.profile_id, row.entry.provider, row.identity, row.state.name)).lower()


def identity_text(row: ProfileRow) -> str:
    """The identity, unless the profile id already says it."""
    return "" if row.identity in row.entry.profile_id else row.identity


def state_name(row: ProfileRow, narrow: bool = False) -> str:
    """The state, in its short form on a narrow terminal (the details below say it in full)."""
    name = row.state.name
    return NARROW_STATES.get(name, name) if narrow else name


def shorten(text: str, width: int) -> str:
    """`text` cut in the middle to `width` cells: both the provider and the end of the name stay in sight."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def live_expiry(row: ProfileRow, now_ms: int) -> str:
    """`in 4:59` ticking by the second under an hour, `in 9d 4h` beyond; `3m ago` once past."""
    expiry = row.expires_ms()
    if expiry is None:
        return "-"
    if expiry >= now_ms:
        return f"in {format_left(expiry - now_ms)}"
    return f"{credentials.format_duration(now_ms - expiry)} ago"


def live_expiry_until(row: ProfileRow, now_ms: int) -> float:
    """The first moment after `now_ms` at which `live_expiry` reads otherwise: the next step of the count it
    shows (`left_step` before the expiry, `credentials.duration_step` after it)."""
    expiry = row.expires_ms()
    if expiry is None:
        return math.inf
    if expiry >= now_ms:
        left = expiry - now_ms
        step = left_step(left)
        return expiry - left // step * step + 1
    passed = now_ms - expiry
    step = credentials.duration_step(passed)
    return expiry + (passed // step + 1) * step


def _ago(stamp: object, now_ms: int) -> str:
    if not isinstance(stamp, (int, float)) or stamp <= 0:
        return "never"
    return f"{credentials.format_duration(now_ms - int(stamp))} ago"
