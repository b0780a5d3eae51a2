"""The profile browser: every profile of every agent, live expiry, and the keys to refresh, reorder and remove.

The screen only renders `ProfileBrowser` snapshots and forwards keys; every read and write runs in a worker
thread (file locks, HTTP), and a change on disk made by another process reloads the table in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from coderclaw_tui.core import credentials
from coderclaw_tui.flows.profiles import (
    ActionResult,
    ProfileBrowser,
    ProfileRow,
    Snapshot,
)
from coderclaw_tui.screens.confirm_dialog import ConfirmDialog
from coderclaw_tui.widgets.countdown import format_left

COLUMNS = ("agent", "profile", "state", "expires", "type", "identity", "secret")
"""What matters most first, so a narrow terminal still shows the state and the expiry."""
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
POLL_SECONDS = 1.0
BINDINGS_SETTLE_SECONDS = 0.15


@dataclass(frozen=True)
class WizardRequest:
    """What the browser asks the app to open: the wizard for an agent, at a provider when logging in again."""

    agent_id: str
    provider: str | None = None


class ProfilesScreen(Screen[None]):
    """`coderclaw profiles`."""

    CSS_PATH = "../styles/profiles.tcss"
    BINDINGS = [
        Binding("r", "refresh_profile", "Refresh", id="refresh", tooltip="Refresh this OAuth token now"),
        Binding("shift+up,K", "move(-1)", "Up", id="move-up", key_display="⇧↑", tooltip="Move up: try it earlier"),
        Binding("shift+down,J", "move(1)", "Down", id="move-down", key_display="⇧↓", tooltip="Move down: try it later"),
        Binding("f", "make_first", "First", id="first", tooltip="Make this the provider's first profile"),
        Binding("a", "add", "Add", id="add", tooltip="Log in to another account"),
        Binding("l", "relogin", "Re-login", id="relogin", tooltip="Log in again to replace a dead login"),
        Binding("x,delete", "remove", "Remove", id="remove", tooltip="Remove this profile (asks first)"),
        Binding("slash", "filter", "Filter", id="filter", show=False, tooltip="Filter the table by typing"),
        Binding("s", "switch_agent", "Agent", id="switch-agent", tooltip="Show one agent, or all"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("q", "app.quit", "Quit", id="quit", show=False),
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
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        self._applicable: tuple[str, str, bool] | None = None
        self._shown_expiry: dict[str, str] = {}
        self._bindings_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="profiles-body"):
            with Horizontal(id="profiles-top"):
                yield Static("", id="profiles-title", markup=False)
                yield Input(placeholder="/ filter: id, provider, identity, state", id="profiles-filter")
            yield Static("", id="profiles-problems", markup=False)
            table: DataTable[Text | str] = DataTable(id="profiles-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", id="profiles-details", markup=False)
            yield Static("", id="profiles-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#profiles-table", DataTable)
        for column in COLUMNS:
            table.add_column(column.upper(), key=column)
        table.focus()
        self.reload()
        self.set_interval(POLL_SECONDS, self.watch_disk)
        self.set_interval(1.0, self.tick_countdowns)

    # Loading

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def reload(self) -> None:
        fingerprint = self.browser.fingerprint()
        snapshot = self.browser.load(self.agent_filter)
        self.app.call_from_thread(self.show_snapshot, snapshot, fingerprint)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_disk(self) -> None:
        """Poll file stamps off the UI thread; reload only when another process changed something."""
        if self.browser.fingerprint() != self._fingerprint:
            self.app.call_from_thread(self.reload)

    def show_snapshot(self, snapshot: Snapshot, fingerprint: tuple[tuple[str, int, int], ...]) -> None:
        self.snapshot = snapshot
        self._fingerprint = fingerprint
        self.render_table()
        problems = self.query_one("#profiles-problems", Static)
        problems.update("\n".join(f"! {p.message}" for p in snapshot.problems))
        problems.display = bool(snapshot.problems)
        count = len(snapshot.agents)
        scope = f"agent {self.agent_filter}" if self.agent_filter else f"{count} agent{'s' if count != 1 else ''}"
        self.query_one("#profiles-title", Static).update(f"Profiles · {scope} · {len(snapshot.rows)} shown")

    def visible_rows(self) -> list[ProfileRow]:
        needle = self.query_one("#profiles-filter", Input).value.strip().lower()
        if not needle:
            return list(self.snapshot.rows)
        return [
            row
            for row in self.snapshot.rows
            if needle in " ".join((row.agent_id, row.entry.profile_id, row.entry.provider, row.identity, row.state.name)).lower()
        ]

    def render_table(self) -> None:
        """Rebuild the table, keeping the cursor on the same profile when it is still there."""
        table = self.query_one("#profiles-table", DataTable)
        selected = self.selected_row()
        now = int(self.clock() * 1000)
        table.clear()
        self.rows = {}
        self._shown_expiry = {}
        for row in self.visible_rows():
            self.rows[row.key] = row
            self._shown_expiry[row.key] = live_expiry(row, now)
            profile = row.entry.profile_id + ("  ↑main" if row.inherited else "")
            table.add_row(
                row.agent_id,
                profile,
                Text(row.state.name, style=STATE_STYLES.get(row.state.name, "")),
                self._shown_expiry[row.key],
                row.entry.kind,
                "" if row.identity in row.entry.profile_id else row.identity,
                row.masked_secret,
                key=row.key,
            )
        if selected is not None and selected.key in self.rows:
            table.move_cursor(row=table.get_row_index(selected.key))
        self.show_details()

    def tick_countdowns(self) -> None:
        """Only the rows on screen are updated: a table of hundreds of profiles ticks as cheaply as one of ten."""
        table = self.query_one("#profiles-table", DataTable)
        now = int(self.clock() * 1000)
        first = int(table.scroll_y)
        keys = list(self.rows)[first : first + table.size.height + 1]
        for key in keys:
            text = live_expiry(self.rows[key], now)
            if self._shown_expiry.get(key) != text:  # `in 9d 4h` changes once an hour; skip the redraw till then
                self._shown_expiry[key] = text
                table.update_cell(key, "expires", text)
        self.show_details()

    def selected_row(self) -> ProfileRow | None:
        table = self.query_one("#profiles-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key or "")

    @on(DataTable.RowHighlighted)
    def show_details(self) -> None:
        row = self.selected_row()
        applicable = None if row is None else (row.entry.kind, row.state.name, row.order_size > 1)
        if applicable != self._applicable:
            # Rebuilding the Footer costs more than moving the cursor: do it once the cursor rests, and only when
            # the keys that apply have changed.
            self._applicable = applicable
            if self._bindings_timer is not None:
                self._bindings_timer.stop()
            self._bindings_timer = self.set_timer(BINDINGS_SETTLE_SECONDS, self.refresh_bindings)
        details = self.query_one("#profiles-details", Static)
        if row is None:
            details.update("No profiles here yet. Press a to log in.")
            return
        now = int(self.clock() * 1000)
        state = row.state.name + (f" ({row.state.detail})" if row.state.detail else "")
        order = f"{row.order_position} of {row.order_size}" + ("" if row.explicit_order else ", round-robin")
        owner = row.entry.owner_agent + (", read through from main" if row.inherited else "")
        lines = [
            f"{row.entry.profile_id}  ·  {row.entry.provider} {row.entry.kind}  ·  expires {live_expiry(row, now)}",
            f"state      {state}",
            f"store      {row.entry.store_path}  (owner {owner})",
            f"order      {order}  ·  last used {_ago(row.usage.get('lastUsed'), now)}",
        ]
        cooldown = row.usage.get("cooldownUntil")
        if isinstance(cooldown, (int, float)) and cooldown > now:
            lines.append(f"cooldown   {credentials.format_duration(int(cooldown) - now)} left")
        lines.append(f"pin it     /model <model>@{row.entry.profile_id}   (in a chat session)")
        if row.state.name == "needs re-login":
            lines.append(f"fix it     press l, or run: coderclaw models auth login --provider {row.entry.provider}")
        details.update("\n".join(lines), layout=False)  # fixed height in the CSS: no relayout per keypress

    @on(Input.Changed, "#profiles-filter")
    def filter_changed(self) -> None:
        self.render_table()

    @on(Input.Submitted, "#profiles-filter")
    def filter_done(self) -> None:
        self.query_one("#profiles-table", DataTable).focus()

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self.selected_row()
        needs_row = {"refresh_profile", "move", "make_first", "remove", "relogin"}
        if action in needs_row and row is None:
            return None
        if action == "refresh_profile" and row is not None and row.entry.kind != "oauth":
            return False
        if action == "relogin" and row is not None and row.state.name not in ("needs re-login", "expired"):
            return False
        if action in ("move", "make_first") and row is not None and row.order_size < 2:
            return None
        if action in ("add", "relogin") and self.open_wizard is None:
            return None
        return True

    def report(self, result: ActionResult) -> None:
        status = self.query_one("#profiles-status", Static)
        status.update(result.message)
        status.set_class(not result.ok, "-error")

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def run_browser_action(self, action: Callable[[], ActionResult]) -> None:
        result = action()
        self.app.call_from_thread(self.report, result)
        self.app.call_from_thread(self.reload)

    def action_refresh_profile(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.report(ActionResult(f"Refreshing {row.entry.profile_id}…"))
            self.run_browser_action(lambda: self.browser.refresh(row))

    def action_move(self, offset: int) -> None:
        row = self.selected_row()
        if row is not None:
            self.run_browser_action(lambda: self.browser.move(row, offset))

    def action_make_first(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.run_browser_action(lambda: self.browser.make_first(row))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_remove(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        question = f"Remove {row.entry.profile_id} from {row.entry.store_path}?"
        if row.entry.kind == "oauth":
            question += " The refresh token is forgotten; logging in again is the only way back."
        if await self.app.push_screen_wait(ConfirmDialog(question, confirm_label="Remove")):
            self.run_browser_action(lambda: self.browser.remove(row))

    def action_add(self) -> None:
        """The wizard opens over the browser; when it saves, the change on disk reloads the table."""
        if self.open_wizard is not None:
            self.open_wizard(WizardRequest(self.agent_filter or "main"))

    def action_relogin(self) -> None:
        row = self.selected_row()
        if row is not None and self.open_wizard is not None:
            # A dead inherited login is fixed where it lives, so every agent reading it through gets the new one.
            self.open_wizard(WizardRequest(row.entry.owner_agent, row.entry.provider))

    def action_filter(self) -> None:
        self.query_one("#profiles-filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#profiles-filter", Input)
        box.value = ""
        self.query_one("#profiles-table", DataTable).focus()

    def action_switch_agent(self) -> None:
        """Cycle: all agents → each agent in turn → all again."""
        cycle: list[str | None] = [None, *self.snapshot.agents]
        position = cycle.index(self.agent_filter) if self.agent_filter in cycle else 0
        self.agent_filter = cycle[(position + 1) % len(cycle)]
        self.reload()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every key of this screen, also in the command palette (the app yields these)."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action not in ("app.quit", "clear_filter"):
                yield SystemCommand(
                    binding.description,
                    binding.tooltip or binding.description,
                    lambda action=binding.action: self.app.run_action(action, self),
                )


def live_expiry(row: ProfileRow, now_ms: int) -> str:
    """`in 4:59` ticking by the second under an hour, `in 9d 4h` beyond; `3m ago` once past."""
    expiry = row.expires_ms()
    if expiry is None:
        return "-"
    if expiry >= now_ms:
        return f"in {format_left(expiry - now_ms)}"
    return f"{credentials.format_duration(now_ms - expiry)} ago"


def _ago(stamp: object, now_ms: int) -> str:
    if not isinstance(stamp, (int, float)) or stamp <= 0:
        return "never"
    return f"{credentials.format_duration(now_ms - int(stamp))} ago"
