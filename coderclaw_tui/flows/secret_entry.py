"""`TokenPaste` and `ApiKeyEntry`: the two login methods that are a pasted secret, checked as it is typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.errors import UsageError
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

    def problem(self, text: str) -> str | None:
        return problem_with(normalize_api_key, text)

    def finish(self, text: str | None, name: str = "") -> LoginResult:
        """From the pasted `text`, or from the offered environment variable when `text` is None."""
        if text is None:
            offer = self.env_offer()
            if offer is None:
                raise LoginError("No API key is set in the environment; paste one instead.")
            text = self.env[offer.variable]
        try:
            key = normalize_api_key(text)
        except SecretInputError as exc:
            raise LoginError(str(exc)) from None
        return LoginResult(
            provider=self.provider.id,
            credential={"type": "api_key", "provider": self.provider.id, "key": key},
            suggested_profile_id=f"{self.provider.id}:{slug_profile_name(name)}",
            identity=None,
            expires_ms=None,
        )
