"""Refreshing an OAuth credential so that, across every agent and process, each refresh token is sent once and a
rotated one, once received, is never lost.

Order (SPEC 3, 4): the global per-profile refresh lock, then CoderClaw's store lock on the owning store, a
fresh read from disk, and a refresh only if the credential is still stale; otherwise the token another
process wrote is used. The HTTP call happens inside the store lock (a running CoderClaw refreshes under that
same lock), with a total deadline well under the lock's stale limit while the lock's heartbeat keeps it fresh.

Outcomes: a usable answer is merged in; an odd but successful one still stores its new refresh token (the access
token marked stale); a refusal marks the profile "needs re-login"; a failure before the request was sent changes
nothing; a failure after it was sent (timeout, reset, garbled answer) marks the profile "refresh outcome unknown",
and that refresh token is not sent again unless the user asks (`models auth token --retry-refresh`).
Nothing a server says is shown or stored verbatim: only error codes from a known list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coderclaw_tui import paths
from coderclaw_tui.core import audit, credentials
from coderclaw_tui.core.errors import CoderclawError, LockLost
from coderclaw_tui.core.locks import refresh_lock, stale_ms
from coderclaw_tui.core.relogin import disable_until_relogin
from coderclaw_tui.core.sink import ProfileEntry, TokenSink
from coderclaw_tui.core.store import AuthStore
from coderclaw_tui.providers.catalogue import RefreshSpec, find_provider

REFRESH_DEADLINE_S = 20.0
"""Total time for the refresh's HTTP exchange (connect, send, every read), well under the 30 s stale limit."""
TERMINAL_ERRORS = frozenset(
    {"invalid_grant", "refresh_token_reused", "refresh_token_expired", "refresh_token_invalidated", "invalid_refresh_token"}
)
KNOWN_ERRORS = TERMINAL_ERRORS | {
    "invalid_request", "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
    "server_error", "temporarily_unavailable", "rate_limit_exceeded", "access_denied",
}
"""Error codes that may be named in a message; anything else a server says is summarised, never repeated."""
MAX_RESPONSE_BYTES = 1 << 20


def deadline_s() -> float:
    """The total deadline, kept at most two thirds of the stale limit (which tests may shorten)."""
    return min(REFRESH_DEADLINE_S, stale_ms() / 1500)


class RefreshFailed(CoderclawError):
    """Transient: the request never reached the provider or was refused for a passing reason; nothing changed."""

    exit_code = 4


class NeedsRelogin(CoderclawError):
    """Terminal: the refresh token is dead; only a new login helps."""

    exit_code = 5

    def __init__(self, profile_id: str, provider: str, reason: str) -> None:
        super().__init__(
            f"{profile_id} needs a new login ({reason}); run `coderclaw models auth login --provider {provider}`."
        )
        self.reason = reason


class RefreshOutcomeUnknown(CoderclawError):
    """The refresh was sent but no usable answer came: the provider may have rotated the token already, so it is
    not sent again until the user chooses."""

    exit_code = 5

    def __init__(self, profile_id: str, provider: str, reason: str) -> None:
        super().__init__(
            f"the last refresh of {profile_id} got no usable answer ({reason}), so the provider may already have "
            "replaced its refresh token; to send the stored one anyway run `coderclaw models auth token --provider "
            f"{provider} --profile-id {profile_id} --retry-refresh`, or log in again with "
            f"`coderclaw models auth login --provider {provider}`."
        )
        self.reason = reason


class _Terminal(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Ambiguous(Exception):
    """Sent, but no usable answer: the server may or may not have rotated the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Salvaged(Exception):
    """A 200 whose new refresh token was kept though the rest was unusable."""

    def __init__(self, fields: dict[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.fields = fields
        self.reason = reason


@dataclass(frozen=True)
class _Outcome:
    record: dict[str, Any] | None = None
    relogin_reason: str | None = None
    unknown_reason: str | None = None
    salvaged_reason: str | None = None


def refresh_profile(
    sink: TokenSink,
    agent_id: str,
    entry: ProfileEntry,
    *,
    transport: Any = None,
    env: Mapping[str, str] | None = None,
    force: bool = False,
    retry_refresh: bool = False,
) -> dict[str, Any]:
    """A fresh record for `entry`, refreshed here or by whoever held the locks before us.

    `force` refreshes a token that is not stale yet (the browser's "refresh now"), unless another process
    replaced it since `entry` was read, in which case that newer token is the answer. `retry_refresh` sends a
    refresh token whose last refresh had an unknown outcome.
    """
    env = sink.env if env is None else env
    provider = find_provider(entry.provider)
    spec = provider.refresh if provider else None
    if spec is None:
        raise NeedsRelogin(entry.profile_id, entry.provider, "coderclaw cannot refresh this provider's tokens")
    profile_id = entry.profile_id
    applied: list[Callable[[dict[str, Any]], dict[str, Any]]] = []  # what the answer does to the record, kept to re-apply if the store lock was lost

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
        unknown = record.get(credentials.UNKNOWN_FIELD)
        if unknown is not None and not retry_refresh:
            return _Outcome(unknown_reason=str(unknown))
        if not credentials.can_refresh(record, retrying=retry_refresh):
            return _Outcome(relogin_reason="no refresh token stored")
        try:
            fresh = _call_token_endpoint(spec, record, sink.now_ms(), transport, env)
        except _Terminal as exc:
            apply = _marking(credentials.RELOGIN_FIELD, exc.reason, record["refresh"])
            outcome = _Outcome(relogin_reason=exc.reason)
            disable_until_relogin(store, profile_id, sink.now_ms())
        except _Ambiguous as exc:
            apply = _marking(credentials.UNKNOWN_FIELD, exc.reason, record["refresh"])
            outcome = _Outcome(unknown_reason=exc.reason)
        except _Salvaged as exc:
            apply = _merging(exc.fields)
            outcome = _Outcome(salvaged_reason=exc.reason)
        else:
            apply = _merging(fresh)
            outcome = _Outcome(record=apply(record))
        applied.append(apply)
        store.profiles[profile_id] = apply(record)
        return outcome

    lock_path = paths.refresh_lock_path(entry.provider, profile_id, sink.env)
    with refresh_lock(lock_path, root=paths.state_dir(sink.env)):
        try:
            outcome = sink.update_owner(entry, attempt, retry_if_lost=False)
        except LockLost:
            if not applied:
                raise
            outcome = _reapply(sink, entry, applied[0])
    return _finish(outcome, entry)


def _merging(fresh: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(record: dict[str, Any]) -> dict[str, Any]:
        merged = {**record, **fresh}
        merged.pop(credentials.UNKNOWN_FIELD, None)
        merged.pop(credentials.RELOGIN_FIELD, None)
        return merged

    return apply


def _marking(field: str, reason: str, sent_refresh: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("refresh") != sent_refresh:
            return record  # someone stored a newer token meanwhile: the mark is about one that is gone
        return {**record, field: reason}

    return apply


def _reapply(sink: TokenSink, entry: ProfileEntry, apply: Callable[[dict[str, Any]], dict[str, Any]]) -> _Outcome:
    """Our store lock was taken over while the answer was on its way: take it again, re-read, and apply the
    answer to what is there now. The refresh token we sent is spent; the one received is the only live one."""

    def put(store: AuthStore) -> dict[str, Any]:
        current = store.profiles.get(entry.profile_id)
        before = current if isinstance(current, dict) else entry.record
        updated = apply(before)
        store.profiles[entry.profile_id] = updated
        if credentials.RELOGIN_FIELD in updated and credentials.RELOGIN_FIELD not in before:
            disable_until_relogin(store, entry.profile_id, sink.now_ms())  # CoderClaw's half of the mark too
        return updated

    record = sink.update_owner(entry, put)
    if credentials.RELOGIN_FIELD in record:
        return _Outcome(relogin_reason=str(record[credentials.RELOGIN_FIELD]))
    if (unknown := record.get(credentials.UNKNOWN_FIELD)) is not None:
        return _Outcome(unknown_reason=str(unknown))
    if credentials.needs_refresh(record, sink.now_ms()):
        return _Outcome(salvaged_reason="the answer came after the store lock was lost")
    return _Outcome(record=record)


def _finish(outcome: _Outcome, entry: ProfileEntry) -> dict[str, Any]:
    profile_id, provider = entry.profile_id, entry.provider
    if outcome.relogin_reason is not None:
        audit.log("refresh", profile=profile_id, outcome="needs re-login", reason=outcome.relogin_reason)
        raise NeedsRelogin(profile_id, provider, outcome.relogin_reason)
    if outcome.unknown_reason is not None:
        audit.log("refresh", profile=profile_id, outcome="unknown", reason=outcome.unknown_reason)
        raise RefreshOutcomeUnknown(profile_id, provider, outcome.unknown_reason)
    if outcome.salvaged_reason is not None:
        audit.log("refresh", profile=profile_id, outcome="refresh token kept", reason=outcome.salvaged_reason)
        raise RefreshFailed(
            f"the {provider} token endpoint's answer for {profile_id} was not usable ({outcome.salvaged_reason}); "
            "the new refresh token it sent was saved, so the next run refreshes with it."
        )
    assert outcome.record is not None
    audit.log("refresh", profile=profile_id, outcome="ok")
    return outcome.record


def _call_token_endpoint(
    spec: RefreshSpec, record: dict[str, Any], now_ms: int, transport: Any, env: Mapping[str, str] | None
) -> dict[str, Any]:
    """POST the refresh grant once; raise _Terminal, _Ambiguous, _Salvaged or RefreshFailed for what came back.

    What is sent and how the answer is read are the provider's (`RefreshSpec.payload` and `.read`)."""
    provider = str(record.get("provider"))
    url = spec.url(provider, env)
    try:
        payload = spec.payload(record, env)
    except ValueError as exc:
        raise RefreshFailed(f"cannot refresh the {provider} token: {exc}") from None
    status, raw = _exchange(url, payload, spec.body == "json", transport)
    body = _json_body(raw)
    error = _error_code(body)
    if error in TERMINAL_ERRORS or status in spec.terminal_statuses:
        raise _Terminal(error or f"HTTP {status}")
    if status >= 300:
        raise RefreshFailed(
            f"the {provider} token endpoint answered HTTP {status}"
            + (f" ({error})" if error else "")
            + "; nothing was changed, try again later."
        )
    if not isinstance(body, dict):
        raise _Ambiguous("the answer was not JSON" if raw is not None else "the answer was larger than 1 MiB")
    try:
        fresh = spec.read(body, now_ms, record)
    except (ValueError, OverflowError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "a number out of range"
        new_refresh = body.get("refresh_token")
        if not isinstance(new_refresh, str) or not new_refresh:
            raise _Ambiguous(f"a successful answer with {reason}") from None
        access = body.get("access_token")
        kept: dict[str, Any] = {"refresh": new_refresh, "expires": now_ms}
        if isinstance(access, str) and access and access.isprintable():
            kept["access"] = access
        raise _Salvaged(kept, reason) from None
    if "refresh" not in fresh:
        fresh["refresh"] = record["refresh"]
    return fresh


def _exchange(url: str, payload: dict[str, str], as_json: bool, transport: Any) -> tuple[int, bytes | None]:
    """(status, body) of one POST, the whole exchange bounded by `deadline_s()` and the body read in chunks up to
    1 MiB (None past that). Raises RefreshFailed when the request was never sent, _Ambiguous when it was."""
    import asyncio

    import httpx

    async def run() -> tuple[int, bytes | None]:
        headers = {"Accept": "application/json"}
        async with httpx.AsyncClient(timeout=deadline_s(), transport=transport) as client:
            kwargs: dict[str, Any] = {"json": payload} if as_json else {"data": payload}
            async with client.stream("POST", url, headers=headers, **kwargs) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        return response.status_code, None
                    chunks.append(chunk)
                return response.status_code, b"".join(chunks)

    async def bounded() -> tuple[int, bytes | None]:
        return await asyncio.wait_for(run(), deadline_s())

    try:
        return _run_coroutine(bounded)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise RefreshFailed(f"could not connect to {_host(url)} to refresh the token; nothing was changed.") from None
    except (asyncio.TimeoutError, httpx.TimeoutException):
        raise _Ambiguous(f"no complete answer within {deadline_s():g} s") from None
    except httpx.HTTPError as exc:
        raise _Ambiguous(f"the connection failed mid-answer ({type(exc).__name__})") from None


def _run_coroutine(factory: Any) -> Any:
    """Run an async exchange from sync code, also when this thread already runs an event loop (the TUI)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url[:60]


def _error_code(body: Any) -> str:
    """A known OAuth error code from `{"error": "invalid_grant"}` or `{"error": {"code": ...}}`; anything else a
    server wrote (it may echo the token) is reduced to "an unrecognised error"."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("type")
    if not isinstance(error, str) or not error:
        return ""
    return error if error in KNOWN_ERRORS else "an unrecognised error"


def _json_body(raw: bytes | None) -> Any:
    if raw is None:
        return None
    from coderclaw_tui.core.jsonio import strict_loads

    try:
        return strict_loads(raw.decode("utf-8"))
    except ValueError:
        return None
