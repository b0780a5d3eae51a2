"""CoderClaw's `onboard --auth-choice` ids and non-interactive flags, as data keyed by provider id (reference §11).

A key choice takes effect only for a provider the catalogue has (its env vars and API-key method come from
there), so a provider added to the catalogue slots in; any catalogue provider with an API-key method also gets the
choice `<provider>-api-key`, its key from the environment. Choices that need a browser or a person at the screen are
listed with the one sentence that refuses them.
"""

from __future__ import annotations

from typing import NamedTuple


class KeyChoice(NamedTuple):
    provider: str
    choice: str
    """CoderClaw's `--auth-choice` id."""
    flag: str
    """CoderClaw's key flag, without the dashes; its value is read from stdin (`--flag -`), never from argv."""
    fields: tuple[tuple[str, str], ...] = ()
    """(flag, field of the provider's API-key method): the extra values a key needs (base URL, account ids)."""
    required: tuple[str, ...] = ()
    """The field flags CoderClaw requires in non-interactive mode."""


KEY_CHOICES: tuple[KeyChoice, ...] = (
    KeyChoice("anthropic", "apiKey", "anthropic-api-key"),
    KeyChoice("openai", "openai-api-key", "openai-api-key"),
    KeyChoice("openrouter", "openrouter-api-key", "openrouter-api-key"),
    KeyChoice("vercel-ai-gateway", "ai-gateway-api-key", "ai-gateway-api-key"),
    KeyChoice(
        "cloudflare-ai-gateway",
        "cloudflare-ai-gateway-api-key",
        "cloudflare-ai-gateway-api-key",
        (("cloudflare-ai-gateway-account-id", "accountId"), ("cloudflare-ai-gateway-gateway-id", "gatewayId")),
        ("cloudflare-ai-gateway-account-id", "cloudflare-ai-gateway-gateway-id"),
    ),
    KeyChoice("moonshot", "moonshot-api-key", "moonshot-api-key"),
    KeyChoice("kimi-coding", "kimi-code-api-key", "kimi-code-api-key"),
    KeyChoice("google", "gemini-api-key", "gemini-api-key"),
    KeyChoice("zai", "zai-api-key", "zai-api-key"),
    KeyChoice("xiaomi", "xiaomi-api-key", "xiaomi-api-key"),
    KeyChoice("minimax", "minimax-api", "minimax-api-key"),
    KeyChoice("synthetic", "synthetic-api-key", "synthetic-api-key"),
    KeyChoice("venice", "venice-api-key", "venice-api-key"),
    KeyChoice("together", "together-api-key", "together-api-key"),
    KeyChoice("huggingface", "huggingface-api-key", "huggingface-api-key"),
    KeyChoice("opencode", "opencode-zen", "opencode-zen-api-key"),
    KeyChoice("xai", "xai-api-key", "xai-api-key"),
    KeyChoice("litellm", "litellm-api-key", "litellm-api-key"),
    KeyChoice("qianfan", "qianfan-api-key", "qianfan-api-key"),
    KeyChoice(
        "custom",
        "custom-api-key",
        "custom-api-key",
        (
            ("custom-base-url", "baseUrl"),
            ("custom-model-id", "modelId"),
            ("custom-provider-id", "providerId"),
            ("custom-compatibility", "api"),
        ),
        ("custom-base-url", "custom-model-id"),
    ),
)

FIELD_VALUES: dict[str, dict[str, str]] = {"custom-compatibility": {"openai": "openai-completions", "anthropic": "anthropic-messages"}}
"""Flag values CoderClaw spells differently from the stored field (`--custom-compatibility anthropic`)."""

TOKEN_CHOICE = "token"
SKIP_CHOICE = "skip"
TOKEN_PROVIDERS = ("anthropic",)
"""`--auth-choice token` stores an Anthropic setup-token, as in CoderClaw."""

_TOKEN_INSTEAD = "use --auth-choice token --token-provider anthropic --token - with the setup-token on stdin"

REFUSED: dict[str, str] = {
    **{
        choice: f"--auth-choice {choice} signs in through a browser, which a script cannot do; "
        f"run `coderclaw models auth login --provider {provider}` in a terminal instead."
        for choice, provider in (
            ("openai-codex", "openai-codex"),
            ("chutes", "chutes"),
            ("google-gemini-cli", "google-gemini-cli"),
        )
    },
    **{
        choice: f"--auth-choice {choice} needs someone to enter a code in a browser, which a script cannot do; "
        f"run `coderclaw models auth login --provider {provider}` in a terminal instead."
        for choice, provider in (
            ("github-copilot", "github-copilot"),
            ("qwen-portal", "qwen-portal"),
            ("minimax-portal", "minimax-portal"),
        )
    },
    "setup-token": f"--auth-choice setup-token needs a terminal; {_TOKEN_INSTEAD}.",
    "oauth": f"--auth-choice oauth needs a terminal; {_TOKEN_INSTEAD}.",
    "claude-cli": f"--auth-choice claude-cli is deprecated; {_TOKEN_INSTEAD}.",
    "codex-cli": "--auth-choice codex-cli is deprecated; run `coderclaw models auth login --provider openai-codex` in a terminal.",
    "local": "--auth-choice local needs a terminal to pick the backend and model; run `coderclaw onboard` instead.",
    "vllm": "--auth-choice vllm needs a terminal to pick the server and model; run `coderclaw onboard` instead.",
    "google-antigravity": "Google Antigravity sign-in is not offered: its terms forbid third-party OAuth clients.",
    "copilot-proxy": "--auth-choice copilot-proxy is not supported by coderclaw; choose a key or token choice.",
    "coderclawllm": "--auth-choice coderclawllm (BuilderForce) is not supported by coderclaw; choose a key or token choice.",
    "coderclawllm-local": "--auth-choice coderclawllm-local is not supported by coderclaw; choose a key or token choice.",
}
