"""Plain-dict facts about one stored credential: what it is, whose it is, and whether it can be used now.

The store keeps credentials as the exact dicts it read (that is what makes round trips lossless); this module
reads them without pydantic, or even dataclasses (whose import costs more than this whole module), so the
scriptable commands stay fast. `core.models` is the typed schema.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any

KNOWN_TYPES = ("api_key", "token", "oauth")
EXPIRY_MARGIN_MS = 60_000
WARN_WINDOW_MS = 24 * 3600 * 1000
RELOGIN_FIELD = "needsRelogin"
"""Set on an OAuth record by a terminal refresh failure; a new login replaces the record and so clears it."""
UNKNOWN_FIELD = "refreshOutcomeUnknown"
"""Set when a refresh was sent but no usable answer came (the provider may have rotated the token): its refresh
token is not sent again until the user asks (`--retry-refresh`); a successful refresh or a new login clears it."""

_KNOWN_PREFIXES = ("sk-ant-oat01-", "sk-ant-api03-", "sk-proj-", "sk-or-", "sk-", "gho_", "ghu_", "ghp_", "rt_", "AIza", "eyJ")
_PREFIXES_BY_START = {
    start: tuple(p for p in _KNOWN_PREFIXES if p.startswith(start)) for start in {p[:2] for p in _KNOWN_PREFIXES}
}
"""The known prefixes by their first two characters, in the order above (longest first): masking thousands of
secrets tries one or two prefixes each, not all."""


def offer_problem(record: Any) -> str | None:
    """Why an entry is kept on disk but not offered for use, or None when it is usable."""
    if not isinstance(record, dict):
        return "entry is not an object"
    kind = record.get("type")
    if kind not in KNOWN_TYPES:
        return f"unknown type {kind!r}"
    if not isinstance(record.get("provider"), str) or not record["provider"].strip():
        return "no provider"
    return None


_SECRET_FIELD = {"api_key": "key", "token": "token", "oauth": "access"}


def secret_of(record: dict[str, Any]) -> str:
    """The value a caller would send: the key, the token, or the OAuth access token."""
    value = record.get(_SECRET_FIELD.get(record.get("type", ""), ""))
    return value if isinstance(value, str) else ""


def identity_of(record: dict[str, Any]) -> str | None:
    for field in ("email", "accountId"):
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def mask_secret(secret: str) -> str:
    """A recognisable prefix, an ellipsis, the last four: enough to tell secrets apart, never enough to use."""
    if not secret:
        return "-"
    if len(secret) < 12:
        return "…" + secret[-2:]
    prefix = secret[:3]
    for known in _PREFIXES_BY_START.get(secret[:2], ()):
        if secret.startswith(known):
            prefix = known
            break
    prefix = prefix[: max(3, len(secret) // 3)]
    return f"{prefix}…{secret[-4:]}"


def expires_ms(record: dict[str, Any]) -> int | None:
    value = record.get("expires")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return int(value)


def can_refresh(record: dict[str, Any], retrying: bool = False) -> bool:
    """Whether a refresh may be sent without asking: `retrying` is the user's go-ahead after an unknown outcome."""
    refresh = record.get("refresh")
    usable = record.get("type") == "oauth" and isinstance(refresh, str) and bool(refresh) and RELOGIN_FIELD not in record
    return usable and (retrying or UNKNOWN_FIELD not in record)


def needs_refresh(record: dict[str, Any], now_ms: int) -> bool:
    """An OAuth access token counts as expired 60 s before `expires` (SPEC 4)."""
    return record.get("type") == "oauth" and _refresh_due(expires_ms(record), now_ms)


def _refresh_due(expiry: int | None, now_ms: int) -> bool:
    return expiry is None or now_ms >= expiry - EXPIRY_MARGIN_MS


class ProfileState(namedtuple("ProfileState", "name detail blocking warning", defaults=("", False, False))):
    """What `models status` and the profile browser say about one profile: `name` (ok, expiring, expired
    (refreshable), expired, needs re-login, static, cooldown, disabled, unusable), a `detail`, `blocking` (a script
    asking for this profile would fail: `--check` exit 1) and `warning` (it will fail within the warning window:
    `--check` exit 2)."""

    __slots__ = ()
    name: str
    detail: str
    blocking: bool
    warning: bool


_OK, _STATIC, _REFRESHABLE = ProfileState("ok"), ProfileState("static"), ProfileState("expired (refreshable)")
_EXPIRING = ProfileState("expiring", warning=True)
"""The states without a detail of their own, made once: status of thousands of profiles names one per profile."""


def profile_state(record: Any, usage: dict[str, Any] | None, now_ms: int) -> ProfileState:
    problem = offer_problem(record)
    if problem:
        return ProfileState("unusable", problem)
    if RELOGIN_FIELD in record:
        return ProfileState("needs re-login", str(record.get(RELOGIN_FIELD) or ""), blocking=True)
    if UNKNOWN_FIELD in record and needs_refresh(record, now_ms):
        return ProfileState("refresh outcome unknown", str(record.get(UNKNOWN_FIELD) or ""), blocking=True)
    secret = secret_of(record)
    if not secret and not can_refresh(record):
        return ProfileState("unusable", "no secret stored", blocking=True)
    if not secret.isprintable() and not can_refresh(record):  # a script would be handed it; a terminal act on it
        return ProfileState("unusable", "the stored secret holds control characters", blocking=True)
    paused = _paused_until(usage, now_ms)
    expiry = expires_ms(record)
    if record["type"] == "oauth":
        if _refresh_due(expiry, now_ms):
            gap = _no_refresh_reason(record)
            if gap is None:
                return _REFRESHABLE
            return ProfileState("expired", gap, blocking=True)
        if expiry is not None and expiry - now_ms <= WARN_WINDOW_MS and (gap := _no_refresh_reason(record)):
            return paused or ProfileState("expiring", gap, warning=True)
    elif expiry is None:
        return paused or _STATIC
    elif now_ms >= expiry:
        return ProfileState("expired", "tokens of this kind cannot be refreshed; paste a new one", blocking=True)
    elif expiry - now_ms <= WARN_WINDOW_MS:
        return paused or _EXPIRING
    return paused or _OK


def state_settled_until(record: Any, usage: dict[str, Any] | None, now_ms: int) -> float:
    """The first moment after `now_ms` at which `profile_state` may answer otherwise: the next of the instants it
    compares the time with (the expiry, and 60 s and a day before it). While a pause (cooldown, disabled) runs,
    its detail counts down, so that state holds for no time at all; a pause that has ended never matters again.
    A browser of thousands of rows restates only the rows whose moment has come."""
    if _paused_until(usage, now_ms) is not None:
        return now_ms
    expiry = expires_ms(record) if isinstance(record, dict) else None
    if expiry is None:
        return float("inf")
    moments = (expiry - WARN_WINDOW_MS, expiry - EXPIRY_MARGIN_MS, expiry)
    return min((moment for moment in moments if moment > now_ms), default=float("inf"))


REFRESHABLE_BUILTINS = frozenset({"openai-codex", "anthropic", "chutes", "google-gemini-cli", "qwen-portal"})
"""The built-in providers whose OAuth tokens refresh, as the catalogue says (a test keeps the two equal): `models
status` knows these without loading the catalogue, which costs more than reading a store of fifty profiles."""


def _no_refresh_reason(record: dict[str, Any]) -> str | None:
    """Why this OAuth record cannot be refreshed, or None: no refresh token, or a provider without a refresh
    (MiniMax: CoderClaw never refreshes its tokens either, whatever its plugin's note says). Only asked about a
    token that is expired or nearly so, so a fresh token's path never loads the catalogue."""
    if not can_refresh(record):
        return "no refresh token"
    provider = str(record.get("provider"))
    if provider in REFRESHABLE_BUILTINS:
        return None
    from coderclaw_tui.providers.catalogue import builtin_without_refresh

    if builtin_without_refresh(provider):
        return "this provider's tokens cannot be refreshed; log in again"
    return None


def _paused_until(usage: dict[str, Any] | None, now_ms: int) -> ProfileState | None:
    if not isinstance(usage, dict):
        return None
    disabled = usage.get("disabledUntil")
    if isinstance(disabled, (int, float)) and disabled > now_ms:
        reason = usage.get("disabledReason") or "unknown"
        return ProfileState("disabled", f"{reason}, {format_duration(int(disabled) - now_ms)} left")
    cooldown = usage.get("cooldownUntil")
    if isinstance(cooldown, (int, float)) and cooldown > now_ms:
        return ProfileState("cooldown", f"{format_duration(int(cooldown) - now_ms)} left")
    return None


def format_duration(ms: int) -> str:
    """Compact human durations: 45s, 12m, 5h 3m, 9d 4h."""
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def duration_step(ms: int) -> int:
    """How far apart (ms) the texts `format_duration` gives are around `ms`: the unit of its last figure."""
    if ms < 60_000:
        return 1000
    return 60_000 if ms < 48 * 3_600_000 else 3_600_000


def format_expiry(record: dict[str, Any], now_ms: int) -> str:
    expiry = expires_ms(record)
    if expiry is None:
        return "-"
    delta = expiry - now_ms
    return f"in {format_duration(delta)}" if delta >= 0 else f"{format_duration(-delta)} ago"
