"""Live credential probes (`models status --probe`): does each stored credential really work, right now?

Each credential gets the cheapest request that proves it (`providers.probe_table`): never a model call, never a
refresh. Probes run concurrently, bounded by a semaphore, and each has one total deadline (connect, send and every
read together), so a server that hangs costs at most that deadline. An expired OAuth token is not probed unless the
caller passes `refresh`, which must be the normal locked refresh path. Nothing a server says is echoed: answers are
classified by status code, and at most a short error name that matches a strict pattern is shown.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from coderclaw_tui.auth.paste_parser import safe_error_name
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.core.sink import ProfileEntry, StoreView
from coderclaw_tui.providers.probe_table import ProbeSpec, probe_spec

STATUSES = ("ok", "auth", "rate_limit", "billing", "timeout", "format", "unknown")
DEFAULT_TIMEOUT_MS = 8000
DEFAULT_CONCURRENCY = 2
MAX_BODY_BYTES = 16_384
"""Enough of an answer to find an error name; the rest is never read."""

_HTTP_STATUSES = {401: "auth", 403: "auth", 402: "billing", 429: "rate_limit", 408: "timeout", 400: "format"}
_HTTP_MEANING = {
    "auth": "the credential was refused",
    "billing": "the account has a billing or quota problem",
    "rate_limit": "rate limited; try again later",
    "timeout": "the server timed out",
    "format": "the server did not accept the request",
}

Refresher = Callable[[ProfileEntry], dict[str, Any]]


class ProbeTarget(NamedTuple):
    """One credential to probe. `secret` never leaves this module except in the request header it belongs to."""

    provider: str
    profile_id: str | None
    label: str
    source: str
    """`profile` (a stored profile) or `env` (a key in the environment, for a provider with no profile)."""
    mode: str
    secret: str
    record: Mapping[str, Any]
    spec: ProbeSpec | None


class ProbeResult(NamedTuple):
    provider: str
    profile_id: str | None
    label: str
    source: str
    mode: str
    status: str
    error: str | None = None
    latency_ms: int | None = None
    http_status: int | None = None

    def as_json(self) -> dict[str, Any]:
        """CoderClaw's `auth.probes.results[]` entry; `model` is null because no model is ever called."""
        return {
            "provider": self.provider,
            "model": None,
            "profileId": self.profile_id,
            "label": self.label,
            "source": self.source,
            "mode": self.mode,
            "status": self.status,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "httpStatus": self.http_status,
        }


class ProbePlan(NamedTuple):
    targets: list[ProbeTarget]
    """Credentials to send a request for."""
    decided: list[ProbeResult]
    """Credentials settled without a request (excluded, expired, needing a login, no probe known)."""


def _result(target: ProbeTarget, status: str, error: str | None, **extra: Any) -> ProbeResult:
    return ProbeResult(target.provider, target.profile_id, target.label, target.source, target.mode, status, error, **extra)


def _label(entry: ProfileEntry) -> str:
    who = credentials.identity_of(entry.record) if isinstance(entry.record, dict) else None
    return f"{entry.profile_id} ({who})" if who else entry.profile_id


def _explicit_order(view: StoreView, config: Mapping[str, Any], provider: str) -> list[str] | None:
    """The store's `order`, else the config's `auth.order`: when one exists, profiles left out of it are not used."""
    if provider in view.order:
        return view.order[provider]
    auth = config.get("auth")
    order = auth.get("order") if isinstance(auth, dict) else None
    ids = order.get(provider) if isinstance(order, dict) else None
    return ids if isinstance(ids, list) and ids else None


def plan_probes(
    view: StoreView,
    *,
    env: Mapping[str, str],
    config: Mapping[str, Any],
    env_vars: Mapping[str, Sequence[str]],
    now_ms: int,
    provider: str | None = None,
    profile_ids: Iterable[str] = (),
    refresh: Refresher | None = None,
) -> ProbePlan:
    """Every credential `view` can use (filtered), settled or ready to send. `env_vars` maps a provider to the
    variables its key may come from; they are probed only for providers with no profile and no profile filter."""
    wanted = list(dict.fromkeys(profile_ids))
    plan = ProbePlan([], [])
    providers = sorted({e.provider for e in view.profiles.values()} | set(env_vars))
    for name in providers if provider is None else [provider]:
        entries = view.ordered_profiles(name)
        if wanted:
            entries = [e for e in entries if e.profile_id in wanted]
        for entry in entries:
            _plan_profile(plan, view, entry, env, config, now_ms, refresh)
        if not wanted and not view.provider_profiles(name):
            _plan_env(plan, name, env_vars.get(name, ()), env, config)
    return plan


def _plan_profile(
    plan: ProbePlan,
    view: StoreView,
    entry: ProfileEntry,
    env: Mapping[str, str],
    config: Mapping[str, Any],
    now_ms: int,
    refresh: Refresher | None,
) -> None:
    record = entry.record if isinstance(entry.record, dict) else {}
    target = ProbeTarget(entry.provider, entry.profile_id, _label(entry), "profile", entry.kind, "", record, None)
    order = _explicit_order(view, config, entry.provider)
    if order is not None and entry.profile_id not in order:
        plan.decided.append(_result(target, "unknown", "Excluded by auth.order for this provider; not probed."))
        return
    state = credentials.profile_state(entry.record, view.usage_stats.get(entry.profile_id), now_ms)
    if state.name == "needs re-login":
        login = f"`coderclaw models auth login --provider {entry.provider}`"
        plan.decided.append(_result(target, "auth", f"Needs a new login; run {login}. Not probed."))
        return
    if state.name == "expired (refreshable)":
        if refresh is None:
            plan.decided.append(_result(target, "unknown", "Access token expired; not probed (add --refresh to refresh it first)."))
            return
        from coderclaw_tui.core.refresh import NeedsRelogin

        try:
            record = refresh(entry)
        except CoderclawError as exc:
            status = "auth" if isinstance(exc, NeedsRelogin) else "unknown"
            plan.decided.append(_result(target, status, f"Refresh before the probe failed: {exc.message}"))
            return
        state = credentials.profile_state(record, view.usage_stats.get(entry.profile_id), now_ms)
    if state.blocking or state.name == "unusable":
        detail = f" ({state.detail})" if state.detail else ""
        plan.decided.append(_result(target, "unknown", f"Credential is {state.name}{detail}; not probed."))
        return
    spec = probe_spec(entry.provider, entry.kind, env, config)
    if spec is None:
        plan.decided.append(_result(target, "unknown", "No free check is known for this provider; not probed."))
        return
    plan.targets.append(target._replace(secret=credentials.secret_of(record), record=record, spec=spec))


def _plan_env(plan: ProbePlan, provider: str, names: Sequence[str], env: Mapping[str, str], config: Mapping[str, Any]) -> None:
    variable = next((n for n in names if env.get(n, "").strip()), None)
    spec = probe_spec(provider, "api_key", env, config) if variable else None
    if variable and spec:
        plan.targets.append(ProbeTarget(provider, None, f"env:{variable}", "env", "api_key", env[variable].strip(), {}, spec))


def classify(code: int, spec: ProbeSpec, body: bytes) -> tuple[str, str | None]:
    """A status from the answer's HTTP status; the body is only searched for markers and a short error name."""
    text = body.decode("utf-8", "replace")
    if any(code == status and marker in text for status, marker in spec.ok_markers):
        return "ok", None
    if 200 <= code < 300:
        return "ok", None
    status = dict(spec.status_overrides).get(code) or _HTTP_STATUSES.get(code, "unknown")
    meaning = _HTTP_MEANING.get(status, "unexpected answer" if code < 500 else "the provider had a problem")
    name = _error_name(body)
    return status, f"HTTP {code}: {meaning}" + (f" ({name})" if name else "") + "."


def _error_name(body: bytes) -> str | None:
    """`invalid_api_key`, `authentication_error`, `PERMISSION_DENIED`: a provider's error name, if it is one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = next((error[k] for k in ("code", "type", "status") if isinstance(error.get(k), str)), None)
    if not isinstance(error, str):
        return None
    name = safe_error_name(error.lower())
    return None if name == "unknown error" else name


def _request_parts(target: ProbeTarget) -> tuple[str, dict[str, str]]:
    assert target.spec is not None
    spec = target.spec
    headers = dict(spec.headers)
    headers[spec.auth_header] = spec.auth_value.format(secret=target.secret)
    for header, field in spec.record_headers:
        value = target.record.get(field)
        if isinstance(value, str) and value:
            headers[header] = value
    return spec.base_url + spec.path, headers


def _host(url: str) -> str:
    """Host and port only: a configured base URL may carry credentials in its user-info part."""
    parts = urlsplit(url)
    return (parts.hostname or "?") + (f":{parts.port}" if parts.port else "")


async def _send(client: Any, target: ProbeTarget) -> tuple[int, bytes]:
    assert target.spec is not None
    url, headers = _request_parts(target)
    kwargs: dict[str, Any] = {"headers": headers}
    if target.spec.json_body is not None:
        kwargs["json"] = target.spec.json_body
    async with client.stream(target.spec.method, url, **kwargs) as response:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= MAX_BODY_BYTES:
                break
        return response.status_code, body[:MAX_BODY_BYTES]


async def _probe(client: Any, target: ProbeTarget, timeout_s: float, slots: asyncio.Semaphore) -> ProbeResult:
    import httpx

    assert target.spec is not None
    host = _host(target.spec.base_url)
    async with slots:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            code, body = await asyncio.wait_for(_send(client, target), timeout_s)
        except (TimeoutError, httpx.TimeoutException):
            return _result(target, "timeout", f"No answer from {host} within {int(timeout_s * 1000)} ms.", latency_ms=elapsed())
        except httpx.ConnectError:
            return _result(target, "unknown", f"Could not connect to {host}.", latency_ms=elapsed())
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            return _result(target, "timeout", f"The connection to {host} was reset before an answer.", latency_ms=elapsed())
        except httpx.HTTPError as exc:
            return _result(target, "unknown", f"The request to {host} failed ({type(exc).__name__}).", latency_ms=elapsed())
        status, error = classify(code, target.spec, body)
        return _result(target, status, error, latency_ms=elapsed(), http_status=code)


async def run_probes(targets: Sequence[ProbeTarget], *, timeout_ms: int, concurrency: int, transport: Any = None) -> list[ProbeResult]:
    """Probe every target, at most `concurrency` at a time, each within `timeout_ms` in total; results in order."""
    if not targets:
        return []
    import httpx

    timeout_s = timeout_ms / 1000
    slots = asyncio.Semaphore(max(1, min(concurrency, len(targets))))
    async with httpx.AsyncClient(timeout=timeout_s, transport=transport, follow_redirects=False) as client:
        return list(await asyncio.gather(*(_probe(client, t, timeout_s, slots) for t in targets)))


def probes_json(
    results: Sequence[ProbeResult], *, started_ms: int, finished_ms: int, options: Mapping[str, Any]
) -> dict[str, Any]:
    """CoderClaw's `auth.probes` object (plus `refresh` in options and `httpStatus` per result)."""
    return {
        "startedAt": started_ms,
        "finishedAt": finished_ms,
        "durationMs": finished_ms - started_ms,
        "totalTargets": len(results),
        "options": dict(options),
        "results": [r.as_json() for r in results],
    }
