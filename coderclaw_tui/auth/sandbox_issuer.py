"""An OAuth issuer on loopback that behaves like OpenAI's and GitHub's, for `--sandbox` and the tests.

It is strict where the real providers are strict, so a flow that passes here is right there too: PKCE S256 is
checked, codes are single-use and short-lived, token requests must be form-encoded, refresh tokens rotate and a
reused one revokes the whole grant (RFC 9700), and the device endpoints answer in GitHub's shape (errors with
HTTP 200). It runs a `ThreadingHTTPServer` in a daemon thread, so other processes can call it while a test or
the CLI drives it; every piece of state sits behind one lock.
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
from coderclaw_tui.flows.device_login import DEVICE_GRANT_TYPE, GITHUB_CLIENT_ID, GITHUB_SCOPE
from coderclaw_tui.providers.catalogue import OPENAI_CODEX_CLIENT_ID

FAILURE_KINDS = frozenset(
    {"invalid_grant", "refresh_token_expired", "refresh_token_invalidated", "unauthorized", "server_error", "hang"}
)
"""What `fail_next_refresh` can inject. "hang" rotates the token and then never answers, as a server does when
the client's timeout fires after the rotation was committed."""

MAX_BODY_BYTES = 65_536
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


@dataclass
class _Grant:
    email: str | None
    account_id: str
    offline: bool
    revoked: bool = False


@dataclass
class _Device:
    device_code: str
    issued_at: float
    interval: int
    status: str = "pending"
    last_poll: float | None = None


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

    def approve_device(self, user_code: str) -> None:
        self._set_device_status(user_code, "approved")

    def deny_device(self, user_code: str) -> None:
        self._set_device_status(user_code, "denied")

    # -- authorization code + PKCE ---------------------------------------------------------------------------

    def _validate_authorize(self, params: Mapping[str, str]) -> None:
        if params.get("client_id") != OPENAI_CODEX_CLIENT_ID:
            raise SandboxRequestError("unknown client_id")
        if not _is_loopback_callback(params.get("redirect_uri", "")):
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
            verifier = form.get("code_verifier", "")
            if not _PKCE_VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
                challenge_for(verifier), record.challenge
            ):
                return _oauth_error(400, "invalid_grant", "PKCE verification failed")
            record.grant_id = "grant_" + secrets.token_hex(8)
            self._grants[record.grant_id] = _Grant(
                self._email, self._account_id, "offline_access" in record.scope.split()
            )
            self._events.append("code_exchanged")
            return 200, self._issue(record.grant_id)

    def _refresh(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]] | object:
        with self._lock:
            self._refresh_count += 1
            injected, self._fail_next = self._fail_next, None
            if injected is not None and injected != "hang":
                self._events.append(f"refresh_failed_{injected}")
                status = {"unauthorized": 401, "server_error": 500}.get(injected, 400)
                return _oauth_error(status, injected, "injected by the sandbox")
            if form.get("client_id") != OPENAI_CODEX_CLIENT_ID:
                return _oauth_error(401, "invalid_client", "unknown client_id")
            entry = self._refresh_tokens.get(form.get("refresh_token", ""))
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
        if form.get("client_id") != GITHUB_CLIENT_ID:
            return 401, {"error": "incorrect_client_credentials"}
        with self._lock:
            user_code = self._new_user_code()
            device = _Device("dc_" + secrets.token_hex(20), self._clock(), self._device_interval)
            if self._auto_approve:
                device.status = "approved"
            self._devices[user_code] = device
            self._events.append("device_code_issued")
        return 200, {
            "device_code": device.device_code,
            "user_code": user_code,
            "verification_uri": f"{self.base_url}/login/device",
            "expires_in": self._device_ttl,
            "interval": device.interval,
        }

    def _new_user_code(self) -> str:
        while True:
            letters = "".join(secrets.choice(_USER_CODE_LETTERS) for _ in range(4))
            code = f"{letters}-{secrets.randbelow(10_000):04d}"
            if code not in self._devices:
                return code

    def _device_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """GitHub answers every poll with HTTP 200; the outcome is in `error` or `access_token`."""
        if form.get("client_id") != GITHUB_CLIENT_ID:
            return {"error": "incorrect_client_credentials"}
        if form.get("grant_type") != DEVICE_GRANT_TYPE:
            return {"error": "unsupported_grant_type"}
        with self._lock:
            device = next(
                (d for d in self._devices.values() if hmac.compare_digest(d.device_code, form.get("device_code", ""))),
                None,
            )
            if device is None or device.status == "used":
                return {"error": "incorrect_device_code"}
            now = self._clock()
            if now - device.issued_at > self._device_ttl:
                self._events.append("device_expired")
                return {"error": "expired_token"}
            if device.status == "denied":
                self._events.append("device_denied")
                return {"error": "access_denied"}
            too_fast = device.last_poll is not None and now - device.last_poll < device.interval
            device.last_poll = now
            if too_fast:
                device.interval += 5
                self._events.append("device_slow_down")
                return {"error": "slow_down", "interval": device.interval}
            if device.status == "pending":
                self._events.append("device_pending")
                return {"error": "authorization_pending"}
            device.status = "used"
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


def _is_loopback_callback(uri: str) -> bool:
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
        and parts.path == "/auth/callback"
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
        if parts.path == "/oauth/authorize":
            return self._authorize(
                query, query.get("approve") == "1" or self.issuer._auto_approve, query.get("deny") == "1"
            )
        if parts.path == "/login/device":
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
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            return _json(400, {"error": "invalid_request", "error_description": "requests must be form-encoded"})
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        path = urlsplit(self.path).path
        if path == "/oauth/authorize":
            query = dict(parse_qsl(urlsplit(self.path).query))
            decision = form.get("decision")
            return self._authorize(query, decision == "approve", decision == "deny")
        if path == "/oauth/token":
            return self._token(form)
        if path == "/login/device/code":
            return self._github(*self.issuer._device_code(form))
        if path == "/login/oauth/access_token":
            return self._github(200, self.issuer._device_token(form))
        if path == "/login/device":
            try:
                if form.get("decision") == "deny":
                    self.issuer.deny_device(form.get("user_code", ""))
                    return _html(200, _page("Denied", "<p>The device login was denied.</p>"))
                self.issuer.approve_device(form.get("user_code", ""))
            except SandboxRequestError as exc:
                return _html(400, _page("Unknown code", f"<p>{html.escape(str(exc))}</p>"))
            return _html(200, _page("Device approved", "<p>Return to your terminal.</p>"))
        return _json(404, {"error": "not_found"})

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
