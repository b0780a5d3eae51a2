"""A token endpoint on loopback that misbehaves on purpose, for the fault-injection tests.

It rotates refresh tokens like OpenAI (each refresh token works once; a spent one sent again revokes the whole
family) and, depending on `mode`, answers a refresh in one of the ways real servers and networks fail: slowly,
with odd but successful bodies, with garbage, with 300 MB, by hanging up, or by echoing the refresh token back
in an error. Raw socket writes, so nothing about the answer is tidied up by a framework.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT = "acct_fault_0001"
EMAIL = "fault.user@example.test"
PROFILE = f"openai-codex:{EMAIL}"

ODD_200 = {
    "expires_in missing": {"expires_in": None},
    "expires_in zero": {"expires_in": 0},
    "expires_in negative": {"expires_in": -60},
    "expires_in a string": {"expires_in": "3600"},
    "expires_in 1e308": {"expires_in": "RAW:1e308"},
    "access token not a JWT": {"access_token": "opaque-access-token-0001"},
    "access token with control characters": {"access_token": "eyJhbGciOi.\x1b]52;c;cHduZWQ=\x07.sig"},
    "JWT exp 1e308": {"jwt_exp": "RAW:1e308"},
}
"""Successful answers that carry a new refresh token but something unusable besides."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(exp: Any = None, raw_exp: str | None = None) -> str:
    """An unsigned JWT with OpenAI's claims; `raw_exp` is spliced in as written (for numbers JSON cannot hold)."""
    claims = {
        "https://api.openai.com/auth": {"chatgpt_account_id": ACCOUNT},
        "https://api.openai.com/profile": {"email": EMAIL},
        "exp": int(time.time()) + 3600 if exp is None else exp,
        "nonce": secrets.token_hex(4),
    }
    payload = json.dumps(claims)
    if raw_exp is not None:
        payload = payload.replace(f'"exp": {json.dumps(claims["exp"])}', f'"exp": {raw_exp}')
    header = b64url(b'{"alg":"none"}')
    return f"{header}.{b64url(payload.encode())}.sig"


class FaultyEndpoint:
    """`mode` is one of: ok, odd:<ODD_200 key>, garbled, huge, trickle-body, trickle-head, reset,
    echo-400, echo-unknown, echo-401, echo-500."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.live: set[str] = set()
        self.spent: set[str] = set()
        self.received: list[str] = []
        self.reused = 0
        self.request_times: list[float] = []
        """`time.monotonic()` when each refresh request arrived."""
        self.before_answer: Callable[[], None] | None = None
        """Run in the server thread after a refresh token was spent and before the answer is sent."""
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.endpoint = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def new_refresh(self) -> str:
        token = "rt_" + secrets.token_urlsafe(32)
        with self.lock:
            self.live.add(token)
        return token

    def rotate(self, token: str) -> str | None:
        """Spend `token` and return its successor; a spent token revokes every live one (reuse detection)."""
        with self.lock:
            self.received.append(token)
            if token in self.spent:
                self.reused += 1
                self.spent |= self.live
                self.live.clear()
                return None
            if token not in self.live:
                return None
            self.live.discard(token)
            self.spent.add(token)
        return self.new_refresh()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        endpoint: FaultyEndpoint = self.server.endpoint  # type: ignore[attr-defined]
        endpoint.request_times.append(time.monotonic())
        form = dict(parse_qsl(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()))
        sent = form.get("refresh_token", "")
        mode = endpoint.mode
        if mode.startswith("echo-"):
            with endpoint.lock:
                endpoint.received.append(sent)
            if endpoint.before_answer is not None:
                endpoint.before_answer()
            self._echo(mode, sent)
            return
        new = endpoint.rotate(sent)
        if new is not None and endpoint.before_answer is not None:
            endpoint.before_answer()
        if new is None:
            self._send(400, json.dumps({"error": "refresh_token_reused"}).encode())
            return
        if mode == "ok":
            self._send(200, json.dumps({"access_token": jwt(), "refresh_token": new, "expires_in": 3600}).encode())
        elif mode.startswith("odd:"):
            self._send(200, _odd_body(ODD_200[mode[4:]], new))
        elif mode == "garbled":
            self._send(200, b'{"access_token": "eyJhbGciOi')
        elif mode == "huge":
            self._huge()
        elif mode == "trickle-body":
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x" * 100000, 0.0)
        elif mode == "trickle-head":
            self._trickle(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" * 1000, 0.5)
        elif mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

    def _echo(self, mode: str, token: str) -> None:
        if mode == "echo-400":
            body = {"error": "invalid_grant", "error_description": f"The refresh token {token} is invalid."}
            self._send(400, json.dumps(body).encode())
        elif mode == "echo-unknown":
            self._send(400, json.dumps({"error": f"bad_{token}", "message": token}).encode())
        elif mode == "echo-401":
            self._send(401, f"token {token} rejected\x1b[2J".encode(), "text/plain")
        else:
            self._send(500, json.dumps({"error": "server_error", "error_description": token}).encode())

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _huge(self) -> None:
        size = 300 * 1024 * 1024
        self.wfile.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"[" * 65536
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def _trickle(self, head: bytes, body: bytes, per_byte_s: float) -> None:
        """Every read the client makes gets something within a fraction of a second; the whole never arrives in
        time. `head` goes at once, then `body` a byte (head mode) or a byte every 0.2 s."""
        delay = per_byte_s or 0.2
        try:
            self.wfile.write(head)
            self.wfile.flush()
            for byte in body:
                time.sleep(delay)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


def _odd_body(variant: dict[str, Any], new_refresh: str) -> bytes:
    body: dict[str, Any] = {"access_token": jwt(), "refresh_token": new_refresh, "expires_in": 3600}
    raw: dict[str, str] = {}
    for key, value in variant.items():
        if key == "jwt_exp":
            body["access_token"] = jwt(raw_exp=value[4:])
        elif value is None:
            body.pop(key)
        elif isinstance(value, str) and value.startswith("RAW:"):
            body[key] = f"@@{key}@@"
            raw[f'"@@{key}@@"'] = value[4:]
        else:
            body[key] = value
    text = json.dumps(body)
    for marker, value in raw.items():
        text = text.replace(marker, value)
    return text.encode()
