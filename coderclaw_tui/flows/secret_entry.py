"""`TokenPaste` and `ApiKeyEntry`: the two login methods that are a pasted secret, checked as it is typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.secret_input import (
    SecretInputError,
    normalize_api_key,
    normalize_token,
    slug_profile_name,
    validate_setup_token,
)
from coderclaw_tui.flows.events import LoginError, LoginResult
from coderclaw_tui.providers.catalogue import Provider

SUBSCRIPTION_NOTE = (
    "Setup-tokens belong to a Claude subscription and are meant for Anthropic's own apps; "
    "an Anthropic API key (pay-as-you-go) is the supported alternative."
)


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
