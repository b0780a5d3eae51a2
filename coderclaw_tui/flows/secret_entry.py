"""`TokenPaste` and `ApiKeyEntry`: the two login methods that are a pasted secret, checked as it is typed."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from coderclaw_tui import paths
from coderclaw_tui.core.config import read_config
from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.errors import CoderclawError, UsageError
from coderclaw_tui.core.profile_ids import check_profile_id
from coderclaw_tui.core.secret_input import (
    SecretInputError,
    normalize_api_key,
    normalize_token,
    slug_profile_name,
    validate_setup_token,
)
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.providers.catalogue import AuthMethod, Provider, resolve_provider
from coderclaw_tui.providers.config_entry import distinct_id, entry_in_patch, keep_items
from coderclaw_tui.providers.config_patch import fill
from coderclaw_tui.providers.specs import ApiField, ApiKeySpec

_ENDPOINT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SUBSCRIPTION_NOTE = (
    "Setup-tokens belong to a Claude subscription and are meant for Anthropic's own apps; "
    "an Anthropic API key (pay-as-you-go) is the supported alternative."
)


PASTE_TOKEN_METHOD = AuthMethod("token", "Paste a token", "token")


def paste_token_provider(raw: str) -> Provider:
    """The provider a pasted token is for (`paste-token`, piped or on a terminal): one whose sign-in is a pasted
    secret, a setup-token or an API key (CoderClaw's `paste-token` stores either as a token). An unknown id is
    refused with the known ones; a provider signed in only through a browser or a device code, naming those."""
    provider = resolve_provider(raw)
    kinds = {method.kind for method in provider.methods}
    if "token" in kinds:
        return provider
    if "api-key" in kinds:
        return provider._replace(methods=(PASTE_TOKEN_METHOD, *provider.methods))
    offers = ", ".join(method.label for method in provider.methods)
    raise UsageError(
        f"{provider.label} has no token to paste (it offers: {offers}); "
        f"run `coderclaw models auth login --provider {provider.id}` instead."
    )


def paste_token_target(raw_provider: str, raw_profile_id: str | None) -> tuple[Provider, str]:
    """`paste-token`'s provider and profile id (default `<provider>:manual`), checked before anything is read."""
    provider = paste_token_provider(raw_provider)
    profile_id = check_profile_id((raw_profile_id or f"{provider.id}:manual").strip(), provider.id)
    return provider, profile_id


def problem_with(check: object, text: str) -> str | None:
    """Run a validator for live feedback: None when the text is fine, else the sentence to show."""
    try:
        check(text)  # type: ignore[operator]
    except SecretInputError as exc:
        return str(exc)
    return None


@dataclass
class TokenPaste:
    """A pasted token: Anthropic's setup-token (strictly checked) or a provider's static token."""

    provider: str

    @property
    def is_setup_token(self) -> bool:
        return self.provider == "anthropic"

    def normalize(self, text: str) -> str:
        return validate_setup_token(text) if self.is_setup_token else normalize_token(text)

    def problem(self, text: str) -> str | None:
        return problem_with(self.normalize, text)

    def finish(self, text: str, name: str = "", expires_ms: int | None = None) -> LoginResult:
        try:
            token = self.normalize(text)
        except SecretInputError as exc:
            raise LoginError(str(exc)) from None
        credential: dict[str, object] = {"type": "token", "provider": self.provider, "token": token}
        if expires_ms is not None:
            credential["expires"] = expires_ms
        return LoginResult(
            provider=self.provider,
            credential=credential,
            suggested_profile_id=f"{self.provider}:{slug_profile_name(name)}",
            identity=None,
            expires_ms=expires_ms,
        )


@dataclass(frozen=True)
class EnvKeyOffer:
    """An API key already in the environment, offered instead of pasting one."""

    variable: str
    preview: str


class ApiKeyEntry:
    """An API key, typed or taken from an environment variable the provider is known by."""

    def __init__(self, provider: Provider, env: Mapping[str, str] | None = None) -> None:
        self.provider = provider
        self.env = os.environ if env is None else env

    def env_offer(self) -> EnvKeyOffer | None:
        for variable in self.provider.env_vars:
            value = self.env.get(variable, "").strip()
            if value:
                return EnvKeyOffer(variable, mask_secret(value))
        return None

    @property
    def spec(self) -> ApiKeySpec:
        method = next((m for m in self.provider.methods if m.kind == "api-key"), None)
        spec = method.spec if method is not None else None
        return spec if isinstance(spec, ApiKeySpec) else ApiKeySpec()

    def problem(self, text: str) -> str | None:
        return problem_with(normalize_api_key, text)

    def field_problem(self, field: ApiField, value: str) -> str | None:
        """What is wrong with an extra field's value, in one sentence; None when it is fine."""
        value = value.strip()
        if not value:
            return f"{field.label} is required." if field.required else None
        if field.kind == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return f"{field.label} must be an http:// or https:// URL, like {field.default or 'https://host/v1'}."
        elif field.kind == "choice" and value not in dict(field.choices):
            return f"{field.label} must be one of: {', '.join(dict(field.choices))}."
        elif field.kind == "id" and not _ENDPOINT_ID.fullmatch(value):
            return f"{field.label} may use only lower-case letters, digits and dashes, like custom-localhost-11434."
        elif any(c.isspace() or ord(c) < 32 for c in value):
            return f"{field.label} cannot contain spaces or control characters."
        return None

    def finish(self, text: str | None, name: str = "", fields: Mapping[str, str] | None = None) -> LoginResult:
        """From the pasted `text`, or from the offered environment variable when `text` is None; `fields` are the
        method's extra fields (base URL, model id, account and gateway ids)."""
        spec = self.spec
        values = {f.name: (fields or {}).get(f.name, f.default).strip() for f in spec.fields}
        for field in spec.fields:
            problem = self.field_problem(field, values[field.name])
            if problem:
                raise LoginError(problem)
        if field_url := values.get("baseUrl"):
            values["baseUrl"] = field_url.rstrip("/")
        if spec.fixed_key:
            text = spec.fixed_key
        if text is None:
            offer = self.env_offer()
            if offer is None:
                raise LoginError("No API key is set in the environment; paste one instead.")
            text = self.env[offer.variable]
        key = ""
        if text.strip() or spec.key_required:
            try:
                key = normalize_api_key(text)
            except SecretInputError as exc:
                raise LoginError(str(exc)) from None
        credential: dict[str, object] = {"type": "api_key", "provider": self.provider.id, "key": key}
        metadata = {name: values[name] for name in spec.metadata}
        if metadata:
            credential["metadata"] = metadata
        config = self._config() if spec.entry is not None else {}
        note = self._place_entry(values, config) if spec.entry is not None else ""
        patch = fill(spec.config, {**values, "key": key}) if spec.config is not None else None
        if patch is not None and spec.entry is not None and spec.entry.keep_items:
            own = entry_in_patch(patch, spec.entry, values[spec.entry.id_field])
            if own is not None:
                items = own.get(spec.entry.keep_items)
                own[spec.entry.keep_items] = keep_items(
                    config, spec.entry, values[spec.entry.id_field], items if isinstance(items, list) else []
                )
        return LoginResult(
            provider=self.provider.id,
            credential=credential,
            suggested_profile_id=f"{self.provider.id}:{slug_profile_name(name)}",
            identity=None,
            expires_ms=None,
            config_patch=patch,
            env_file=(spec.env_file_var, key) if spec.env_file_var else None,
            saves_profile=spec.store == "profile",
            note=note,
        )

    def _config(self) -> dict[str, Any]:
        """The config as it is now; one that cannot be read counts as empty here (saving reports it)."""
        try:
            return read_config(paths.config_path(self.env))
        except (CoderclawError, OSError):
            return {}

    def _place_entry(self, values: dict[str, str], config: Mapping[str, Any]) -> str:
        """Give the login's config entry an id no other entry holds for something else; say so when it changed."""
        entry = self.spec.entry
        assert entry is not None
        wanted = values[entry.id_field]
        values[entry.id_field] = distinct_id(config, entry, wanted, values.get(entry.same_if, ""))
        if values[entry.id_field] == wanted:
            return ""
        return (
            f"{wanted} is already the id of an entry with another {entry.same_if}, so this one is saved as "
            f"{values[entry.id_field]} (nothing existing is changed)."
        )
