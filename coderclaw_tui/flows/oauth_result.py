"""What both OAuth engines do once a token answer is in hand: the stored record in CoderClaw's shape, read from
the method's spec (expiry rule, identity, extra fields, Google's project discovery, the config patch)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from coderclaw_tui.auth.paste_parser import safe_error_name
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.providers.clients import first_env
from coderclaw_tui.providers.config_patch import fill
from coderclaw_tui.providers.specs import (
    ConfigPatch,
    DeviceSpec,
    OAuthClient,
    PkceSpec,
    ProjectDiscovery,
    endpoint,
    with_origin,
)
from coderclaw_tui.providers.token_response import parse_token_response

REQUEST_TIMEOUT = 30.0
GOOGLE_HEADERS = {"User-Agent": "google-api-nodejs-client/9.15.1", "X-Goog-Api-Client": "gl-node/coderclaw"}
CODE_ASSIST_METADATA = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


class OAuthFinisher:
    """Turns a token answer into a `LoginResult` for one provider and method."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        provider_id: str,
        spec: PkceSpec | DeviceSpec,
        client: OAuthClient,
        *,
        env: Mapping[str, str],
        url: Any,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http, self._provider, self._spec, self._client, self._env = http, provider_id, spec, client, env
        self._sleep = sleep
        self._url = url
        """The engine's URL resolver (the issuer override applied)."""

    async def finish(self, answer: dict[str, Any], now_ms: int) -> LoginResult:
        spec, host = self._spec, host_of(self._url(self._token_url()))
        try:
            fields = parse_token_response(
                answer, now_ms=now_ms, expiry=spec.expiry, openai_jwt=spec.identity.kind == "openai-jwt"
            )
        except ValueError as exc:
            raise LoginError(f"{host} sent an unusable answer ({exc}); start the login again.") from None
        if "refresh" not in fields:
            raise LoginError(f"{host} sent no refresh token, so this login could not be kept fresh; start it again.")
        if spec.identity.kind == "userinfo":
            fields.update(await self._userinfo(fields["access"]))
        if isinstance(spec, PkceSpec):
            for field, key in spec.extra_answer_fields:
                if answer.get(key) is not None:
                    fields[field] = answer[key]
            if spec.client.stored_field:
                fields[spec.client.stored_field] = self._client.client_id
            if spec.project is not None:
                fields["projectId"] = await self._discover_project(spec.project, fields["access"])
        credential: dict[str, Any] = {"type": "oauth", "provider": self._provider, **fields}
        email = fields.get("email") if isinstance(fields.get("email"), str) else None
        name = spec.profile_name or email or "default"
        return LoginResult(
            self._provider,
            credential,
            f"{self._provider}:{name}",
            email or fields.get("accountId"),
            fields["expires"],
            config_patch=self._config(spec.config, answer),
        )

    def _token_url(self) -> str:
        return self._spec.token_url or (self._spec.poll_url if isinstance(self._spec, DeviceSpec) else "")

    def _config(self, patch: ConfigPatch | None, answer: dict[str, Any]) -> dict[str, Any] | None:
        return fill(patch, {}, answer) if patch is not None else None

    async def _userinfo(self, access: str) -> dict[str, Any]:
        """The account's name and id; a failure leaves them out (the login itself worked), as CoderClaw does."""
        identity = self._spec.identity
        try:
            response = await self._http.get(
                self._url(identity.userinfo_url),
                headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            )
        except httpx.HTTPError:
            return {}
        info = json_object(response) if response.status_code == 200 else {}
        return {
            field: info[key] for field, key in identity.fields if isinstance(info.get(key), str) and info[key].strip()
        }

    async def _discover_project(self, project: ProjectDiscovery, access: str) -> str:
        """Google Code Assist's project for this account: the current tier's, else onboard to the default tier."""
        env_project = first_env(project.env_project, self._env)
        headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json", **GOOGLE_HEADERS}
        base = self._url(project.base_url)
        load_body: dict[str, Any] = {"metadata": dict(CODE_ASSIST_METADATA)}
        if env_project:
            load_body["cloudaicompanionProject"] = env_project
            load_body["metadata"]["duetProject"] = env_project
        status, loaded = await self._post_json(f"{base}/v1internal:loadCodeAssist", load_body, headers)
        if status != 200:
            reasons = [d.get("reason") for d in _error_details(loaded)]
            if "SECURITY_POLICY_VIOLATED" not in reasons:
                raise LoginError(f"Google's loadCodeAssist failed (HTTP {status}); try again later.")
            loaded = {"currentTier": {"id": "standard-tier"}}
        if loaded.get("currentTier"):
            found = _project_id(loaded.get("cloudaicompanionProject")) or env_project
            if not found:
                raise LoginError("This account requires GOOGLE_CLOUD_PROJECT or GOOGLE_CLOUD_PROJECT_ID to be set.")
            return found
        tiers = loaded.get("allowedTiers") if isinstance(loaded.get("allowedTiers"), list) else []
        default = next((t for t in tiers if isinstance(t, dict) and t.get("isDefault")), {"id": "legacy-tier"})
        tier_id = default.get("id") or "free-tier"
        onboard: dict[str, Any] = {"tierId": tier_id, "metadata": dict(CODE_ASSIST_METADATA)}
        if tier_id != "free-tier":
            if not env_project:
                raise LoginError(f"The {safe_error_name(tier_id)} tier needs GOOGLE_CLOUD_PROJECT set; set it and log in again.")
            onboard["cloudaicompanionProject"] = env_project
            onboard["metadata"]["duetProject"] = env_project
        status, operation = await self._post_json(f"{base}/v1internal:onboardUser", onboard, headers)
        if status != 200:
            raise LoginError(f"Google's onboardUser failed (HTTP {status}); try again later.")
        polls = 0
        while not operation.get("done") and isinstance(operation.get("name"), str) and polls < project.max_polls:
            polls += 1
            await self._sleep(project.poll_interval_s)
            status, answer = await self._get_json(f"{base}/v1internal/{operation['name']}", headers)
            if status == 200:
                operation = answer
        response = operation.get("response") if isinstance(operation.get("response"), dict) else {}
        found = _project_id(response.get("cloudaicompanionProject")) or env_project
        if not found:
            raise LoginError(
                "Could not discover or provision a Google Cloud project. Set GOOGLE_CLOUD_PROJECT or "
                "GOOGLE_CLOUD_PROJECT_ID."
            )
        return found

    async def _post_json(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            response = await self._http.post(url, json=body, headers=headers, timeout=REQUEST_TIMEOUT)
        except httpx.HTTPError as exc:
            raise LoginError(f"Could not reach {host_of(url)} ({type(exc).__name__}); try again.") from exc
        return response.status_code, json_object(response)

    async def _get_json(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            response = await self._http.get(url, headers=headers, timeout=REQUEST_TIMEOUT)
        except httpx.HTTPError:
            return 0, {}
        return response.status_code, json_object(response)


def _error_details(body: dict[str, Any]) -> list[dict[str, Any]]:
    error = body.get("error")
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _project_id(value: Any) -> str | None:
    """`cloudaicompanionProject` is a string or `{"id": ...}`."""
    if isinstance(value, dict):
        value = value.get("id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def resolve_url(provider_id: str, env: Mapping[str, str], issuer: str | None) -> Any:
    """A URL resolver for an engine: an explicit `issuer` origin wins, else `$CODERCLAW_<PROVIDER>_ISSUER`."""
    if issuer:
        return lambda url: with_origin(url, issuer)
    return lambda url: endpoint(url, provider_id, env)
