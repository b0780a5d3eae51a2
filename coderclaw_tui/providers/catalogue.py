"""The providers coderclaw can log in to, as data, plus plugins from the `coderclaw.providers` entry points.

A plugin's entry point names a `Provider` (or a zero-argument callable returning one or a list of them).
Plugins are only loaded when a built-in id does not match, so the token path stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

from coderclaw_tui.core.errors import UsageError

MethodKind = Literal["oauth-pkce", "device-code", "token", "api-key"]
ENTRY_POINT_GROUP = "coderclaw.providers"

OPENAI_CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
OPENAI_CODEX_DEFAULT_ISSUER = "https://auth.openai.com"
OPENAI_CODEX_CALLBACK_PORT = 1455
"""The loopback port OpenAI's client registration redirects to (`http://localhost:1455/auth/callback`)."""
OPENAI_CODEX_FALLBACK_PORT = 1457
"""Tried when 1455 is taken by another program."""
ANTHROPIC_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
GITHUB_BASE_URL = "https://github.com"


def openai_codex_issuer(env: Mapping[str, str] | None = None) -> str:
    """`$CODERCLAW_OPENAI_CODEX_ISSUER` points every OpenAI request (authorize, token, refresh) elsewhere."""
    env = os.environ if env is None else env
    return (env.get("CODERCLAW_OPENAI_CODEX_ISSUER") or OPENAI_CODEX_DEFAULT_ISSUER).rstrip("/")


class AuthMethod(NamedTuple):
    id: str
    label: str
    kind: MethodKind
    hint: str = ""


class RefreshSpec(NamedTuple):
    """How a provider's OAuth tokens are refreshed."""

    client_id: str
    token_path: str
    issuer: str = ""
    """Fixed issuer; empty means the provider's issuer comes from `issuer_env`."""
    body: Literal["form", "json"] = "form"
    margin_ms: int = 0
    """Subtracted from `expires_in` when storing `expires` (Anthropic stores 5 minutes early)."""

    def token_url(self, env: Mapping[str, str] | None = None) -> str:
        return (self.issuer or openai_codex_issuer(env)) + self.token_path


class Provider(NamedTuple):
    """A provider and how to log in to it. A NamedTuple, not a dataclass: the catalogue sits on the path of the
    scriptable commands, and importing dataclasses costs more than the whole catalogue."""

    id: str
    label: str
    methods: tuple[AuthMethod, ...]
    group: str = "Other"
    aliases: tuple[str, ...] = ()
    env_vars: tuple[str, ...] = ()
    """Environment variables whose value the API-key step offers to use."""
    refresh: RefreshSpec | None = None
    docs: str = ""
    plugin: str | None = None
    """The entry point a plugin provider came from; None for built-ins."""

    def method(self, method_id: str | None) -> AuthMethod:
        if not method_id:
            return self.methods[0]
        for method in self.methods:
            if method.id == method_id or method.kind == method_id:
                return method
        known = ", ".join(m.id for m in self.methods)
        raise UsageError(f'{self.label} has no login method "{method_id}"; choose one of: {known}.')


def _api_key(label: str = "API key", hint: str = "") -> AuthMethod:
    return AuthMethod("api-key", label, "api-key", hint)


BUILTIN_PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "openai-codex",
        "OpenAI Codex (ChatGPT subscription)",
        (AuthMethod("oauth", "Sign in with ChatGPT", "oauth-pkce", "browser login; works over SSH too"),),
        group="OpenAI",
        aliases=("codex", "chatgpt"),
        refresh=RefreshSpec(OPENAI_CODEX_CLIENT_ID, "/oauth/token"),
    ),
    Provider(
        "openai",
        "OpenAI API",
        (_api_key(hint="pay-as-you-go key from platform.openai.com"),),
        group="OpenAI",
        env_vars=("OPENAI_API_KEY",),
    ),
    Provider(
        "anthropic",
        "Anthropic (Claude)",
        (
            AuthMethod("setup-token", "Claude subscription (setup-token)", "token", "run `claude setup-token`, paste the result"),
            _api_key(hint="pay-as-you-go key from console.anthropic.com"),
        ),
        group="Anthropic",
        aliases=("claude",),
        env_vars=("ANTHROPIC_API_KEY",),
        refresh=RefreshSpec(
            ANTHROPIC_OAUTH_CLIENT_ID, "/v1/oauth/token", issuer="https://console.anthropic.com", body="json", margin_ms=300_000
        ),
    ),
    Provider(
        "github-copilot",
        "GitHub Copilot",
        (AuthMethod("device", "GitHub device login", "device-code", "enter a short code at github.com/login/device"),),
        group="GitHub",
        aliases=("copilot",),
    ),
    Provider("google", "Google Gemini API", (_api_key(),), group="Google", aliases=("gemini",), env_vars=("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    Provider("openrouter", "OpenRouter", (_api_key(),), env_vars=("OPENROUTER_API_KEY",)),
    Provider("xai", "xAI (Grok)", (_api_key(),), env_vars=("XAI_API_KEY",)),
    Provider("mistral", "Mistral", (_api_key(),), env_vars=("MISTRAL_API_KEY",)),
    Provider("groq", "Groq", (_api_key(),), env_vars=("GROQ_API_KEY",)),
    Provider("moonshot", "Moonshot (Kimi)", (_api_key(),), env_vars=("MOONSHOT_API_KEY",)),
    Provider("zai", "Z.AI (GLM)", (_api_key(),), aliases=("z.ai", "z-ai"), env_vars=("ZAI_API_KEY",)),
    Provider("kimi-coding", "Kimi Coding", (_api_key(),), aliases=("kimi-code",), env_vars=("KIMI_API_KEY",)),
    Provider("opencode", "OpenCode Zen", (_api_key(),), aliases=("opencode-zen",), env_vars=("OPENCODE_API_KEY",)),
    Provider("venice", "Venice", (_api_key(),), env_vars=("VENICE_API_KEY",)),
)


def normalize_provider_id(raw: str) -> str:
    return raw.strip().lower()


def _match(providers: Iterable[Provider], wanted: str) -> Provider | None:
    for provider in providers:
        if wanted == provider.id or wanted in provider.aliases:
            return provider
    return None


def plugin_providers() -> list[Provider]:
    """Providers from installed plugins; a broken plugin is skipped, not fatal."""
    from importlib.metadata import entry_points

    found: list[Provider] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
            loaded = loaded() if callable(loaded) and not isinstance(loaded, Provider) else loaded
        except Exception:  # a plugin's own bug must not break logins to other providers
            continue
        for provider in [loaded] if isinstance(loaded, Provider) else loaded if isinstance(loaded, (list, tuple)) else []:
            if isinstance(provider, Provider) and provider.methods:
                found.append(provider._replace(plugin=point.name))
    return found


def all_providers() -> list[Provider]:
    builtin_ids = {p.id for p in BUILTIN_PROVIDERS}
    return list(BUILTIN_PROVIDERS) + [p for p in plugin_providers() if p.id not in builtin_ids]


def builtin_provider_id(raw: str) -> str:
    """The built-in provider an id or alias names (`codex` is openai-codex); any other id, normalised. No plugins
    are loaded, so a script asking for a token does not pay for scanning entry points."""
    wanted = normalize_provider_id(raw)
    provider = _match(BUILTIN_PROVIDERS, wanted)
    return provider.id if provider else wanted


def find_provider(raw: str) -> Provider | None:
    wanted = normalize_provider_id(raw)
    return _match(BUILTIN_PROVIDERS, wanted) or _match(plugin_providers(), wanted)


def resolve_provider(raw: str) -> Provider:
    """The provider for an id or alias; an unknown one is a usage error that lists the known ids."""
    provider = find_provider(raw)
    if provider is None:
        known = ", ".join(p.id for p in all_providers())
        raise UsageError(f'Unknown provider "{raw}". Known providers: {known}.')
    return provider
