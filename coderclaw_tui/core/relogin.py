""""Needs re-login", written so both programs honour it (SPEC 2), and cleared by the next successful login.

coderclaw reads its own marker on the record (`needsRelogin`); CoderClaw skips a profile whose
`usageStats[id].disabledUntil` lies in the future, so a dead refresh token is marked in both places.
"""

from __future__ import annotations

from coderclaw_tui.core import credentials
from coderclaw_tui.core.store import AuthStore

RELOGIN_DISABLE_MS = 10 * 365 * 24 * 3600 * 1000
"""How far ahead `disabledUntil` is set: far enough that only a new login (which clears it) ends it."""
RELOGIN_REASON = "auth"


def disable_until_relogin(store: AuthStore, profile_id: str, now_ms: int) -> None:
    """CoderClaw's half of the mark, beside the `needsRelogin` field the refresh puts on the record: a failure of
    reason "auth" in the usage stats, with `disabledUntil` far enough ahead that only a new login ends it."""
    stats = store.usage_for(profile_id)
    stats["disabledUntil"] = now_ms + RELOGIN_DISABLE_MS
    stats["disabledReason"] = RELOGIN_REASON
    stats["lastFailureAt"] = now_ms
    stats["errorCount"] = _count(stats.get("errorCount")) + 1
    counts = stats.get("failureCounts")
    counts = dict(counts) if isinstance(counts, dict) else {}
    counts[RELOGIN_REASON] = _count(counts.get(RELOGIN_REASON)) + 1
    stats["failureCounts"] = counts


def clear_needs_relogin(store: AuthStore, profile_id: str) -> None:
    """After a successful login: drop both markers. A pause for another reason (billing) is not ours to lift."""
    record = store.profiles.get(profile_id)
    if isinstance(record, dict) and credentials.RELOGIN_FIELD in record:
        store.profiles[profile_id] = {k: v for k, v in record.items() if k != credentials.RELOGIN_FIELD}
    stats = (store.usage_stats or {}).get(profile_id)
    if isinstance(stats, dict) and stats.get("disabledReason") == RELOGIN_REASON:
        stats.pop("disabledUntil", None)
        stats.pop("disabledReason", None)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
