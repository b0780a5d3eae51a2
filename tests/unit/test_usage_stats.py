"""Usage stats through the sink: a success is recorded as CoderClaw records it (lastUsed, counters and cooldowns
cleared, lastGood), under the lock, and nothing else in the store moves."""

from __future__ import annotations

import json
from pathlib import Path

from coderclaw_tui.core.sink import TokenSink


def test_mark_used_records_a_success_like_coderclaw(main_store: Path) -> None:
    before = json.loads(main_store.read_text())
    sink = TokenSink(clock=lambda: 1_800_000_000.0)
    sink.mark_used("main", "anthropic:default")
    after = json.loads(main_store.read_text())

    stats = after["usageStats"]["anthropic:default"]
    assert stats["lastUsed"] == 1_800_000_000_000 and stats["errorCount"] == 0
    for cleared in ("cooldownUntil", "disabledUntil", "disabledReason", "failureCounts"):
        assert cleared not in stats
    assert stats["lastFailureAt"] == before["usageStats"]["anthropic:default"]["lastFailureAt"]
    assert after["lastGood"]["anthropic"] == "anthropic:default"

    for key in ("version", "profiles", "order"):
        assert after[key] == before[key]
    assert {k: v for k, v in after["usageStats"].items() if k != "anthropic:default"} == {
        k: v for k, v in before["usageStats"].items() if k != "anthropic:default"
    }
    assert list(after) == list(before), "key order kept"
    assert not list(main_store.parent.glob("*.lock"))
