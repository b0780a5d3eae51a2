"""The loopback listener that receives the browser's OAuth redirect.

Anything on the machine (or a web page in the browser) can talk to this port, so every request is capped in
size and time, only a request carrying this login's state can finish it, and nothing a stranger sends can end
or change the login. `GET /cancel` exists so a new login can stop a stale one of ours that still holds the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import html
import os
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.providers.catalogue import OPENAI_CODEX_CALLBACK_PORT, OPENAI_CODEX_FALLBACK_PORT

CALLBACK_PATH = "/auth/callback"
CANCEL_PATH = "/cancel"
DEFAULT_PORT = OPENAI_CODEX_CALLBACK_PORT
FALLBACK_PORT = OPENAI_CODEX_FALLBACK_PORT
PORT_ENV = "CODERCLAW_OAUTH_CALLBACK_PORT"

MAX_REQUEST_LINE = 8_192
MAX_HEADER_BYTES = 32_768
MAX_HEADERS = 100
MAX_CONNECTIONS = 32
CONNECTION_TIMEOUT = 5.0
CLIENT_CLOSE_GRACE = 1.0
OURS_HEADER = "X-CoderClaw-Login"
"""Marks our answer to `/cancel`, so a new login can tell a stale login of ours from a foreign program."""

_PASTE_INSTEAD = "so the browser cannot hand the login back automatically; paste the redirect URL instead."
_ADDRESS_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}


def callback_port_from_env(env: Mapping[str, str] | None = None) -> int:
    """The preferred callback port: `$CODERCLAW_OAUTH_CALLBACK_PORT`, else 1455."""
    raw = (os.environ if env is None else env).get(PORT_ENV, "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65_535:
        raise UsageError(f"{PORT_ENV} must be a port number from 1 to 65535, not {raw[:20]!r}.")
    return int(raw)


def redirect_uri_for(port: int, *, host: str = "localhost", path: str = CALLBACK_PATH) -> str:
    """The redirect URI names `localhost` (what most providers register) while we bind the loopback addresses."""
    return f"http://{host}:{port}{path}"


@dataclass(frozen=True)
class CallbackResult:
    """What the browser brought back: a code, or the provider's error name when the user declined."""

    code: str | None = field(repr=False)
    error: str | None = None


@dataclass(frozen=True)
class _Request:
    method: str
    target: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Reply:
    status: int
    title: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()
    stop_listening: bool = False


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.reply = _Reply(status, HTTPStatus(status).phrase, message)


class CallbackServer:
    """Listens on 127.0.0.1 (and, best effort, ::1) until the first valid callback, a close, or `/cancel`."""

    def __init__(
        self,
        expected_state: str,
        *,
        port: int = DEFAULT_PORT,
        path: str = CALLBACK_PATH,
        connection_timeout: float = CONNECTION_TIMEOUT,
    ) -> None:
        self._expected_state = expected_state.encode()
        self._port = port
        self._path = path
        self._connection_timeout = connection_timeout
        self._servers: list[asyncio.Server] = []
        self._connections: dict[asyncio.StreamWriter, bool] = {}  # writer -> answered
        self._outcome: asyncio.Future[CallbackResult | None] | None = None
        self.addresses: list[str] = []
        self.cancelled_remotely = False

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        """Bind, or raise OSError (EADDRINUSE when another program holds the port)."""
        self._outcome = asyncio.get_running_loop().create_future()
        primary = await asyncio.start_server(self._handle, "127.0.0.1", self._port, limit=MAX_REQUEST_LINE)
        self._servers.append(primary)
        self._port = primary.sockets[0].getsockname()[1]
        self.addresses.append(f"127.0.0.1:{self._port}")
        try:
            self._servers.append(await asyncio.start_server(self._handle, "::1", self._port, limit=MAX_REQUEST_LINE))
            self.addresses.append(f"[::1]:{self._port}")
        except OSError:
            pass  # No IPv6 loopback here, or ::1 is taken: browsers then reach us on 127.0.0.1.

    async def wait(self) -> CallbackResult | None:
        """The first valid callback, or None once the listener is closed or cancelled without one."""
        if self._outcome is None:
            raise RuntimeError("CallbackServer.wait() called before start()")
        return await asyncio.shield(self._outcome)

    def close(self) -> None:
        """Stop listening and end every connection, so the port is free the moment this returns.

        Unanswered connections are reset (no TIME_WAIT left behind). Answered ones are left for the browser to
        hang up (it was told `Connection: close`; the handler's timeout bounds the wait), so the TIME_WAIT lands on
        the browser's side and even a program that binds without SO_REUSEADDR can take the port right after."""
        for server in self._servers:
            server.close()
        self._servers.clear()
        for writer, answered in list(self._connections.items()):
            if not answered:
                _reset(writer)
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(None)

    async def __aenter__(self) -> CallbackServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= MAX_CONNECTIONS or not self._servers:
            _reset(writer)
            return
        self._connections[writer] = False
        try:
            async with asyncio.timeout(self._connection_timeout):
                try:
                    reply = self._route(await _read_request(reader))
                except _HttpError as exc:
                    reply = exc.reply
                await _send(writer, reply)
            self._connections[writer] = True
            if reply.stop_listening:
                self.cancelled_remotely = True
                self.close()
            await _await_client_close(reader)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # A slow, silent or vanished client: drop it; the login goes on.
        finally:
            self._connections.pop(writer, None)
            writer.close()

    def _route(self, request: _Request) -> _Reply:
        target = urlsplit(request.target)
        if target.path not in (self._path, CANCEL_PATH):
            raise _HttpError(404, "Not found.")
        if request.method != "GET":
            raise _HttpError(405, "Only GET is accepted here.")
        if target.path == CANCEL_PATH:
            return self._cancel(request)
        try:
            params = parse_qs(target.query, keep_blank_values=True, max_num_fields=20)
        except ValueError as exc:
            raise _HttpError(400, "Too many parameters.") from exc
        return self._callback(params)

    def _cancel(self, request: _Request) -> _Reply:
        """Another coderclaw login asks for the port; a cross-site page in a browser may not."""
        fetch_site = request.headers.get("sec-fetch-site", "none")
        if "origin" in request.headers or fetch_site not in ("none", "same-origin"):
            raise _HttpError(403, "Only a coderclaw login on this machine may cancel this one.")
        return _Reply(
            200,
            "Login cancelled",
            "A newer coderclaw login took over this port.",
            ((OURS_HEADER, "cancelled"),),
            stop_listening=True,
        )

    def _callback(self, params: dict[str, list[str]]) -> _Reply:
        states = params.get("state", [])
        if len(states) != 1 or not hmac.compare_digest(states[0].encode(), self._expected_state):
            raise _HttpError(400, "State mismatch: this sign-in does not belong to the login waiting in your terminal.")
        codes, errors = params.get("code", []), params.get("error", [])
        if len(codes) > 1:
            raise _HttpError(400, "More than one authorization code.")
        assert self._outcome is not None
        if not codes or not codes[0]:
            if not errors:
                raise _HttpError(400, "Missing authorization code.")
            if not self._outcome.done():
                self._outcome.set_result(CallbackResult(code=None, error=errors[0][:100]))
            raise _HttpError(400, "The sign-in was not completed; return to your terminal.")
        if self._outcome.done():
            return _Reply(200, "Already signed in", "This login already finished — return to your terminal.")
        self._outcome.set_result(CallbackResult(code=codes[0]))
        return _Reply(200, "Authentication successful", "Authentication successful — return to your terminal.")


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than a FIN, so no TIME_WAIT is left holding the port."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _await_client_close(reader: asyncio.StreamReader) -> None:
    """Let the client hang up first (it was told `Connection: close`), so TIME_WAIT lands on its side and this
    port can be bound again at once, even by programs that do not set SO_REUSEADDR."""
    try:
        async with asyncio.timeout(CLIENT_CLOSE_GRACE):
            while await reader.read(4_096):
                pass
    except (TimeoutError, ConnectionError):
        pass


async def _read_line(reader: asyncio.StreamReader, too_long: _HttpError) -> str:
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise too_long from exc
    try:
        return raw.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise _HttpError(400, "Malformed request.") from exc


async def _read_request(reader: asyncio.StreamReader) -> _Request:
    parts = (await _read_line(reader, _HttpError(400, "Request line too long."))).split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _HttpError(400, "Malformed request.")
    headers: dict[str, str] = {}
    total = 0
    while line := await _read_line(reader, _HttpError(431, "Request headers too large.")):
        total += len(line)
        if total > MAX_HEADER_BYTES or len(headers) >= MAX_HEADERS:
            raise _HttpError(431, "Request headers too large.")
        name, colon, value = line.partition(":")
        if not colon:
            raise _HttpError(400, "Malformed header.")
        headers[name.strip().lower()] = value.strip()
    return _Request(parts[0], parts[1], headers)


async def _send(writer: asyncio.StreamWriter, reply: _Reply) -> None:
    title, message = html.escape(reply.title), html.escape(reply.message)
    body = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{message}</p></body></html>"
    ).encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        *reply.headers,
    ]
    if reply.status == 405:
        headers.append(("Allow", "GET"))
    head = f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    writer.write(head.encode("ascii") + body)
    await writer.drain()


@dataclass(frozen=True)
class ListenerOutcome:
    """Where the redirect will land: a running server, or None (paste only) with the reason in `message`."""

    server: CallbackServer | None
    port: int
    message: str

    @property
    def paste_only(self) -> bool:
        return self.server is None


async def open_callback_listener(
    expected_state: str,
    *,
    port: int = DEFAULT_PORT,
    fallback_port: int | None = FALLBACK_PORT,
    settle_time: float = 1.0,
    probe_timeout: float = 0.5,
    path: str = CALLBACK_PATH,
) -> ListenerOutcome:
    """Listen on `port`, taking it over from a stale login of ours, else on `fallback_port`, else paste only."""
    candidates = [port] if fallback_port in (None, port) else [port, fallback_port]
    problems: list[tuple[int, OSError]] = []
    for candidate in candidates:
        bound, took_over = await _listen_on(expected_state, candidate, settle_time, probe_timeout, path)
        if isinstance(bound, CallbackServer):
            where = " and ".join(bound.addresses)
            if problems:
                message = f"{_describe(problems)}, so the login listens on port {bound.port} instead ({where})."
            elif took_over:
                message = f"Stopped an earlier coderclaw login that held port {bound.port}; listening on {where}."
            else:
                message = f"Listening on {where} for the browser's redirect."
            return ListenerOutcome(bound, bound.port, message)
        problems.append((candidate, bound))
    return ListenerOutcome(None, port, f"{_describe(problems)}, {_PASTE_INSTEAD}")


async def _listen_on(
    state: str, port: int, settle_time: float, probe_timeout: float, path: str = CALLBACK_PATH
) -> tuple[CallbackServer | OSError, bool]:
    """Bind `port`; if it is busy and a stale login of ours answers `/cancel`, wait briefly for it to let go."""
    first = await _bind(state, port, path)
    if isinstance(first, CallbackServer) or first.errno not in _ADDRESS_IN_USE:
        return first, False
    if not await _cancel_stale_login(port, probe_timeout):
        return first, False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_time
    while True:
        await asyncio.sleep(0.05)
        attempt = await _bind(state, port, path)
        if isinstance(attempt, CallbackServer) or loop.time() >= deadline:
            return attempt, isinstance(attempt, CallbackServer)


async def _bind(state: str, port: int, path: str = CALLBACK_PATH) -> CallbackServer | OSError:
    server = CallbackServer(state, port=port, path=path)
    try:
        await server.start()
    except OSError as exc:
        server.close()
        return exc
    return server


async def _cancel_stale_login(port: int, timeout: float) -> bool:
    """Ask whatever holds `port` to cancel; True only if it answered as a coderclaw login."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(
                    f"GET {CANCEL_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
                )
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    return head.startswith(b"HTTP/1.1 200 ") and f"\r\n{OURS_HEADER.lower()}: cancelled\r\n".encode() in head.lower()


def _describe(problems: list[tuple[int, OSError]]) -> str:
    """'Port 1455 is in use by another program' and friends, for every port that failed."""
    if len(problems) > 1 and all(exc.errno in _ADDRESS_IN_USE for _, exc in problems):
        ports = " and ".join(str(port) for port, _ in problems)
        return f"Ports {ports} are in use by other programs"
    parts = [
        f"port {port} is in use by another program"
        if exc.errno in _ADDRESS_IN_USE
        else f"port {port} could not be opened ({os.strerror(exc.errno) if exc.errno else 'unknown error'})"
        for port, exc in problems
    ]
    text = " and ".join(parts)
    return text[0].upper() + text[1:]
