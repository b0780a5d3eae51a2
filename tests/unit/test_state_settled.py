"""`state_settled_until` promises that `profile_state` answers the same until that moment: the profile browser
restates only the rows whose moment has come, so a wrong promise would leave a row showing a stale state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.core import credentials
from coderclaw_tui.core.credentials import EXPIRY_MARGIN_MS, WARN_WINDOW_MS, profile_state, state_settled_until
from coderclaw_tui.core.sink import ProfileEntry
from coderclaw_tui.flows.profiles import ProfileRow

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
