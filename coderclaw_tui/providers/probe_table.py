"""The cheapest request that proves a stored credential works, per provider and credential type (SPEC 7).

Data, not code: the probe engine (`core.probes`) reads these rows. Every request here is free (a listing, a usage
or identity endpoint): never a model call, never a refresh. A provider without a row is reported, not probed,
unless its config entry (`models.providers.<id>`) names an OpenAI- or Anthropic-compatible base URL.

Every row's base URL can be pointed elsewhere (tests, proxies) with `$CODERCLAW_<PROVIDER>_API_BASE`, the provider
id upper-cased with `-` and `.` as `_` (e.g. `CODERCLAW_OPENAI_CODEX_API_BASE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from coderclaw_tui.providers.specs import provider_env_var


class ProbeSpec(NamedTuple):
    """One free request. `{secret}` in `auth_value` is the key, token or access token."""

    base_url: str
    path: str
    method: str = "GET"
    auth_header: str = "Authorization"
    auth_value: str = "Bearer {secret}"
    headers: tuple[tuple[str, str], ...] = ()
    record_headers: tuple[tuple[str, str], ...] = ()
    """(header, credential field): values copied from the stored record, e.g. Codex's account id."""
    json_body: Any = None
    status_overrides: tuple[tuple[int, str], ...] = ()
    """HTTP statuses this endpoint uses differently from the usual meaning, e.g. xAI's 400 for a bad key."""
    ok_markers: tuple[tuple[int, str], ...] = ()
    """(status, marker): an answer with this status whose body contains the marker still proves the credential
    authenticated (Anthropic's usage endpoint answers 403 "scope requirement user:profile" to setup-tokens)."""


_BEARER_JSON = (("Accept", "application/json"),)
_ANTHROPIC = "https://api.anthropic.com"
_ANTHROPIC_VERSION = ("anthropic-version", "2023-06-01")

PROBES: dict[str, dict[str, ProbeSpec]] = {
    "openai": {"api_key": ProbeSpec("https://api.openai.com/v1", "/models")},
    "anthropic": {
        "api_key": ProbeSpec(_ANTHROPIC, "/v1/models", auth_header="x-api-key", auth_value="{secret}", headers=(_ANTHROPIC_VERSION,)),
        "token": ProbeSpec(
            _ANTHROPIC,
            "/api/oauth/usage",
            headers=(_ANTHROPIC_VERSION, ("anthropic-beta", "oauth-2025-04-20"), *_BEARER_JSON),
            ok_markers=((403, "user:profile"),),
        ),
    },
    "openai-codex": {
        "oauth": ProbeSpec(
            "https://chatgpt.com/backend-api", "/wham/usage", headers=_BEARER_JSON, record_headers=(("ChatGPT-Account-Id", "accountId"),)
        )
    },
    "google": {"api_key": ProbeSpec("https://generativelanguage.googleapis.com/v1beta", "/models", auth_header="x-goog-api-key", auth_value="{secret}")},
    "google-gemini-cli": {
        "oauth": ProbeSpec("https://cloudcode-pa.googleapis.com", "/v1internal:retrieveUserQuota", method="POST", json_body={})
    },
    "openrouter": {"api_key": ProbeSpec("https://openrouter.ai/api/v1", "/key")},
    "github-copilot": {
        "token": ProbeSpec(
            "https://api.github.com",
            "/copilot_internal/user",
            auth_value="token {secret}",
            headers=(
                ("Editor-Version", "vscode/1.96.2"),
                ("User-Agent", "GitHubCopilotChat/0.26.7"),
                ("X-Github-Api-Version", "2025-04-01"),
                *_BEARER_JSON,
            ),
        )
    },
    "xai": {"api_key": ProbeSpec("https://api.x.ai/v1", "/api-key", status_overrides=((400, "auth"),))},
    "mistral": {"api_key": ProbeSpec("https://api.mistral.ai/v1", "/models")},
    "groq": {"api_key": ProbeSpec("https://api.groq.com/openai/v1", "/models")},
    "minimax": {"api_key": ProbeSpec("https://api.minimaxi.com", "/v1/api/openplatform/coding_plan/remains")},
    "zai": {"api_key": ProbeSpec("https://api.z.ai", "/api/monitor/usage/quota/limit")},
}

_COMPATIBLE_APIS: dict[str, ProbeSpec] = {
    "openai-completions": ProbeSpec("", "/models"),
    "anthropic-messages": ProbeSpec("", "/v1/models", auth_header="x-api-key", auth_value="{secret}", headers=(_ANTHROPIC_VERSION,)),
}
"""Probes for endpoints the user configured (custom, vLLM, LiteLLM, gateways), by the config's `api` field."""


def base_url_variable(provider: str) -> str:
    return provider_env_var("CODERCLAW_{}_API_BASE", provider)


def probe_spec(provider: str, mode: str, env: Mapping[str, str], config: Mapping[str, Any]) -> ProbeSpec | None:
    """The probe for one credential: the table's row, else one derived from the config's provider entry."""
    spec = PROBES.get(provider, {}).get(mode)
    if spec is None and mode in ("api_key", "token"):
        spec = _from_config(provider, config)
    if spec is None:
        return None
    override = env.get(base_url_variable(provider), "").strip()
    return spec._replace(base_url=override.rstrip("/")) if override else spec


def _from_config(provider: str, config: Mapping[str, Any]) -> ProbeSpec | None:
    models = config.get("models")
    providers = models.get("providers") if isinstance(models, dict) else None
    entry = providers.get(provider) if isinstance(providers, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("baseUrl"), str):
        return None
    spec = _COMPATIBLE_APIS.get(str(entry.get("api")))
    base = entry["baseUrl"].strip().rstrip("/")
    return spec._replace(base_url=base) if spec and base.startswith(("http://", "https://")) else None
