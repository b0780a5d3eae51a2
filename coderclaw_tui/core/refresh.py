"""Refreshing an OAuth credential so that, across every agent and process, each refresh token is sent once.

Order (SPEC 3, 4): the global per-profile refresh lock, then CoderClaw's store lock on the owning store, a
fresh read from disk, and a refresh only if the credential is still stale; otherwise the token another
process wrote is used. The HTTP call happens inside the store lock, because a running CoderClaw refreshes
under that same lock and must not send the same refresh token meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coderclaw_tui import paths
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.core.locks import refresh_lock
from coderclaw_tui.core.sink import ProfileEntry, TokenSink
from coderclaw_tui.core.store import AuthStore
from coderclaw_tui.providers.catalogue import RefreshSpec, find_provider

REFRESH_TIMEOUT_S = 30.0
TERMINAL_ERRORS = frozenset(
    {"invalid_grant", "refresh_token_reused", "refresh_token_expired", "refresh_token_invalidated", "invalid_refresh_token"}
)
MAX_RESPONSE_BYTES = 1 << 20


class RefreshFailed(CoderclawError):
    """Transient: nothing was changed, the stored credential is as it was."""

    exit_code = 4


class NeedsRelogin(CoderclawError):
    """Terminal: the refresh token is dead; only a new login helps."""

    exit_code = 5

    def __init__(self, profile_id: str, provider: str, reason: str) -> None:
        super().__init__(
            f"{profile_id} needs a new login ({reason}); run `coderclaw models auth login --provider {provider}`."
        )
        self.reason = reason


class _TerminalAnswer(Exception):
    """The token endpoint said the refresh token is dead (reused, expired, revoked)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Outcome:
    record: dict[str, Any] | None = None
    relogin_reason: str | None = None


def refresh_profile(
    sink: TokenSink,
    agent_id: str,
    entry: ProfileEntry,
    *,
    transport: Any = None,
    env: Mapping[str, str] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """A fresh record for `entry`, refreshed here or by whoever held the locks before us.

    `force` refreshes a token that is not stale yet (the browser's "refresh now"), unless another process
    replaced it since `entry` was read, in which case that newer token is the answer.
    """
    env = sink.env if env is None else env
    provider = find_provider(entry.provider)
    spec = provider.refresh if provider else None
    if spec is None:
        raise NeedsRelogin(entry.profile_id, entry.provider, "coderclaw cannot refresh this provider's tokens")
    profile_id = entry.profile_id

    def attempt(store: AuthStore) -> _Outcome:
        record = store.profiles.get(profile_id)
        if not isinstance(record, dict):
            raise CoderclawError(f"{profile_id} was removed from {entry.store_path} meanwhile.")
        if credentials.RELOGIN_FIELD in record:
            return _Outcome(relogin_reason=str(record[credentials.RELOGIN_FIELD]))
        stale = credentials.needs_refresh(record, sink.now_ms())
        replaced = record.get("access") != entry.record.get("access")
        if (not force and not stale) or (force and replaced and not stale):
            return _Outcome(record=record)
        if not credentials.can_refresh(record):
            return _Outcome(relogin_reason="no refresh token stored")
        try:
            fresh = _call_token_endpoint(spec, record, sink.now_ms(), transport, env)
        except _TerminalAnswer as exc:
            marked = {**record, credentials.RELOGIN_FIELD: exc.reason}
            store.profiles[profile_id] = marked
            stats = store.usage_for(profile_id)
            stats.update({"disabledReason": "auth", "lastFailureAt": sink.now_ms()})
            stats["errorCount"] = int(stats.get("errorCount") or 0) + 1
            return _Outcome(relogin_reason=exc.reason)
        merged = {**record, **fresh}
        store.profiles[profile_id] = merged
        return _Outcome(record=merged)

    with refresh_lock(paths.refresh_lock_path(entry.provider, profile_id, sink.env)):
        outcome = sink.update_owner(entry, attempt)
    if outcome.relogin_reason is not None:
        raise NeedsRelogin(profile_id, entry.provider, outcome.relogin_reason)
    assert outcome.record is not None
    return outcome.record


def _call_token_endpoint(
    spec: RefreshSpec, record: dict[str, Any], now_ms: int, transport: Any, env: Mapping[str, str] | None
) -> dict[str, Any]:
    """POST the refresh grant once. Timeouts and 5xx are transient and never retried with the same token."""
    import httpx

    from coderclaw_tui.providers.token_response import parse_token_response

    payload = {"grant_type": "refresh_token", "refresh_token": record["refresh"], "client_id": spec.client_id}
    provider = str(record.get("provider"))
    url = spec.token_url(env)
    try:
        with httpx.Client(timeout=REFRESH_TIMEOUT_S, transport=transport) as client:
            if spec.body == "json":
                response = client.post(url, json=payload, headers={"Accept": "application/json"})
            else:
                response = client.post(url, data=payload, headers={"Accept": "application/json"})
    except httpx.TimeoutException:
        raise RefreshFailed(
            f"The {provider} token refresh timed out after {REFRESH_TIMEOUT_S:.0f} s; nothing was changed and it was "
            "not retried, because the provider may already have rotated the token. Try again shortly."
        ) from None
    except httpx.HTTPError as exc:
        raise RefreshFailed(
            f"Could not reach {url} to refresh the {provider} token ({type(exc).__name__}); nothing was changed."
        ) from None
    body = _json_body(response)
    error = _error_code(body)
    if error in TERMINAL_ERRORS or response.status_code == 401:
        raise _TerminalAnswer(error or "HTTP 401")
    if response.status_code >= 400 or not isinstance(body, dict):
        raise RefreshFailed(
            f"The {provider} token endpoint answered HTTP {response.status_code}"
            + (f" ({error})" if error else "")
            + "; nothing was changed, try again shortly."
        )
    try:
        fresh = parse_token_response(body, now_ms=now_ms, margin_ms=spec.margin_ms, provider=provider)
    except ValueError as exc:
        raise RefreshFailed(f"The {provider} token endpoint sent an unusable answer ({exc}); nothing was changed.") from None
    if "refresh" not in fresh:
        fresh["refresh"] = record["refresh"]
    return fresh


def _error_code(body: Any) -> str:
    """OAuth's `{"error": "invalid_grant"}`, or the nested `{"error": {"code": ...}}` some providers send."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("type")
    return error if isinstance(error, str) else ""


def _json_body(response: Any) -> Any:
    if len(response.content) > MAX_RESPONSE_BYTES:
        return None
    try:
        return response.json()
    except ValueError:
        return None
