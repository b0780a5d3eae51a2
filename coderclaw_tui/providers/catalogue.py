"""The providers coderclaw can log in to, as data, plus plugins from the `coderclaw.providers` entry points.

A plugin's entry point names a `Provider` (or a zero-argument callable returning one or a list of them).
Plugins are only loaded when a built-in id does not match, so the token path stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.providers.specs import (
    ApiField,
    ApiKeySpec,
    BaseUrlRule,
    ClientSpec,
    ConfigEntry,
    ConfigPatch,
    DeviceSpec,
    ExpiryRule,
    IdentitySpec,
    ModelDiscovery,
    PkceSpec,
    ProjectDiscovery,
    endpoint,
)

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
GITHUB_CLIENT_ID = "Iv1.b507a08c87ecfe98"
QWEN_CLIENT_ID = "f0304373b74a44d2b584a3fb70ca9e56"
MINIMAX_CLIENT_ID = "78257093-7e40-4613-99e0-527b14b39113"
MINIMAX_USER_CODE_GRANT = "urn:ietf:params:oauth:grant-type:user_code"
GOOGLE_USERINFO_URL = "https://www.googleapis.com/oauth2/v1/userinfo?alt=json"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GEMINI_CLI_CLIENT = ClientSpec(
    id_env=("CODERCLAW_GEMINI_OAUTH_CLIENT_ID", "GEMINI_CLI_OAUTH_CLIENT_ID"),
    secret_env=("CODERCLAW_GEMINI_OAUTH_CLIENT_SECRET", "GEMINI_CLI_OAUTH_CLIENT_SECRET"),
    discover="gemini-cli",
    ask=True,
    placeholder="123456-abc.apps.googleusercontent.com",
    help="Found in an installed Gemini CLI (npm install -g @google/gemini-cli), or set GEMINI_CLI_OAUTH_CLIENT_ID.",
)
CHUTES_CLIENT = ClientSpec(
    id_env=("CHUTES_CLIENT_ID",),
    secret_env=("CHUTES_CLIENT_SECRET",),
    ask=True,
    placeholder="cid_xxx",
    help="Register your own Chutes OAuth app (chutes.ai/docs/sign-in-with-chutes/overview) with the redirect below.",
    stored_field="clientId",
)
GEMINI_CLI_WARNING = (
    "Google ended Gemini CLI's consumer \"Login with Google\" on 2026-06-18: personal accounts are refused "
    "(UNSUPPORTED_CLIENT); Workspace and paid Code Assist tiers may still work. This is an unofficial flow, not "
    "endorsed by Google, and users report restricted or suspended accounts. Continue only if you accept that risk."
)
QWEN_WARNING = (
    "Qwen discontinued its free OAuth tier on 2026-04-15 and may refuse new device logins; a Qwen portal API key "
    "is the supported alternative."
)


def openai_codex_issuer(env: Mapping[str, str] | None = None) -> str:
    """`$CODERCLAW_OPENAI_CODEX_ISSUER` points every OpenAI request (authorize, token, refresh) elsewhere."""
    return endpoint(OPENAI_CODEX_DEFAULT_ISSUER, "openai-codex", env).rstrip("/")


class AuthMethod(NamedTuple):
    id: str
    label: str
    kind: MethodKind
    hint: str = ""
    spec: PkceSpec | DeviceSpec | ApiKeySpec | None = None
    """The protocol facts the engine reads; a method without one cannot start an OAuth login."""
    warning: str = ""
    """Shown, and acknowledged, before the login starts (terms of service, account risk, a discontinued tier)."""


class RefreshSpec(NamedTuple):
    """How a provider's OAuth tokens are refreshed (SPEC 4); the endpoint honours `$CODERCLAW_<PROVIDER>_ISSUER`."""

    token_url: str
    client: ClientSpec
    body: Literal["form", "json"] = "form"
    expiry: ExpiryRule = ExpiryRule()
    openai_jwt: bool = False
    terminal_statuses: tuple[int, ...] = (401,)
    """HTTP statuses that mean the refresh token is dead (Qwen answers 400 for an expired or revoked one)."""

    def url(self, provider_id: str, env: Mapping[str, str] | None = None) -> str:
        return endpoint(self.token_url, provider_id, env)

    def payload(self, record: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The refresh grant, sent with the client that issued the token (remembered in the record, else
        resolved as at login); ValueError when no client can be found."""
        from coderclaw_tui.providers.clients import resolve_client

        stored = record.get(self.client.stored_field) if self.client.stored_field else None
        client = resolve_client(self.client, env, stored=stored if isinstance(stored, str) else None)
        if client is None:
            names = " or ".join(self.client.id_env) or "a client id"
            raise ValueError(f"no OAuth client id to refresh with; set {names} or log in again")
        payload = {"grant_type": "refresh_token", "refresh_token": str(record["refresh"]), "client_id": client.client_id}
        if client.secret:
            payload["client_secret"] = client.secret
        return payload

    def read(self, body: dict[str, Any], now_ms: int, record: Mapping[str, Any]) -> dict[str, Any]:
        """The fields a successful answer updates; ValueError names what is missing or malformed."""
        from coderclaw_tui.providers.token_response import parse_token_response

        fresh = parse_token_response(body, now_ms=now_ms, expiry=self.expiry, openai_jwt=self.openai_jwt)
        if self.client.stored_field and record.get(self.client.stored_field):
            fresh[self.client.stored_field] = record[self.client.stored_field]
        return fresh


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


def _api_key(label: str = "API key", hint: str = "", spec: ApiKeySpec | None = None) -> AuthMethod:
    return AuthMethod("api-key", label, "api-key", hint, spec)


def _key(provider_id: str, label: str, env_var: str, group: str = "", **extra: Any) -> Provider:
    """A provider whose only sign-in is a plain API key stored as `<id>:default`."""
    return Provider(provider_id, label, (_api_key(),), group=group or label, env_vars=(env_var,), **extra)


def _models(*models: Mapping[str, Any]) -> list[dict[str, Any]]:
    zero = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}
    return [{"reasoning": False, "input": ["text"], "cost": zero, **m} for m in models]


CODEX_OAUTH = PkceSpec(
    authorize_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/oauth/authorize",
    token_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/oauth/token",
    client=ClientSpec(OPENAI_CODEX_CLIENT_ID),
    scopes=("openid", "profile", "email", "offline_access"),
    extra_params=(("id_token_add_organizations", "true"), ("codex_cli_simplified_flow", "true"), ("originator", "coderclaw")),
    callback_port=OPENAI_CODEX_CALLBACK_PORT,
    fallback_port=OPENAI_CODEX_FALLBACK_PORT,
    identity=IdentitySpec("openai-jwt"),
)
CODEX_DEVICE = DeviceSpec(
    "codex",
    code_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/api/accounts/deviceauth/usercode",
    poll_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/api/accounts/deviceauth/token",
    client=ClientSpec(OPENAI_CODEX_CLIENT_ID),
    verification_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/codex/device",
    token_url=f"{OPENAI_CODEX_DEFAULT_ISSUER}/oauth/token",
    exchange_redirect_uri=f"{OPENAI_CODEX_DEFAULT_ISSUER}/deviceauth/callback",
    lifetime_s=900.0,
    identity=IdentitySpec("openai-jwt"),
    not_enabled_hint=(
        "Device code login is not enabled for this account; turn it on in ChatGPT Settings > Security (or ask "
        "your workspace admin), or use the browser sign-in."
    ),
)
COPILOT_DEVICE = DeviceSpec(
    "rfc8628",
    code_url=f"{GITHUB_BASE_URL}/login/device/code",
    poll_url=f"{GITHUB_BASE_URL}/login/oauth/access_token",
    client=ClientSpec(GITHUB_CLIENT_ID),
    scope="read:user",
    stores="token",
    profile_name="github",
)
QWEN_PORTAL_BASE = "https://portal.qwen.ai/v1"
QWEN_DEVICE = DeviceSpec(
    "rfc8628",
    code_url="https://chat.qwen.ai/api/v1/oauth2/device/code",
    poll_url="https://chat.qwen.ai/api/v1/oauth2/token",
    client=ClientSpec(QWEN_CLIENT_ID),
    scope="openid profile email model.completion",
    pkce=True,
    default_interval_s=2.0,
    slow_down_step_s=0.0,
    slow_down_factor=1.5,
    max_interval_s=10.0,
    request_id_header=True,
    config=ConfigPatch(
        {
            "models": {"providers": {"qwen-portal": {
                "baseUrl": "${baseUrl}", "apiKey": "qwen-oauth", "api": "openai-completions",
                "models": _models(
                    {"id": "coder-model", "name": "Qwen Coder", "contextWindow": 128000, "maxTokens": 8192},
                    {"id": "vision-model", "name": "Qwen Vision", "input": ["text", "image"],
                     "contextWindow": 128000, "maxTokens": 8192},
                ),
            }}},
            "agents": {"defaults": {"models": {"qwen-portal/coder-model": {"alias": "qwen"}, "qwen-portal/vision-model": {}}}},
        },
        BaseUrlRule(default=QWEN_PORTAL_BASE, ensure_scheme=True, ensure_suffix="/v1"),
    ),
)


def _minimax_device(base: str) -> DeviceSpec:
    return DeviceSpec(
        "user-code",
        code_url=f"{base}/oauth/code",
        poll_url=f"{base}/oauth/token",
        client=ClientSpec(MINIMAX_CLIENT_ID),
        scope="group_id profile model.completion",
        pkce=True,
        grant_type=MINIMAX_USER_CODE_GRANT,
        default_interval_s=2.0,
        slow_down_step_s=0.0,
        slow_down_factor=1.5,
        max_interval_s=10.0,
        request_id_header=True,
        expiry=ExpiryRule("expired_in", absolute_ms=True),
        config=ConfigPatch(
            {
                "models": {"providers": {"minimax-portal": {
                    "baseUrl": "${baseUrl}", "apiKey": "minimax-oauth", "api": "anthropic-messages",
                    "models": _models(
                        {"id": "MiniMax-M2.1", "name": "MiniMax M2.1", "contextWindow": 200000, "maxTokens": 8192},
                        {"id": "MiniMax-M2.5", "name": "MiniMax M2.5", "reasoning": True,
                         "contextWindow": 200000, "maxTokens": 8192},
                    ),
                }}},
                "agents": {"defaults": {"models": {
                    "minimax-portal/MiniMax-M2.1": {"alias": "minimax-m2.1"},
                    "minimax-portal/MiniMax-M2.5": {"alias": "minimax-m2.5"},
                }}},
            },
            BaseUrlRule(default=f"{base}/anthropic"),
        ),
    )


CHUTES_OAUTH = PkceSpec(
    authorize_url="https://api.chutes.ai/idp/authorize",
    token_url="https://api.chutes.ai/idp/token",
    client=CHUTES_CLIENT,
    scopes=("openid", "profile", "chutes:invoke"),
    callback_port=1456,
    callback_path="/oauth-callback",
    redirect_host="127.0.0.1",
    verifier="hex",
    identity=IdentitySpec("userinfo", "https://api.chutes.ai/idp/userinfo", (("email", "username"), ("accountId", "sub"))),
    expiry=ExpiryRule(margin_ms=300_000, min_lifetime_ms=30_000),
    redirect_env="CHUTES_OAUTH_REDIRECT_URI",
    scopes_env="CHUTES_OAUTH_SCOPES",
)
GEMINI_CLI_OAUTH = PkceSpec(
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url=GOOGLE_TOKEN_URL,
    client=GEMINI_CLI_CLIENT,
    scopes=(
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    ),
    extra_params=(("access_type", "offline"), ("prompt", "consent")),
    callback_port=8085,
    callback_path="/oauth2callback",
    identity=IdentitySpec("userinfo", GOOGLE_USERINFO_URL, (("email", "email"),)),
    expiry=ExpiryRule(margin_ms=300_000),
    project=ProjectDiscovery("https://cloudcode-pa.googleapis.com"),
    config=ConfigPatch({"agents": {"defaults": {"models": {"google-gemini-cli/gemini-3-pro-preview": {}}}}}),
)
_URL_FIELD = ApiField("baseUrl", "API base URL", kind="url")
CUSTOM_API = ApiKeySpec(
    fields=(
        _URL_FIELD._replace(default="http://127.0.0.1:11434/v1"),
        ApiField(
            "api", "Endpoint compatibility", "openai-completions", kind="choice",
            choices=(("openai-completions", "OpenAI-compatible (/chat/completions)"),
                     ("anthropic-messages", "Anthropic-compatible (/messages)")),
        ),
        ApiField("modelId", "Model ID"),
        ApiField("providerId", "Endpoint ID", "custom", kind="id"),
    ),
    key_required=False,
    key_label="API key (leave blank if not required)",
    store="config",
    config=ConfigPatch({
        "models": {"mode": "merge", "providers": {"${providerId}": {
            "baseUrl": "${baseUrl}", "api": "${api}", "apiKey": "${key}",
            "models": _models({"id": "${modelId}", "name": "${modelId} (Custom Provider)",
                               "contextWindow": 4096, "maxTokens": 4096}),
        }}},
        "agents": {"defaults": {"model": {"primary": "${providerId}/${modelId}"}}},
    }),
    entry=ConfigEntry("providerId", ("models", "providers"), same_if="baseUrl", keep_items="models"),
    note="CoderClaw keeps a custom provider's key in coderclaw.json itself (not in the auth store).",
)
CLOUDFLARE_API = ApiKeySpec(
    fields=(ApiField("accountId", "Cloudflare Account ID"), ApiField("gatewayId", "Cloudflare AI Gateway ID")),
    metadata=("accountId", "gatewayId"),
    config=ConfigPatch({
        "models": {"providers": {"cloudflare-ai-gateway": {
            "baseUrl": "https://gateway.ai.cloudflare.com/v1/${accountId}/${gatewayId}/anthropic",
            "api": "anthropic-messages",
            "models": [{
                "id": "claude-sonnet-4-5", "name": "Claude Sonnet 4.5", "reasoning": True, "input": ["text", "image"],
                "contextWindow": 200000, "maxTokens": 64000,
                "cost": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75},
            }],
        }}},
        "agents": {"defaults": {"models": {"cloudflare-ai-gateway/claude-sonnet-4-5": {"alias": "Cloudflare AI Gateway"}}}},
    }),
)
VLLM_API = ApiKeySpec(
    fields=(_URL_FIELD._replace(label="vLLM base URL", default="http://127.0.0.1:8000/v1"), ApiField("modelId", "vLLM model")),
    key_label="vLLM API key (any non-empty string)",
    config=ConfigPatch({
        "models": {"providers": {"vllm": {
            "baseUrl": "${baseUrl}", "api": "openai-completions", "apiKey": "VLLM_API_KEY",
            "models": _models({"id": "${modelId}", "name": "${modelId}", "contextWindow": 128000, "maxTokens": 8192}),
        }}},
        "agents": {"defaults": {"model": {"primary": "vllm/${modelId}"}}},
    }),
    discovery=ModelDiscovery("/models", list_key="data", id_key="id", send_key=True),
)
OLLAMA_API = ApiKeySpec(
    fields=(_URL_FIELD._replace(label="Ollama base URL", default="http://127.0.0.1:11434"), ApiField("modelId", "Model", "llama3.3")),
    fixed_key="ollama-local",
    store="config",
    env_file_var="OLLAMA_API_KEY",
    config=ConfigPatch({
        "models": {"providers": {"ollama": {
            "baseUrl": "${baseUrl}", "api": "ollama", "apiKey": "OLLAMA_API_KEY",
            "models": _models({"id": "${modelId}", "name": "${modelId}", "contextWindow": 128000, "maxTokens": 8192}),
        }}},
        "agents": {"defaults": {"model": {"primary": "ollama/${modelId}"}}},
    }),
    discovery=ModelDiscovery("/api/tags", list_key="models", id_key="name", strip_suffix="/v1"),
    note="Ollama on this machine (the simplest local setup); for llama.cpp or another OpenAI-compatible server choose vLLM.",
)
LITELLM_API = ApiKeySpec(
    fields=(_URL_FIELD._replace(label="LiteLLM proxy URL", default="http://localhost:4000"),),
    config=ConfigPatch({
        "models": {"providers": {"litellm": {
            "baseUrl": "${baseUrl}", "api": "openai-completions",
            "models": _models({"id": "claude-opus-4-6", "name": "Claude Opus 4.6", "reasoning": True,
                               "input": ["text", "image"], "contextWindow": 128000, "maxTokens": 8192}),
        }}},
        "agents": {"defaults": {"models": {"litellm/claude-opus-4-6": {"alias": "LiteLLM"}}}},
    }),
    note="LiteLLM provides a unified API to 100+ LLM providers; its proxy runs on http://localhost:4000 by default.",
)

BUILTIN_PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "openai-codex",
        "OpenAI Codex (ChatGPT subscription)",
        (
            AuthMethod("oauth", "Sign in with ChatGPT", "oauth-pkce", "browser login; works over SSH too", CODEX_OAUTH),
            AuthMethod(
                "device-code", "ChatGPT device code", "device-code", "for a headless server: enter a code elsewhere",
                CODEX_DEVICE,
            ),
        ),
        group="OpenAI",
        aliases=("codex", "chatgpt"),
        refresh=RefreshSpec(CODEX_OAUTH.token_url, CODEX_OAUTH.client, openai_jwt=True),
    ),
    Provider(
        "openai",
        "OpenAI API",
        (_api_key(hint="pay-as-you-go key from platform.openai.com", spec=ApiKeySpec(env_file_var="OPENAI_API_KEY")),),
        group="OpenAI",
        env_vars=("OPENAI_API_KEY",),
    ),
    Provider(
        "anthropic",
        "Anthropic (Claude)",
        (
            AuthMethod(
                "setup-token", "Claude subscription (setup-token)", "token", "run `claude setup-token`, paste the result"
            ),
            _api_key(hint="pay-as-you-go key from console.anthropic.com"),
        ),
        group="Anthropic",
        aliases=("claude",),
        env_vars=("ANTHROPIC_API_KEY",),
        refresh=RefreshSpec(
            "https://console.anthropic.com/v1/oauth/token",
            ClientSpec(ANTHROPIC_OAUTH_CLIENT_ID),
            body="json",
            expiry=ExpiryRule(margin_ms=300_000),
        ),
    ),
    Provider(
        "chutes",
        "Chutes",
        (AuthMethod("oauth", "Chutes OAuth", "oauth-pkce", "your own Chutes OAuth app; browser login", CHUTES_OAUTH),),
        group="Chutes",
        refresh=RefreshSpec(CHUTES_OAUTH.token_url, CHUTES_CLIENT, expiry=CHUTES_OAUTH.expiry),
    ),
    Provider(
        "vllm", "vLLM", (_api_key("vLLM server", "self-hosted OpenAI-compatible endpoint", VLLM_API),),
        group="vLLM", env_vars=("VLLM_API_KEY",),
    ),
    Provider(
        "ollama", "Ollama (local)", (_api_key("Ollama on this machine", "base URL and model; no key", OLLAMA_API),),
        group="Local Models",
    ),
    Provider(
        "minimax-portal",
        "MiniMax",
        (
            AuthMethod("oauth", "MiniMax OAuth (Global)", "device-code", "Global endpoint - api.minimax.io",
                       _minimax_device("https://api.minimax.io")),
            AuthMethod("oauth-cn", "MiniMax OAuth (CN)", "device-code", "CN endpoint - api.minimaxi.com",
                       _minimax_device("https://api.minimaxi.com")),
        ),
        group="MiniMax",
    ),
    _key("minimax", "MiniMax API", "MINIMAX_API_KEY", group="MiniMax"),
    Provider("moonshot", "Moonshot (Kimi)", (_api_key(),), group="Moonshot AI", env_vars=("MOONSHOT_API_KEY",)),
    Provider("kimi-coding", "Kimi Coding", (_api_key(),), group="Moonshot AI", aliases=("kimi-code",), env_vars=("KIMI_API_KEY",)),
    Provider("google", "Google Gemini API", (_api_key(),), group="Google", aliases=("gemini",), env_vars=("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    Provider(
        "google-gemini-cli",
        "Gemini CLI OAuth",
        (AuthMethod("oauth", "Google OAuth", "oauth-pkce", "PKCE + localhost callback; unofficial",
                    GEMINI_CLI_OAUTH, GEMINI_CLI_WARNING),),
        group="Google",
        aliases=("gemini-cli",),
        refresh=RefreshSpec(GOOGLE_TOKEN_URL, GEMINI_CLI_CLIENT, expiry=GEMINI_CLI_OAUTH.expiry),
    ),
    Provider("xai", "xAI (Grok)", (_api_key(),), group="xAI", env_vars=("XAI_API_KEY",)),
    Provider("openrouter", "OpenRouter", (_api_key(),), group="OpenRouter", env_vars=("OPENROUTER_API_KEY",)),
    Provider(
        "qwen-portal",
        "Qwen",
        (AuthMethod("device", "Qwen OAuth", "device-code", "Device code login", QWEN_DEVICE, QWEN_WARNING),),
        group="Qwen",
        aliases=("qwen",),
        refresh=RefreshSpec(QWEN_DEVICE.poll_url, QWEN_DEVICE.client, terminal_statuses=(400, 401)),
    ),
    Provider("zai", "Z.AI (GLM)", (_api_key(),), group="Z.AI", aliases=("z.ai", "z-ai"), env_vars=("ZAI_API_KEY",)),
    _key("qianfan", "Qianfan", "QIANFAN_API_KEY"),
    Provider(
        "github-copilot",
        "GitHub Copilot",
        (AuthMethod("device", "GitHub device login", "device-code", "enter a short code at github.com/login/device",
                    COPILOT_DEVICE),),
        group="Copilot",
        aliases=("copilot",),
    ),
    _key("vercel-ai-gateway", "Vercel AI Gateway", "AI_GATEWAY_API_KEY", aliases=("ai-gateway",)),
    Provider("opencode", "OpenCode Zen", (_api_key(),), group="OpenCode Zen", aliases=("opencode-zen",), env_vars=("OPENCODE_API_KEY",)),
    _key("xiaomi", "Xiaomi", "XIAOMI_API_KEY"),
    _key("synthetic", "Synthetic", "SYNTHETIC_API_KEY"),
    _key("together", "Together AI", "TOGETHER_API_KEY"),
    Provider("huggingface", "Hugging Face", (_api_key("HF token"),), group="Hugging Face",
             env_vars=("HUGGINGFACE_HUB_TOKEN", "HF_TOKEN")),
    Provider("venice", "Venice AI", (_api_key(),), group="Venice AI", env_vars=("VENICE_API_KEY",)),
    Provider("litellm", "LiteLLM", (_api_key(spec=LITELLM_API),), group="LiteLLM", env_vars=("LITELLM_API_KEY",)),
    Provider(
        "cloudflare-ai-gateway", "Cloudflare AI Gateway",
        (_api_key("Account ID + Gateway ID + API key", spec=CLOUDFLARE_API),),
        group="Cloudflare AI Gateway", env_vars=("CLOUDFLARE_AI_GATEWAY_API_KEY",),
    ),
    Provider(
        "custom", "Custom Provider",
        (_api_key("OpenAI- or Anthropic-compatible endpoint", "base URL, model id, optional key", CUSTOM_API),),
        group="Custom Provider", env_vars=("CUSTOM_API_KEY",),
    ),
    Provider("mistral", "Mistral", (_api_key(),), env_vars=("MISTRAL_API_KEY",)),
    Provider("groq", "Groq", (_api_key(),), env_vars=("GROQ_API_KEY",)),
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


def builtin_without_refresh(provider_id: str) -> bool:
    """A built-in provider whose OAuth tokens have no refresh (MiniMax). Plugins are not loaded: this is on the
    status path, and a plugin's provider is assumed refreshable until a refresh says otherwise."""
    provider = _match(BUILTIN_PROVIDERS, normalize_provider_id(provider_id))
    return provider is not None and provider.refresh is None


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
