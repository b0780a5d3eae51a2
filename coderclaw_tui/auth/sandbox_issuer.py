"""An OAuth issuer on loopback that behaves like every provider coderclaw signs in to, for `--sandbox` and the
tests: OpenAI (browser PKCE and the Codex device authorization), GitHub's device flow, Qwen's device flow with
PKCE, MiniMax's user-code grant, Chutes' and Google's authorization code (Google's `access_type=offline`,
userinfo and Code Assist project discovery). Every provider's paths are served on one origin, so pointing
`$CODERCLAW_<PROVIDER>_ISSUER` at `base_url` reaches it (`sandbox_env()` gives them all).

It is strict where the real providers are strict, so a flow that passes here is right there too: clients and
their redirect paths are registered, PKCE S256 is checked, codes are single-use and short-lived, token requests
must be form-encoded, refresh tokens rotate and a reused one revokes the whole grant (RFC 9700), a client with a
secret must send it. It runs a `ThreadingHTTPServer` in a daemon thread, so other processes can call it while a
test or the CLI drives it; every piece of state sits behind one lock.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from coderclaw_tui.auth.jwt_claims import OPENAI_AUTH_CLAIM, OPENAI_PROFILE_CLAIM, b64url_encode
from coderclaw_tui.auth.pkce import CHALLENGE_METHOD, challenge_for
from coderclaw_tui.providers.catalogue import (
    COPILOT_DEVICE,
    GITHUB_CLIENT_ID,
    MINIMAX_CLIENT_ID,
    MINIMAX_USER_CODE_GRANT,
    OPENAI_CODEX_CLIENT_ID,
    QWEN_CLIENT_ID,
)
from coderclaw_tui.providers.specs import issuer_env_var

DEVICE_GRANT_TYPE = COPILOT_DEVICE.grant_type
GITHUB_SCOPE = COPILOT_DEVICE.scope
SANDBOX_CHUTES_CLIENT_ID = "cid_sandbox"
SANDBOX_GOOGLE_CLIENT_ID = "000000000000-sandbox.apps.googleusercontent.com"
SANDBOX_GOOGLE_CLIENT_SECRET = "GOCSPX-sandbox-not-a-secret"
SANDBOX_PROJECT_ID = "sandbox-project-0001"
QWEN_RESOURCE_URL = "portal.qwen.sandbox.test"
"""What the sandbox's Qwen answers carry as `resource_url` (normalised by the login into a base URL)."""


@dataclass(frozen=True)
class SandboxClient:
    """A registered OAuth client: where it may redirect, whether it must send a secret, what tokens it gets."""

    client_id: str
    redirect_path: str = "/auth/callback"
    secret: str | None = None
    tokens: str = "opaque"
    """"openai": JWTs with OpenAI's claims (Codex); "opaque": random strings (everyone else)."""
    offline: str = "always"
    """When a refresh token is issued: "scope" (offline_access), "access_type" (Google's =offline), "always"."""
    extra: tuple[tuple[str, str], ...] = ()
    """Extra fields in every token answer (Qwen's `resource_url`)."""
    access_ttl: int | None = None
    """This client's access-token life in seconds (Google's and Chutes' are an hour, and their clients store the
    expiry 5 minutes early); None: the issuer's `access_ttl`."""


BUILTIN_CLIENTS = (
    SandboxClient(OPENAI_CODEX_CLIENT_ID, tokens="openai", offline="scope"),
    SandboxClient(GITHUB_CLIENT_ID, redirect_path=""),
    SandboxClient(QWEN_CLIENT_ID, redirect_path="", extra=(("resource_url", QWEN_RESOURCE_URL),)),
    SandboxClient(MINIMAX_CLIENT_ID, redirect_path=""),
    SandboxClient(SANDBOX_CHUTES_CLIENT_ID, redirect_path="/oauth-callback", access_ttl=3600),
    SandboxClient(
        SANDBOX_GOOGLE_CLIENT_ID,
        redirect_path="/oauth2callback",
        secret=SANDBOX_GOOGLE_CLIENT_SECRET,
        offline="access_type",
        access_ttl=3599,
    ),
)


def sandbox_env(base_url: str, provider_ids: list[str]) -> dict[str, str]:
    """The environment that points every listed provider at the sandbox, with the clients a user would bring."""
    env = {issuer_env_var(provider_id): base_url for provider_id in provider_ids}
    env.update(
        CHUTES_CLIENT_ID=SANDBOX_CHUTES_CLIENT_ID,
        GEMINI_CLI_OAUTH_CLIENT_ID=SANDBOX_GOOGLE_CLIENT_ID,
        GEMINI_CLI_OAUTH_CLIENT_SECRET=SANDBOX_GOOGLE_CLIENT_SECRET,
    )
    return env

FAILURE_KINDS = frozenset(
    {"invalid_grant", "refresh_token_expired", "refresh_token_invalidated", "unauthorized", "server_error", "hang"}
)
"""What `fail_next_refresh` can inject. "hang" rotates the token and then never answers, as a server does when
the client's timeout fires after the rotation was committed."""

MAX_BODY_BYTES = 65_536
AUTHORIZE_PATHS = ("/oauth/authorize", "/idp/authorize", "/o/oauth2/v2/auth")
"""OpenAI's, Chutes' and Google's authorize endpoints."""
USERINFO_PATHS = {"/idp/userinfo": "chutes", "/oauth2/v1/userinfo": "google"}
CODE_ASSIST_PREFIX = "/v1internal"
JSON_PATHS = (
    "/api/accounts/deviceauth/usercode",
    "/api/accounts/deviceauth/token",
    CODE_ASSIST_PREFIX + ":loadCodeAssist",
    CODE_ASSIST_PREFIX + ":onboardUser",
)
_PKCE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"
_HANG = object()


class SandboxRequestError(ValueError):
    """An authorize request the sandbox refuses, as the real issuer would (bad client, redirect, PKCE)."""


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    issued_at: float
    used: bool = False
    grant_id: str | None = None
    offline: bool = False


@dataclass
class _Grant:
    email: str | None
    account_id: str
    offline: bool
    revoked: bool = False
    client_id: str = OPENAI_CODEX_CLIENT_ID


@dataclass
class _Device:
    device_code: str
    issued_at: float
    interval: int
    status: str = "pending"
    last_poll: float | None = None
    client_id: str = GITHUB_CLIENT_ID
    challenge: str | None = None
    """Qwen and MiniMax: the PKCE challenge sent with the device request, checked against each poll's verifier."""
    verifier: str | None = None
    """Codex: the PKCE pair the server generates and hands out with the approval."""


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class SandboxIssuer:
    """Start with `with SandboxIssuer() as issuer:`; point flows at `issuer.base_url`."""

    def __init__(
        self,
        *,
        email: str | None = "sandbox.user@example.test",
        account_id: str = "acct_sandbox_0001",
        access_ttl: int = 300,
        reported_expires_in: int | None = None,
        code_ttl: int = 60,
        device_ttl: int = 900,
        device_interval: int = 5,
        auto_approve: bool = False,
        hang_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._email, self._account_id = email, account_id
        self._access_ttl = access_ttl
        self._reported_expires_in = reported_expires_in
        self._code_ttl, self._device_ttl, self._device_interval = code_ttl, device_ttl, device_interval
        self._auto_approve = auto_approve
        self._hang_seconds = hang_seconds
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, tuple[str, bool]] = {}  # token -> (grant id, already rotated)
        self._devices: dict[str, _Device] = {}  # by user code
        self._fail_next: str | None = None
        self._clients = {c.client_id: c for c in BUILTIN_CLIENTS}
        self._access_tokens: dict[str, str] = {}  # opaque access token -> grant id (userinfo, Code Assist)
        self._onboarded: set[str] = set()  # accounts with a Code Assist project
        self._operations: dict[str, int] = {}  # onboardUser operation -> polls left before done
        self.codex_device_enabled = True
        """Off: the Codex device endpoints answer 404, as for an account that has not enabled device login."""
        self._events: list[str] = []
        self._refresh_count = 0
        self._reuse_detected = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> SandboxIssuer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.issuer = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-issuer", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; a refresh left hanging by `fail_next_refresh("hang")` is released too."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxIssuer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("SandboxIssuer is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- test hooks ------------------------------------------------------------------------------------------

    @property
    def refresh_count(self) -> int:
        """Refresh requests received, successful or not."""
        with self._lock:
            return self._refresh_count

    @property
    def reuse_detected(self) -> int:
        with self._lock:
            return self._reuse_detected

    @property
    def events(self) -> list[str]:
        """Names of what happened, in order (no secrets): "code_exchanged", "refresh_rotated", ..."""
        with self._lock:
            return list(self._events)

    def set_identity(self, *, email: str | None, account_id: str) -> None:
        """Who the next approved login is; existing grants keep theirs."""
        with self._lock:
            self._email, self._account_id = email, account_id

    def fail_next_refresh(self, kind: str) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; choose from {sorted(FAILURE_KINDS)}")
        with self._lock:
            self._fail_next = kind

    def approve(self, authorize_url: str) -> str:
        """What clicking Approve does: the redirect URL carrying a fresh code and the request's state."""
        return self._decide(dict(parse_qsl(urlsplit(authorize_url).query)), approve=True)

    def deny(self, authorize_url: str) -> str:
        """What clicking Deny does: the redirect URL carrying `error=access_denied`."""
        return self._decide(dict(parse_qsl(urlsplit(authorize_url).query)), approve=False)

    def mint_tokens(self, *, email: str | None, account_id: str) -> dict[str, Any]:
        """A token answer for a new grant without the browser round trip: real, refreshable logins to seed
        `coderclaw profiles --sandbox` with."""
        with self._lock:
            grant_id = "grant_" + secrets.token_hex(8)
            self._grants[grant_id] = _Grant(email, account_id, offline=True)
            self._events.append("grant_minted")
            return self._issue(grant_id)

    def register_client(self, client: SandboxClient) -> None:
        """Accept another client (a plugin's, a test's)."""
        with self._lock:
            self._clients[client.client_id] = client

    def approve_device(self, user_code: str) -> None:
        self._set_device_status(user_code, "approved")

    def deny_device(self, user_code: str) -> None:
        self._set_device_status(user_code, "denied")

    # -- authorization code + PKCE ---------------------------------------------------------------------------

    def _validate_authorize(self, params: Mapping[str, str]) -> None:
        client = self._clients.get(params.get("client_id", ""))
        if client is None or not client.redirect_path:
            raise SandboxRequestError("unknown client_id")
        if not _is_loopback_callback(params.get("redirect_uri", ""), client.redirect_path):
            raise SandboxRequestError("redirect_uri is not a registered loopback callback")
        if params.get("response_type") != "code":
            raise SandboxRequestError("response_type must be code")
        if params.get("code_challenge_method") != CHALLENGE_METHOD:
            raise SandboxRequestError("code_challenge_method must be S256")
        if not _PKCE_CHALLENGE.fullmatch(params.get("code_challenge", "")):
            raise SandboxRequestError("code_challenge is missing or malformed")

    def _decide(self, params: Mapping[str, str], *, approve: bool) -> str:
        self._validate_authorize(params)
        answer: dict[str, str] = {}
        if approve:
            code = "ac_" + secrets.token_urlsafe(32)
            with self._lock:
                self._codes[code] = _Code(
                    params["client_id"],
                    params["redirect_uri"],
                    params["code_challenge"],
                    params.get("scope", ""),
                    self._clock(),
                    offline=self._offline(self._clients[params["client_id"]], params),
                )
                self._events.append("authorize_approved")
            answer["code"] = code
        else:
            answer["error"] = "access_denied"
            with self._lock:
                self._events.append("authorize_denied")
        if "state" in params:
            answer["state"] = params["state"]
        return f"{params['redirect_uri']}?{urlencode(answer)}"

    def _exchange(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            record = self._codes.get(form.get("code", ""))
            if record is None:
                return _oauth_error(400, "invalid_grant", "unknown authorization code")
            if record.used:
                if record.grant_id is not None:  # RFC 6749 4.1.2: a replayed code revokes what it issued
                    self._grants[record.grant_id].revoked = True
                self._events.append("code_replayed")
                return _oauth_error(400, "invalid_grant", "authorization code already used")
            record.used = True
            if self._clock() - record.issued_at > self._code_ttl:
                return _oauth_error(400, "invalid_grant", "authorization code expired")
            if form.get("client_id") != record.client_id or form.get("redirect_uri") != record.redirect_uri:
                return _oauth_error(
                    400, "invalid_grant", "client_id or redirect_uri does not match the authorize request"
                )
            if not self._secret_ok(form):
                return _oauth_error(401, "invalid_client", "client_secret is missing or wrong")
            verifier = form.get("code_verifier", "")
            if not _PKCE_VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
                challenge_for(verifier), record.challenge
            ):
                return _oauth_error(400, "invalid_grant", "PKCE verification failed")
            record.grant_id = self._new_grant(record.client_id, record.offline)
            self._events.append("code_exchanged")
            return 200, self._issue(record.grant_id)

    def _offline(self, client: SandboxClient, params: Mapping[str, str]) -> bool:
        if client.offline == "scope":
            return "offline_access" in params.get("scope", "").split()
        if client.offline == "access_type":
            return params.get("access_type") == "offline"
        return True

    def _secret_ok(self, form: Mapping[str, str]) -> bool:
        """A confidential client (Google's installed-app one) must send its secret (caller holds the lock)."""
        client = self._clients.get(form.get("client_id", ""))
        if client is None:
            return False
        return client.secret is None or hmac.compare_digest(form.get("client_secret", ""), client.secret)

    def _new_grant(self, client_id: str, offline: bool) -> str:
        grant_id = "grant_" + secrets.token_hex(8)
        self._grants[grant_id] = _Grant(self._email, self._account_id, offline, client_id=client_id)
        return grant_id

    def _refresh(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]] | object:
        with self._lock:
            self._refresh_count += 1
            injected, self._fail_next = self._fail_next, None
            if injected is not None and injected != "hang":
                self._events.append(f"refresh_failed_{injected}")
                status = {"unauthorized": 401, "server_error": 500}.get(injected, 400)
                return _oauth_error(status, injected, "injected by the sandbox")
            if not self._secret_ok(form):
                return _oauth_error(401, "invalid_client", "unknown client_id or wrong client_secret")
            entry = self._refresh_tokens.get(form.get("refresh_token", ""))
            if entry is not None and self._grants[entry[0]].client_id != form.get("client_id"):
                return _oauth_error(400, "invalid_grant", "refresh token was issued to another client")
            if entry is None or self._grants[entry[0]].revoked:
                self._events.append("refresh_unknown")
                return _oauth_error(400, "invalid_grant", "refresh token is unknown or revoked")
            grant_id, rotated = entry
            if rotated:
                self._grants[grant_id].revoked = True
                self._reuse_detected += 1
                self._events.append("refresh_reused")
                return _oauth_error(400, "refresh_token_reused", "refresh token already used; the grant is revoked")
            self._refresh_tokens[form["refresh_token"]] = (grant_id, True)
            tokens = self._issue(grant_id)
            self._events.append("refresh_rotated")
        if injected == "hang":
            return _HANG
        return 200, tokens

    def _issue(self, grant_id: str) -> dict[str, Any]:
        """Fresh tokens for a grant (caller holds the lock)."""
        grant = self._grants[grant_id]
        client = self._clients.get(grant.client_id)
        if client is not None and client.tokens == "opaque":
            access = "at_" + secrets.token_urlsafe(32)
            self._access_tokens[access] = grant_id
            opaque: dict[str, Any] = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self._reported_expires_in or client.access_ttl or self._access_ttl,
                **dict(client.extra),
            }
            if grant.offline:
                refresh = "rt_" + secrets.token_urlsafe(32)
                self._refresh_tokens[refresh] = (grant_id, False)
                opaque["refresh_token"] = refresh
            return opaque
        now = int(self._clock())
        subject = "user-" + hashlib.sha256(grant.account_id.encode()).hexdigest()[:16]
        claims: dict[str, Any] = {
            "iss": self.base_url,
            "aud": ["https://api.openai.com/v1"],
            "sub": subject,
            "client_id": OPENAI_CODEX_CLIENT_ID,
            "iat": now,
            "exp": now + self._access_ttl,
            "jti": secrets.token_hex(8),
            OPENAI_AUTH_CLAIM: {
                "chatgpt_account_id": grant.account_id,
                "chatgpt_plan_type": "plus",
                "chatgpt_user_id": subject,
            },
        }
        if grant.email:
            claims[OPENAI_PROFILE_CLAIM] = {"email": grant.email, "email_verified": True}
        tokens: dict[str, Any] = {
            "access_token": self._sign(claims),
            "id_token": self._sign({**claims, "aud": OPENAI_CODEX_CLIENT_ID, "email": grant.email}),
            "token_type": "Bearer",
            "expires_in": self._reported_expires_in or self._access_ttl,
        }
        if grant.offline:
            refresh = "rt_" + secrets.token_urlsafe(32)
            self._refresh_tokens[refresh] = (grant_id, False)
            tokens["refresh_token"] = refresh
        return tokens

    def _sign(self, claims: dict[str, Any]) -> str:
        header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64url_encode(signature)}"

    # -- device code (GitHub's shape) ------------------------------------------------------------------------

    def _device_code(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """GitHub's shape, for GitHub's client and any registered device client (a plugin's)."""
        client = self._clients.get(form.get("client_id", ""))
        if client is None or client.redirect_path:
            return 401, {"error": "incorrect_client_credentials"}
        user_code, device = self._new_device(client.client_id)
        return 200, {
            "device_code": device.device_code,
            "user_code": user_code,
            "verification_uri": f"{self.base_url}/login/device",
            "expires_in": self._device_ttl,
            "interval": device.interval,
        }

    def _new_device(self, client_id: str, challenge: str | None = None) -> tuple[str, _Device]:
        with self._lock:
            user_code = self._new_user_code()
            device = _Device(
                "dc_" + secrets.token_hex(20), self._clock(), self._device_interval, client_id=client_id, challenge=challenge
            )
            if self._auto_approve:
                device.status = "approved"
            self._devices[user_code] = device
            self._events.append("device_code_issued")
        return user_code, device

    def _find_device(self, device_code: str) -> _Device | None:
        return next((d for d in self._devices.values() if hmac.compare_digest(d.device_code, device_code)), None)

    def _device_verifier_ok(self, device: _Device, verifier: str) -> bool:
        if device.challenge is None:
            return True
        return bool(_PKCE_VERIFIER.fullmatch(verifier)) and hmac.compare_digest(challenge_for(verifier), device.challenge)

    # -- Qwen: RFC 8628 with PKCE on the device request; pending is HTTP 400, slow_down 429 ----------------------

    def _qwen_device_code(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != QWEN_CLIENT_ID:
            return _oauth_error(400, "invalid_client", "unknown client_id")
        challenge = form.get("code_challenge", "")
        if form.get("code_challenge_method") != CHALLENGE_METHOD or not _PKCE_CHALLENGE.fullmatch(challenge):
            return _oauth_error(400, "invalid_request", "code_challenge (S256) is required")
        user_code, device = self._new_device(QWEN_CLIENT_ID, challenge)
        page = f"{self.base_url}/login/device"
        return 200, {
            "device_code": device.device_code,
            "user_code": user_code,
            "verification_uri": page,
            "verification_uri_complete": f"{page}?user_code={user_code}",
            "expires_in": self._device_ttl,
            "interval": device.interval,
        }

    def _qwen_token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != QWEN_CLIENT_ID or form.get("grant_type") != DEVICE_GRANT_TYPE:
            return _oauth_error(400, "invalid_request", "unknown client or grant")
        with self._lock:
            device = self._find_device(form.get("device_code", ""))
            if device is None or device.status == "used" or device.client_id != QWEN_CLIENT_ID:
                return _oauth_error(400, "invalid_grant", "unknown device code")
            if not self._device_verifier_ok(device, form.get("code_verifier", "")):
                return _oauth_error(400, "invalid_grant", "PKCE verification failed")
            status = self._poll_status(device)
            if status == "slow_down":
                return 429, {"error": "slow_down"}
            if status != "approved":
                return 400, {"error": status}
            device.status = "used"
            self._events.append("device_token_issued")
            return 200, self._issue(self._new_grant(QWEN_CLIENT_ID, True))

    def _poll_status(self, device: _Device) -> str:
        """"approved", "authorization_pending", "slow_down", "expired_token" or "access_denied" (lock held)."""
        now = self._clock()
        if now - device.issued_at > self._device_ttl:
            self._events.append("device_expired")
            return "expired_token"
        if device.status == "denied":
            self._events.append("device_denied")
            return "access_denied"
        too_fast = device.last_poll is not None and now - device.last_poll < device.interval
        device.last_poll = now
        if too_fast:
            device.interval += 5
            self._events.append("device_slow_down")
            return "slow_down"
        if device.status == "pending":
            self._events.append("device_pending")
            return "authorization_pending"
        return "approved"

    # -- MiniMax: the user-code grant, with PKCE and a state; times in milliseconds ------------------------------

    def _minimax_code(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != MINIMAX_CLIENT_ID or form.get("response_type") != "code":
            return 400, {"base_resp": {"status_code": 1004, "status_msg": "invalid client"}}
        challenge = form.get("code_challenge", "")
        if form.get("code_challenge_method") != CHALLENGE_METHOD or not _PKCE_CHALLENGE.fullmatch(challenge):
            return 400, {"base_resp": {"status_code": 1004, "status_msg": "code_challenge required"}}
        user_code, device = self._new_device(MINIMAX_CLIENT_ID, challenge)
        return 200, {
            "user_code": user_code,
            "verification_uri": f"{self.base_url}/login/device?user_code={user_code}",
            "expired_in": int((device.issued_at + self._device_ttl) * 1000),
            "interval": device.interval * 1000,
            "state": form.get("state", ""),
        }

    def _minimax_token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != MINIMAX_CLIENT_ID:
            return 400, {"base_resp": {"status_code": 1004, "status_msg": "invalid client"}}
        with self._lock:
            device = self._devices.get(form.get("user_code", ""))
            if device is None or device.client_id != MINIMAX_CLIENT_ID or device.status == "used":
                return 200, {"status": "error"}
            if not self._device_verifier_ok(device, form.get("code_verifier", "")):
                return 200, {"status": "error"}
            device.last_poll = None  # MiniMax has no slow_down; its clients back off by themselves
            status = self._poll_status(device)
            if status == "authorization_pending":
                return 200, {"status": "pending"}
            if status != "approved":
                return 200, {"status": "error"}
            device.status = "used"
            self._events.append("device_token_issued")
            tokens = self._issue(self._new_grant(MINIMAX_CLIENT_ID, True))
        expires_in = tokens.pop("expires_in")
        return 200, {"status": "success", **tokens, "expired_in": int((self._clock() + expires_in) * 1000)}

    # -- OpenAI Codex device authorization: JSON, 403/404 while pending, approval carries the PKCE pair ---------

    def _codex_usercode(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        if not self.codex_device_enabled:
            return 404, {"error": "not_found"}
        if body.get("client_id") != OPENAI_CODEX_CLIENT_ID:
            return 400, {"error": "invalid_client"}
        user_code, device = self._new_device(OPENAI_CODEX_CLIENT_ID)
        return 200, {"device_auth_id": device.device_code, "user_code": user_code, "interval": str(device.interval)}

    def _codex_device_token(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            device = self._devices.get(str(body.get("user_code", "")))
            if device is None or not hmac.compare_digest(device.device_code, str(body.get("device_auth_id", ""))):
                return 404, {"error": "not_found"}
            if device.status == "denied" or self._clock() - device.issued_at > self._device_ttl:
                return 400, {"error": "access_denied"}
            if device.status != "approved":
                self._events.append("device_pending")
                return 403, {"error": "authorization_pending"}
            device.status = "used"
            verifier = b64url_encode(secrets.token_bytes(32))
            code = "ac_" + secrets.token_urlsafe(32)
            self._codes[code] = _Code(
                OPENAI_CODEX_CLIENT_ID,
                f"{self.base_url}/deviceauth/callback",
                challenge_for(verifier),
                "openid profile email offline_access",
                self._clock(),
                offline=True,
            )
            self._events.append("device_code_approved")
        return 200, {"authorization_code": code, "code_challenge": challenge_for(verifier), "code_verifier": verifier}

    # -- Google: userinfo and Code Assist project discovery --------------------------------------------------

    def _grant_for_bearer(self, authorization: str) -> _Grant | None:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            grant_id = self._access_tokens.get(token)
            grant = self._grants.get(grant_id) if grant_id else None
        return grant if grant is not None and not grant.revoked else None

    def _userinfo(self, authorization: str, shape: str) -> tuple[int, dict[str, Any]]:
        grant = self._grant_for_bearer(authorization)
        if grant is None:
            return 401, {"error": "invalid_token"}
        if shape == "chutes":
            username = (grant.email or grant.account_id).split("@")[0]
            return 200, {"sub": grant.account_id, "username": username, "created_at": "2026-01-01T00:00:00Z"}
        return 200, {"id": grant.account_id, "email": grant.email, "verified_email": True}

    def _code_assist(self, action: str, authorization: str) -> tuple[int, dict[str, Any]]:
        grant = self._grant_for_bearer(authorization)
        if grant is None:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
        with self._lock:
            if action == "loadCodeAssist":
                if grant.account_id in self._onboarded:
                    return 200, {"currentTier": {"id": "free-tier"}, "cloudaicompanionProject": SANDBOX_PROJECT_ID}
                return 200, {"allowedTiers": [{"id": "free-tier", "isDefault": True}]}
            if action == "onboardUser":
                name = "operations/" + secrets.token_hex(6)
                self._operations[name] = 1
                self._onboarded.add(grant.account_id)
                self._events.append("project_onboarded")
                return 200, {"name": name, "done": False}
            left = self._operations.get(action)
            if left is None:
                return 404, {"error": {"code": 404}}
            if left > 0:
                self._operations[action] = left - 1
                return 200, {"name": action, "done": False}
            return 200, {"name": action, "done": True, "response": {"cloudaicompanionProject": {"id": SANDBOX_PROJECT_ID}}}

    def _new_user_code(self) -> str:
        while True:
            letters = "".join(secrets.choice(_USER_CODE_LETTERS) for _ in range(4))
            code = f"{letters}-{secrets.randbelow(10_000):04d}"
            if code not in self._devices:
                return code

    def _device_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """GitHub answers every poll with HTTP 200; the outcome is in `error` or `access_token`."""
        client_id = form.get("client_id", "")
        if client_id not in self._clients:
            return {"error": "incorrect_client_credentials"}
        if form.get("grant_type") != DEVICE_GRANT_TYPE:
            return {"error": "unsupported_grant_type"}
        with self._lock:
            device = self._find_device(form.get("device_code", ""))
            if device is None or device.status == "used" or device.client_id != client_id:
                return {"error": "incorrect_device_code"}
            status = self._poll_status(device)
            if status == "slow_down":
                return {"error": "slow_down", "interval": device.interval}
            if status != "approved":
                return {"error": status}
            device.status = "used"
            if client_id != GITHUB_CLIENT_ID:
                self._events.append("device_token_issued")
                return self._issue(self._new_grant(client_id, True))
            self._events.append("device_token_issued")
        token = "gho_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
        return {"access_token": token, "token_type": "bearer", "scope": GITHUB_SCOPE}

    def _set_device_status(self, user_code: str, status: str) -> None:
        wanted = user_code.strip().upper().replace(" ", "")
        if len(wanted) == 8 and "-" not in wanted:
            wanted = f"{wanted[:4]}-{wanted[4:]}"
        with self._lock:
            device = self._devices.get(wanted)
            if device is None or device.status != "pending":
                raise SandboxRequestError("no pending device login has that code")
            device.status = status
            self._events.append(f"device_{status}")


def _is_loopback_callback(uri: str, path: str) -> bool:
    """Loopback redirects may use any port (RFC 8252 section 7.3); the path must be the registered one."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in ("localhost", "127.0.0.1", "::1")
        and port is not None
        and parts.path == path
        and not parts.query
    )


def _oauth_error(status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": error, "error_description": description}


def _page(title: str, body_html: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body_html}<p><small>coderclaw sandbox issuer</small></p></body></html>"
    )


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    """Many processes refreshing at once is a case the sandbox exists to show; the default backlog of 5 drops SYNs."""
    issuer: SandboxIssuer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request is normal here (a timed-out refresh); never print a traceback
        over the TUI or the test output."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "coderclaw-sandbox"

    @property
    def issuer(self) -> SandboxIssuer:
        return self.server.issuer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry codes and states."""

    def do_GET(self) -> None:
        self._reply(self._route_get())

    def do_POST(self) -> None:
        self._reply(self._route_post())

    def _route_get(self) -> _Answer:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        authorization = self.headers.get("Authorization", "")
        if parts.path in USERINFO_PATHS:
            return _json(*self.issuer._userinfo(authorization, USERINFO_PATHS[parts.path]))
        if parts.path.startswith(CODE_ASSIST_PREFIX + "/operations/"):
            return _json(*self.issuer._code_assist(parts.path[len(CODE_ASSIST_PREFIX) + 1 :], authorization))
        if parts.path in AUTHORIZE_PATHS:
            return self._authorize(
                query, query.get("approve") == "1" or self.issuer._auto_approve, query.get("deny") == "1"
            )
        if parts.path in ("/login/device", "/codex/device"):
            form = (
                '<form method="post" action="/login/device"><label>Code <input name="user_code"></label>'
                '<button name="decision" value="approve">Approve</button>'
                '<button name="decision" value="deny">Deny</button></form>'
            )
            return _html(200, _page("Device activation", form))
        return _html(404, _page("Not found", ""))

    def _route_post(self) -> _Answer | None:
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return _json(413, {"error": "invalid_request", "error_description": "missing or oversized body"})
        raw = self.rfile.read(int(length))
        path = urlsplit(self.path).path
        if path in JSON_PATHS:
            return self._json_route(path, raw)
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            return _json(400, {"error": "invalid_request", "error_description": "requests must be form-encoded"})
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        if path == "/api/v1/oauth2/device/code":
            return _json(*self.issuer._qwen_device_code(form))
        if path == "/api/v1/oauth2/token":
            if form.get("grant_type") == "refresh_token":
                return self._token(form)
            return _json(*self.issuer._qwen_token(form))
        if path == "/oauth/code":
            return _json(*self.issuer._minimax_code(form))
        if path in ("/oauth/token", "/idp/token", "/token") and form.get("grant_type") == MINIMAX_USER_CODE_GRANT:
            return _json(*self.issuer._minimax_token(form))
        if path in AUTHORIZE_PATHS:
            query = dict(parse_qsl(urlsplit(self.path).query))
            decision = form.get("decision")
            return self._authorize(query, decision == "approve", decision == "deny")
        if path in ("/oauth/token", "/idp/token", "/token"):
            return self._token(form)
        if path == "/login/device/code":
            return self._github(*self.issuer._device_code(form))
        if path == "/login/oauth/access_token":
            return self._github(200, self.issuer._device_token(form))
        if path in ("/login/device", "/codex/device"):
            try:
                if form.get("decision") == "deny":
                    self.issuer.deny_device(form.get("user_code", ""))
                    return _html(200, _page("Denied", "<p>The device login was denied.</p>"))
                self.issuer.approve_device(form.get("user_code", ""))
            except SandboxRequestError as exc:
                return _html(400, _page("Unknown code", f"<p>{html.escape(str(exc))}</p>"))
            return _html(200, _page("Device approved", "<p>Return to your terminal.</p>"))
        return _json(404, {"error": "not_found"})

    def _json_route(self, path: str, raw: bytes) -> _Answer:
        """The endpoints that take JSON: Codex's device authorization and Google's Code Assist."""
        if self.headers.get_content_type() != "application/json":
            return _json(400, {"error": "invalid_request", "error_description": "requests must be JSON"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _json(400, {"error": "invalid_request", "error_description": "the body is not a JSON object"})
        if path == "/api/accounts/deviceauth/usercode":
            return _json(*self.issuer._codex_usercode(body))
        if path == "/api/accounts/deviceauth/token":
            return _json(*self.issuer._codex_device_token(body))
        action = path[len(CODE_ASSIST_PREFIX) + 1 :]
        return _json(*self.issuer._code_assist(action, self.headers.get("Authorization", "")))

    def _authorize(self, query: dict[str, str], approve: bool, deny: bool) -> _Answer:
        try:
            if approve or deny:
                location = self.issuer._decide(query, approve=approve)
                return _Answer(302, b"", "text/plain", (("Location", location),))
            self.issuer._validate_authorize(query)
        except SandboxRequestError as exc:
            return _html(400, _page("Invalid request", f"<p>{html.escape(str(exc))}</p>"))
        here = html.escape(self.path)
        body = (
            f"<p>coderclaw wants to sign in as {html.escape(self.issuer._email or self.issuer._account_id)}.</p>"
            f'<form method="post" action="{here}"><button name="decision" value="approve">Approve</button> '
            f'<button name="decision" value="deny">Deny</button></form>'
            f'<p><a id="approve" href="{here}&amp;approve=1">Approve</a> · <a href="{here}&amp;deny=1">Deny</a></p>'
        )
        return _html(200, _page("Sign in to the sandbox", body))

    def _token(self, form: dict[str, str]) -> _Answer | None:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return _json(*self.issuer._exchange(form))
        if grant_type == "refresh_token":
            outcome = self.issuer._refresh(form)
            if outcome is _HANG:
                self.issuer._stopping.wait(self.issuer._hang_seconds)
                self.close_connection = True
                return None
            return _json(*outcome)  # type: ignore[misc]
        return _json(400, {"error": "unsupported_grant_type"})

    def _github(self, status: int, payload: dict[str, Any]) -> _Answer:
        """JSON when asked for it (`Accept: application/json`), else form-encoded, as GitHub does."""
        if "application/json" in self.headers.get("Accept", ""):
            return _json(status, payload)
        return _Answer(status, urlencode(payload).encode(), "application/x-www-form-urlencoded")

    def _reply(self, answer: _Answer | None) -> None:
        if answer is None:
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)


def _json(status: int, payload: dict[str, Any]) -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), "application/json")


def _html(status: int, page: str) -> _Answer:
    return _Answer(status, page.encode(), "text/html; charset=utf-8")
