"""`state_settled_until` promises that `profile_state` answers the same until that moment, and `live_expiry_until`
that the expires cell reads the same until its moment: the profile browser looks again only at the rows whose
moment has come, so a wrong promise would leave a row showing a stale state or a countdown standing still."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.core import credentials
from coderclaw_tui.core.credentials import EXPIRY_MARGIN_MS, WARN_WINDOW_MS, profile_state, state_settled_until
from coderclaw_tui.core.sink import ProfileEntry
from coderclaw_tui.flows.profiles import ProfileRow
from coderclaw_tui.screens.profiles import live_expiry, live_expiry_until

NOW = 1_800_000_000_000
OFFSETS = [0, EXPIRY_MARGIN_MS, WARN_WINDOW_MS // 2, WARN_WINDOW_MS, 3 * WARN_WINDOW_MS]
"""From now, around the instants profile_state compares the time with, on both sides of each."""
near_now = st.builds(
    lambda offset, sign, jitter: NOW + sign * offset + jitter,
    st.sampled_from(OFFSETS),
    st.sampled_from([-1, 1]),
    st.integers(-2000, 2000),
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["oauth", "token", "api_key"]))
    record: dict[str, Any] = {"type": kind, "provider": draw(st.sampled_from(["openai-codex", "anthropic", "minimax-portal"]))}
    record[{"oauth": "access", "token": "token", "api_key": "key"}[kind]] = "sk-FAKE-settled-0000000000"
    if kind == "oauth" and draw(st.booleans()):
        record["refresh"] = "rt_FAKE-settled"
    if draw(st.booleans()):
        record["expires"] = draw(near_now)
    if draw(st.integers(0, 9)) == 0:
        record[credentials.UNKNOWN_FIELD] = "no answer"
    return record


@st.composite
def usages(draw: st.DrawFn) -> dict[str, Any]:
    usage: dict[str, Any] = {}
    for field in ("disabledUntil", "cooldownUntil"):
        if draw(st.booleans()):
            usage[field] = draw(near_now)
    return usage


@settings(max_examples=400, deadline=None)
@given(record=records(), usage=usages(), now=st.integers(NOW - 3000, NOW + 3000), steps=st.lists(st.floats(0, 1), max_size=8))
def test_the_state_holds_until_the_moment_it_names(
    record: dict[str, Any], usage: dict[str, Any], now: int, steps: list[float]
) -> None:
    settled = state_settled_until(record, usage, now)
    assert settled >= now
    state = profile_state(record, usage, now)
    horizon = min(settled, now + 4 * WARN_WINDOW_MS)
    last = int(horizon) - 1 if horizon > now + 1 else now  # the last millisecond of the promise above all
    for later in [last, *(int(now + step * (last - now)) for step in steps)]:
        assert profile_state(record, usage, later) == state, (later - now, settled - now)


def test_an_expiry_is_a_moment_and_a_running_pause_holds_for_no_time() -> None:
    token = {"type": "token", "provider": "anthropic", "token": "sk-ant-FAKE-0000000000", "expires": NOW + 10_000}
    assert state_settled_until(token, {}, NOW) == NOW + 10_000
    assert state_settled_until(token, {}, NOW + 10_000) == float("inf")
    assert state_settled_until(token, {"cooldownUntil": NOW + 5_000}, NOW) == NOW  # "5s left" counts down
    key = {"type": "api_key", "provider": "openai", "key": "sk-FAKE-0000000000"}
    assert state_settled_until(key, {"cooldownUntil": NOW - 1}, NOW) == float("inf")


@settings(max_examples=200, deadline=None)
@given(record=records(), usage=usages(), times=st.lists(near_now, min_size=1, max_size=12))
def test_a_restated_row_agrees_with_profile_state_whichever_way_the_clock_moves(
    record: dict[str, Any], usage: dict[str, Any], times: list[int]
) -> None:
    """The browser's rows restated tick after tick (and after a clock set back) say what profile_state says."""
    entry = ProfileEntry("anthropic:settled", record, "main", Path("auth-profiles.json"))
    settled = (NOW, state_settled_until(record, usage, NOW))
    row = ProfileRow("main", entry, profile_state(record, usage, NOW), 1, 1, False, usage, settled)
    for now in times:
        row = row.restated(now)
        assert row.state == profile_state(record, usage, now)


def expiring_row(expires: int | None) -> ProfileRow:
    record: dict[str, Any] = {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-0000000000"}
    if expires is not None:
        record["expires"] = expires
    entry = ProfileEntry("anthropic:countdown", record, "main", Path("auth-profiles.json"))
    return ProfileRow("main", entry, profile_state(record, {}, NOW), 1, 1, False, {})


HOUR_MS = 3_600_000
UNIT_EDGES = [0, 1000, 60_000, HOUR_MS, 48 * HOUR_MS, 400 * 24 * HOUR_MS]
"""Where the countdown changes the unit of its last figure (seconds, minutes, hours), before and after expiry."""


@settings(max_examples=600, deadline=None)
@given(
    edge=st.sampled_from(UNIT_EDGES),
    sign=st.sampled_from([-1, 1]),
    jitter=st.integers(-70_000, 70_000),
    steps=st.lists(st.floats(0, 1), max_size=6),
)
def test_the_expires_cell_reads_the_same_until_its_moment_and_otherwise_then(
    edge: int, sign: int, jitter: int, steps: list[float]
) -> None:
    row = expiring_row(NOW + sign * edge + jitter)
    shown = live_expiry(row, NOW)
    until = live_expiry_until(row, NOW)
    assert NOW < until
    for later in [int(until) - 1, *(int(NOW + step * (until - 1 - NOW)) for step in steps)]:
        assert live_expiry(row, later) == shown, (later - NOW, until - NOW)
    assert live_expiry(row, int(until)) != shown, "the moment named is the one the text changes at"


def test_a_cell_without_an_expiry_reads_the_same_for_ever() -> None:
    assert live_expiry_until(expiring_row(None), NOW) == float("inf")
    assert live_expiry_until(expiring_row(NOW + 90 * 60_000 + 30_000), NOW) == NOW + 30_001  # 1h 30m, 30 s on
