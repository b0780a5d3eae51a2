"""CoderClaw's own `--json` shapes (as its 2026.3.11 CLI prints them), built from coderclaw's view of the same files.

`models status`, `agents list` and `models auth order get` print these keys beside coderclaw's own, so a script
written against CoderClaw keeps working (SPEC 7). Each function returns CoderClaw's keys only, with CoderClaw's
meanings, quirks included (an expired OAuth profile with a refresh token is `"ok"` here; coderclaw's own `state`
says `expired (refreshable)`). Kept free of heavy imports: `models status` is called often.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from coderclaw_tui import paths
from coderclaw_tui.core import credentials
from coderclaw_tui.core.sink import ProfileEntry, StoreView

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any

DEFAULT_MODEL = "coderclawllm/auto"
"""CoderClaw's default model when the config names none."""
WARN_AFTER_MS = 24 * 3600 * 1000
NO_RULES_ROUTE = "default (no explicit rules)"


def mask(secret: str) -> str:
    """CoderClaw's masking in labels: the first 8 and last 8 characters. A secret too short for that to hide
    anything shows only its last 2 (CoderClaw would print it whole)."""
    secret = secret.strip()
    if not secret:
        return "missing"
    if len(secret) <= 24:
        return "..." + secret[-2:]
    return f"{secret[:8]}...{secret[-8:]}"


def short_duration(ms: int) -> str:
    """`10m`, `5h`, `30d`: minutes below an hour, hours below 48 h, then days."""
    minutes = max(1, round(ms / 60_000))
    if minutes < 60:
        return f"{minutes}m"
    hours = round(ms / 3_600_000)
    return f"{hours}h" if hours < 48 else f"{round(ms / 86_400_000)}d"


# models status


def _model_ref(value: Any) -> tuple[str | None, list[str] | None]:
    """A config model setting, either `"provider/model"` or `{primary, fallbacks}`."""
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, dict):
        primary = value.get("primary")
        fallbacks = value.get("fallbacks")
        return (
            primary.strip() if isinstance(primary, str) and primary.strip() else None,
            [f for f in fallbacks if isinstance(f, str)] if isinstance(fallbacks, list) else None,
        )
    return None, None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _agent_entry(config: Mapping[str, Any], agent_id: str) -> dict[str, Any]:
    entries = _dict(config.get("agents")).get("list")
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and paths.normalize_agent_id(str(entry.get("id", ""))) == agent_id:
            return entry
    return {}


def model_section(config: Mapping[str, Any], agent_id: str) -> dict[str, Any]:
    """`defaultModel` ... `allowed`: the agent's model settings, else the defaults', else CoderClaw's default."""
    defaults = _dict(_dict(config.get("agents")).get("defaults"))
    own_primary, own_fallbacks = _model_ref(_agent_entry(config, agent_id).get("model"))
    primary, fallbacks = _model_ref(defaults.get("model"))
    catalogue = _dict(defaults.get("models"))
    aliases = {
        str(entry["alias"]): key for key, entry in catalogue.items() if isinstance(entry, dict) and isinstance(entry.get("alias"), str)
    }
    default_model = own_primary or primary or DEFAULT_MODEL
    image, image_fallbacks = _model_ref(defaults.get("imageModel"))
    return {
        "defaultModel": default_model,
        "resolvedDefault": aliases.get(default_model, default_model),
        "fallbacks": own_fallbacks if own_fallbacks is not None else fallbacks or [],
        "imageModel": image,
        "imageFallbacks": image_fallbacks or [],
        "modelConfig": {
            "defaultSource": "agent" if own_primary else "defaults",
            "fallbacksSource": "agent" if own_fallbacks is not None else "defaults",
        },
        "aliases": aliases,
        "allowed": list(catalogue),
    }


def providers_in_use(models: Mapping[str, Any]) -> list[str]:
    """The providers of the default, fallback and image models: what CoderClaw counts as in use."""
    refs = [models["resolvedDefault"], *models["fallbacks"], models["imageModel"], *models["imageFallbacks"]]
    return sorted({ref.split("/", 1)[0] for ref in refs if isinstance(ref, str) and "/" in ref})


def _profile_health(entry: ProfileEntry, now_ms: int) -> dict[str, Any]:
    record = entry.record
    health: dict[str, Any] = {"profileId": entry.profile_id, "provider": entry.provider, "type": entry.kind}
    expiry = credentials.expires_ms(record)
    if entry.kind == "api_key" or (entry.kind == "token" and expiry is None):
        health["status"] = "static"
    elif expiry is None:
        health["status"] = "missing"
    else:
        remaining = expiry - now_ms
        status = "expired" if remaining <= 0 else "expiring" if remaining <= WARN_AFTER_MS else "ok"
        refresh = record.get("refresh")
        if entry.kind == "oauth" and isinstance(refresh, str) and refresh and status != "ok":
            status = "ok"  # CoderClaw's rule: a refresh token makes an expired OAuth profile "ok"
        health.update(status=status, expiresAt=expiry, remainingMs=remaining)
    email = record.get("email")
    health["source"] = "store"
    health["label"] = entry.profile_id + (f" ({email})" if isinstance(email, str) and email else "")
    return health


def _provider_health(provider: str, profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """CoderClaw's rule: API keys alone are `static`; otherwise the worst of the OAuth and token profiles (a
    token without expiry counts as `ok`), with the soonest expiry among them."""
    expirable = [p for p in profiles if p["type"] in ("oauth", "token")]
    statuses = {p["status"] for p in expirable}
    if not expirable:
        status = "static" if profiles else "missing"
    else:
        status = "expired" if statuses & {"expired", "missing"} else "expiring" if "expiring" in statuses else "ok"
    health: dict[str, Any] = {"provider": provider, "status": status, "profiles": profiles}
    expiries = [p for p in expirable if "expiresAt" in p]
    if expiries:
        soonest = min(expiries, key=lambda p: p["expiresAt"])
        health.update(expiresAt=soonest["expiresAt"], remainingMs=soonest["remainingMs"])
    return health


def _paused(usage: Any, now_ms: int) -> tuple[str, int, str | None] | None:
    """(kind, until, reason) while CoderClaw would skip the profile: `disabledUntil` or `cooldownUntil` ahead."""
    usage = _dict(usage)
    disabled, cooldown = usage.get("disabledUntil"), usage.get("cooldownUntil")
    disabled = int(disabled) if isinstance(disabled, (int, float)) and not isinstance(disabled, bool) else 0
    cooldown = int(cooldown) if isinstance(cooldown, (int, float)) and not isinstance(cooldown, bool) else 0
    if max(disabled, cooldown) <= now_ms:
        return None
    if disabled >= cooldown:
        reason = usage.get("disabledReason")
        return "disabled", disabled, reason if isinstance(reason, str) else None
    return "cooldown", cooldown, None


def _label(entry: ProfileEntry, usage: Any, now_ms: int) -> str:
    record = entry.record
    if entry.kind == "oauth":
        email = record.get("email")
        text = f"{entry.profile_id}=OAuth" + (f" ({email})" if isinstance(email, str) and email else "")
    elif entry.kind == "token":
        text = f"{entry.profile_id}=token:{mask(credentials.secret_of(record))}"
    else:
        text = f"{entry.profile_id}={mask(credentials.secret_of(record))}"
    paused = _paused(usage, now_ms)
    if paused is not None:
        kind, until, reason = paused
        tag = f"disabled:{reason}" if kind == "disabled" and reason else kind
        text += f" [{tag} {short_duration(until - now_ms)}]"
    return text


def auth_section(view: StoreView, in_use: Iterable[str], now_ms: int) -> dict[str, Any]:
    """CoderClaw's `auth` object of `models status --json`."""
    usable = [e for e in view.profiles.values() if e.problem is None]
    providers = sorted({e.provider for e in usable})
    by_provider = {p: [e for e in view.ordered_profiles(p) if e.problem is None] for p in providers}
    overview = []
    for provider in providers:
        entries = by_provider[provider]
        own = any(e.owner_agent == view.agent_id for e in entries)
        kinds = [e.kind for e in entries]
        overview.append(
            {
                "provider": provider,
                "effective": {"kind": "profiles", "detail": str(view.store_path if own else entries[0].store_path)},
                "profiles": {
                    "count": len(entries),
                    "oauth": kinds.count("oauth"),
                    "token": kinds.count("token"),
                    "apiKey": kinds.count("api_key"),
                    "labels": [_label(e, view.usage_stats.get(e.profile_id), now_ms) for e in entries],
                },
            }
        )
    missing = sorted(set(in_use) - set(providers))
    unusable = []
    for entry in sorted(usable, key=lambda e: e.profile_id):
        paused = _paused(view.usage_stats.get(entry.profile_id), now_ms)
        if paused is not None:
            kind, until, reason = paused
            item = {"profileId": entry.profile_id, "provider": entry.provider, "kind": kind, "until": until, "remainingMs": until - now_ms}
            if reason:
                item["reason"] = reason
            unusable.append(item)
    health = [_profile_health(e, now_ms) for e in sorted(usable, key=lambda e: e.profile_id)]
    return {
        "storePath": str(view.store_path),
        "shellEnvFallback": {"enabled": False, "appliedKeys": []},
        "providersWithOAuth": [
            f"{p} ({n})" for p in providers if (n := sum(k in ("oauth", "token") for k in (e.kind for e in by_provider[p])))
        ],
        "missingProvidersInUse": missing,
        "providers": overview,
        "unusableProfiles": unusable,
        "oauth": {
            "warnAfterMs": WARN_AFTER_MS,
            "profiles": health,
            "providers": [
                _provider_health(p, [h for h in health if h["provider"] == p]) for p in sorted({*providers, *missing})
            ],
        },
    }


# agents list


def agent_entry(
    agent_id: str, name: str | None, workspace: str, agent_dir: str, config: Mapping[str, Any]
) -> dict[str, Any]:
    """`{id, name?, workspace, agentDir, bindings, isDefault, routes?}`; `main` is the default agent (SPEC 1)."""
    bindings = config.get("bindings")
    count = sum(
        1
        for b in (bindings if isinstance(bindings, list) else ())
        if isinstance(b, dict) and paths.normalize_agent_id(str(b.get("agentId", ""))) == agent_id
    )
    entry: dict[str, Any] = {"id": agent_id}
    if name:
        entry["name"] = name
    is_default = agent_id == paths.DEFAULT_AGENT_ID
    entry.update(workspace=workspace, agentDir=agent_dir, bindings=count, isDefault=is_default)
    if is_default and count == 0:
        entry["routes"] = [NO_RULES_ROUTE]
    return entry
