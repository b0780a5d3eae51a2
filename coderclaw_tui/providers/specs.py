"""Sign-in methods as data: what the two OAuth engines and the key-entry step read.

A built-in provider and a plugin declare a method the same way: an `AuthMethod` whose `spec` is a `PkceSpec`, a
`DeviceSpec` or an `ApiKeySpec`. The engines (`flows.pkce_login`, `flows.device_login`) hold the protocol; the
specs hold every provider fact (URLs, client, scopes, where identity comes from, what is stored and where).

NamedTuples, not dataclasses: the catalogue that holds these sits on the scriptable commands' start-up path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

ISSUER_ENV_TEMPLATE = "CODERCLAW_{}_ISSUER"
"""`$CODERCLAW_<PROVIDER>_ISSUER` (id upper-cased, `-` and `.` as `_`) points every endpoint of that provider's
methods at another origin, keeping each endpoint's path: how `--sandbox` and the tests reach them."""


def provider_env_var(template: str, provider_id: str) -> str:
    """`template` (like `CODERCLAW_{}_ISSUER`) with the provider id upper-cased, anything but A-Z and 0-9 as `_`."""
    return template.format(re.sub(r"[^A-Z0-9]", "_", provider_id.upper()))


def issuer_env_var(provider_id: str) -> str:
    return provider_env_var(ISSUER_ENV_TEMPLATE, provider_id)


def endpoint(url: str, provider_id: str, env: Mapping[str, str] | None = None) -> str:
    """`url`, or the same path on the origin `$CODERCLAW_<PROVIDER>_ISSUER` names (which may carry a path prefix)."""
    env = os.environ if env is None else env
    return with_origin(url, env.get(issuer_env_var(provider_id)) or "")


def with_origin(url: str, origin: str) -> str:
    """`url`'s path and query on `origin` (blank: `url` unchanged)."""
    origin = origin.strip().rstrip("/")
    if not origin or not url:
        return url
    parts = urlsplit(url)
    return origin + parts.path + (f"?{parts.query}" if parts.query else "")


class ClientSpec(NamedTuple):
    """Which OAuth client a method uses and where its id (and secret, if any) comes from."""

    client_id: str = ""
    """A public client everyone shares; empty when the user brings their own."""
    id_env: tuple[str, ...] = ()
    """Environment variables read first, in CoderClaw's order."""
    secret_env: tuple[str, ...] = ()
    discover: str = ""
    """A named way to find the client on this machine ("gemini-cli": from an installed Gemini CLI)."""
    ask: bool = False
    """Ask for the id on screen (prefilled from `id_env` or discovery) before the login starts."""
    placeholder: str = ""
    help: str = ""
    """One line saying where the user gets a client id."""
    stored_field: str = ""
    """The credential field that remembers the client id (Chutes: `clientId`), read again by refresh."""


class OAuthClient(NamedTuple):
    """A resolved client: what goes in `client_id` and, when the provider needs one, `client_secret`."""

    client_id: str
    secret: str | None = None


class IdentitySpec(NamedTuple):
    """Where the account behind a token is read from, and under which credential fields it is stored."""

    kind: Literal["none", "openai-jwt", "userinfo"] = "none"
    userinfo_url: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    """(credential field, userinfo field) pairs, e.g. Chutes stores its `username` as `email`."""


class BaseUrlRule(NamedTuple):
    """A base URL taken from the token answer (Qwen's and MiniMax's `resource_url`) or a default."""

    answer_field: str = "resource_url"
    default: str = ""
    ensure_scheme: bool = False
    ensure_suffix: str = ""


class ConfigPatch(NamedTuple):
    """Deep-merged into `coderclaw.json` when the login is saved. Strings `${baseUrl}` and `${field}` are filled
    from the login (`baseUrl` by `base_url`, other names from the method's extra fields)."""

    template: Mapping[str, Any]
    base_url: BaseUrlRule | None = None


class ProjectDiscovery(NamedTuple):
    """Google Code Assist's project lookup (loadCodeAssist, then onboardUser for a new user)."""

    base_url: str
    env_project: tuple[str, ...] = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT_ID")
    poll_interval_s: float = 5.0
    max_polls: int = 24


class ExpiryRule(NamedTuple):
    """How `expires` (epoch ms) is computed from a token answer."""

    field: str = "expires_in"
    absolute_ms: bool = False
    """MiniMax sends the expiry itself (`expired_in`, epoch ms), stored as is."""
    margin_ms: int = 0
    """Subtracted from now + lifetime (Google and Chutes store 5 minutes early)."""
    min_lifetime_ms: int = 0
    """A floor on the stored lifetime (Chutes: at least 30 s)."""


class PkceSpec(NamedTuple):
    """An authorization-code login with PKCE S256, finished by a loopback redirect or a pasted one."""

    authorize_url: str
    token_url: str
    client: ClientSpec
    scopes: tuple[str, ...]
    extra_params: tuple[tuple[str, str], ...] = ()
    callback_port: int = 1455
    fallback_port: int | None = None
    callback_path: str = "/auth/callback"
    redirect_host: str = "localhost"
    verifier: Literal["base64url", "hex"] = "base64url"
    identity: IdentitySpec = IdentitySpec()
    expiry: ExpiryRule = ExpiryRule()
    extra_answer_fields: tuple[tuple[str, str], ...] = ()
    """(credential field, answer field) copied from the token answer when present."""
    project: ProjectDiscovery | None = None
    config: ConfigPatch | None = None
    profile_name: str = ""
    """A fixed profile name; empty means `<email>` else `default`."""
    redirect_env: str = ""
    """An environment variable that may hold the whole redirect URI (http, a loopback host), replacing
    `redirect_host`, `callback_port` and `callback_path`: for an OAuth app registered with another redirect."""
    scopes_env: str = ""
    """An environment variable that may hold the scopes, separated by spaces, replacing `scopes`."""


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def pkce_spec_from_env(spec: PkceSpec, env: Mapping[str, str], *, strict: bool = True) -> PkceSpec:
    """`spec` as its environment variables change it (read at each login, as CoderClaw reads them). A redirect
    URI that is not http to a loopback host raises ValueError naming the variable, or with `strict=False` (what a
    screen shows before the login says so) is passed over."""
    changes: dict[str, Any] = {}
    scopes = env.get(spec.scopes_env, "").split() if spec.scopes_env else []
    if scopes:
        changes["scopes"] = tuple(scopes)
    uri = env.get(spec.redirect_env, "").strip() if spec.redirect_env else ""
    if uri:
        parts = urlsplit(uri)
        try:
            port = 80 if parts.port is None else parts.port
        except ValueError:
            port = -1
        if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and port >= 0:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            changes.update(redirect_host=host, callback_port=port, callback_path=parts.path or "/")
        elif strict:
            raise ValueError(
                f"${spec.redirect_env} must be an http:// address on this machine (localhost, 127.0.0.1 or [::1]), "
                "as registered for your OAuth app; fix it or unset it."
            )
    return spec._replace(**changes) if changes else spec


class DeviceSpec(NamedTuple):
    """A device login: show a code, let the user approve it elsewhere, poll until they do.

    Variants: "rfc8628" (GitHub, Qwen with `pkce`), "user-code" (MiniMax: PKCE plus state, a user-code grant and
    `status` answers, times in ms), "codex" (OpenAI: JSON device authorization whose approval carries a code and
    the server's PKCE verifier, exchanged at `token_url` like a browser login)."""

    variant: Literal["rfc8628", "user-code", "codex"]
    code_url: str
    poll_url: str
    client: ClientSpec
    scope: str = ""
    pkce: bool = False
    grant_type: str = "urn:ietf:params:oauth:grant-type:device_code"
    default_interval_s: float = 5.0
    slow_down_step_s: float = 5.0
    slow_down_factor: float = 1.0
    max_interval_s: float = 60.0
    request_id_header: bool = False
    """Qwen and MiniMax send `x-request-id: <uuid4>` with every request."""
    verification_url: str = ""
    """Shown instead of the server's `verification_uri` (Codex sends none)."""
    token_url: str = ""
    """Codex: where the approved code is exchanged."""
    exchange_redirect_uri: str = ""
    lifetime_s: float = 900.0
    """Used when the server sends no expiry of its own."""
    stores: Literal["token", "oauth"] = "oauth"
    identity: IdentitySpec = IdentitySpec()
    expiry: ExpiryRule = ExpiryRule()
    config: ConfigPatch | None = None
    profile_name: str = ""
    not_enabled_hint: str = ""
    """Codex answers 404 when device login is off for the account: what the user can do about it."""


class ApiField(NamedTuple):
    """One more field an API-key method asks for (base URL, model id, account and gateway ids)."""

    name: str
    label: str
    default: str = ""
    required: bool = True
    kind: Literal["text", "url", "choice", "id"] = "text"
    """"id": lower-case letters, digits and dashes (a provider id CoderClaw's config keys on)."""
    choices: tuple[tuple[str, str], ...] = ()
    """(value, label) for a choice field."""


class ModelDiscovery(NamedTuple):
    """A GET on the server the user named that lists its models, offered as completions for the model field
    (CoderClaw: Ollama's `/api/tags`, an OpenAI-compatible server's `/models`). A failure only means the user
    types the model id."""

    path: str
    """Appended to the base URL (after `strip_suffix` is taken off it)."""
    list_key: str
    """The answer's list of models (`models` for Ollama, `data` for OpenAI-compatible servers)."""
    id_key: str
    """Each model's id in that list (`name` for Ollama, `id` otherwise)."""
    strip_suffix: str = ""
    send_key: bool = False
    """Send the key typed so far as a Bearer token."""
    url_field: str = "baseUrl"
    model_field: str = "modelId"


class ConfigEntry(NamedTuple):
    """The entry a key login writes in the config: `under` (a path of keys) then the value of the `id_field` field
    (CoderClaw's custom provider: `models.providers.<providerId>`). An id another entry already holds with a
    different `same_if` value gets `-2`, `-3`, …; the entry's existing `keep_items` (a list of objects with `id`:
    its models) are kept, the login's own added, or updated when the id is there."""

    id_field: str
    under: tuple[str, ...]
    same_if: str
    keep_items: str = ""


class ApiKeySpec(NamedTuple):
    """An API key and its extra fields, written where CoderClaw writes them."""

    fields: tuple[ApiField, ...] = ()
    key_required: bool = True
    key_label: str = "API key"
    store: Literal["profile", "config"] = "profile"
    """`config`: the key goes to `models.providers.<id>.apiKey` (CoderClaw's custom provider), not the store."""
    metadata: tuple[str, ...] = ()
    """Field names stored in the profile's `metadata` (Cloudflare's account and gateway ids)."""
    env_file_var: str = ""
    """Also written to the `.env` CoderClaw reads (`OPENAI_API_KEY`)."""
    fixed_key: str = ""
    """No key is asked for; this placeholder is what CoderClaw records (Ollama's `ollama-local`)."""
    config: ConfigPatch | None = None
    entry: ConfigEntry | None = None
    """Where `config` puts the login's own entry, for the id and list rules above."""
    discovery: ModelDiscovery | None = None
    note: str = ""
