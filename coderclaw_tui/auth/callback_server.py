"""The loopback listener that receives the browser's OAuth redirect.

Anything on the machine (or a web page in the browser) can talk to this port, so every request is capped in
size and time, only a request carrying this login's state can finish it, and nothing a stranger sends can change
the login. `GET /cancel` (which CoderClaw's and Codex's own logins send before taking the port) stops it, but only
when addressed to this loopback port by name and not sent by a web page; the login then says so on its screen.

A login never stops another one: finding the port held (by another login of ours, told apart by the header our
answers carry, or by any other program, on 127.0.0.1 or on [::1]), it moves to the fallback port or to paste-only
and says which and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import html
import os
import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from coderclaw_tui.auth.login_settings import FALLBACK_PORT_ENV, PORT_ENV
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.providers.catalogue import OPENAI_CODEX_CALLBACK_PORT, OPENAI_CODEX_FALLBACK_PORT

CALLBACK_PATH = "/auth/callback"
CANCEL_PATH = "/cancel"
DEFAULT_PORT = OPENAI_CODEX_CALLBACK_PORT
FALLBACK_PORT = OPENAI_CODEX_FALLBACK_PORT

MAX_REQUEST_LINE = 8_192
MAX_HEADER_BYTES = 32_768
MAX_HEADERS = 100
MAX_CONNECTIONS = 32
CONNECTION_TIMEOUT = 5.0
CLIENT_CLOSE_GRACE = 1.0
OURS_HEADER = "X-CoderClaw-Login"
"""On every answer of ours, so a new login can tell another coderclaw login on the port from a foreign program."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

_SINGLE_HEADERS = frozenset({"host", "origin", "sec-fetch-site"})
"""Headers a request may carry once: a second one could say something else than the one checked."""
_PASTE_INSTEAD = "so the browser cannot hand the login back automatically; paste the redirect URL instead."
_ADDRESS_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}


def callback_port_from_env(env: Mapping[str, str] | None = None) -> int:
    """The preferred callback port: `$CODERCLAW_OAUTH_CALLBACK_PORT`, else 1455."""
    return _port_setting(env, PORT_ENV, DEFAULT_PORT)


def fallback_port_from_env(env: Mapping[str, str] | None = None) -> int:
    """Where a login goes when the callback port is held: `$CODERCLAW_OAUTH_FALLBACK_PORT`, else 1457."""
    return _port_setting(env, FALLBACK_PORT_ENV, FALLBACK_PORT)


def _port_setting(env: Mapping[str, str] | None, name: str, default: int) -> int:
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65_535:
        raise UsageError(f"{name} must be a port number from 1 to 65535, not {raw[:20]!r}.")
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


class PortBusy(OSError):
    """The callback port is held on `host` by something else (another login of ours, or any program)."""

    def __init__(self, port: int, host: str) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is in use on {host}")
        self.port = port
        self.host = host


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
        """Bind 127.0.0.1 and ::1, or raise `PortBusy` (another program holds the port on either address; a
        browser resolving `localhost` to the holder would hand it the code) or another OSError. A machine without
        an IPv6 loopback is fine: browsers then reach us on 127.0.0.1."""
        self._outcome = asyncio.get_running_loop().create_future()
        try:
            primary = await asyncio.start_server(self._handle, "127.0.0.1", self._port, limit=MAX_REQUEST_LINE)
        except OSError as exc:
            if exc.errno in _ADDRESS_IN_USE:
                raise PortBusy(self._port, "127.0.0.1") from None
            raise
        self._servers.append(primary)
        self._port = primary.sockets[0].getsockname()[1]
        self.addresses.append(f"127.0.0.1:{self._port}")
        try:
            self._servers.append(await asyncio.start_server(self._handle, "::1", self._port, limit=MAX_REQUEST_LINE))
            self.addresses.append(f"[::1]:{self._port}")
        except OSError as exc:
            if exc.errno in _ADDRESS_IN_USE:
                self.close()
                raise PortBusy(self._port, "::1") from exc

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
        """A program on this machine asks the login to stop. Refused unless the request names this loopback port
        as its Host (a DNS-rebinding page names its own host) and is no browser's cross-site or same-site request
        (a page elsewhere, or on another localhost port, cannot cancel a login)."""
        host = request.headers.get("host", "").lower()
        if host not in {f"{name}:{self._port}" for name in LOOPBACK_NAMES}:
            raise _HttpError(403, "Only a request to this loopback port by name may cancel this login.")
        fetch_site = request.headers.get("sec-fetch-site", "none")
        if "origin" in request.headers or fetch_site not in ("none", "same-origin"):
            raise _HttpError(403, "A web page may not cancel this login.")
        return _Reply(
            200,
            "Login cancelled",
            "The coderclaw login waiting on this port was cancelled; its screen says so.",
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
        key = name.strip().lower()
        if not colon or not key or name != name.strip() or (key in headers and key in _SINGLE_HEADERS):
            raise _HttpError(400, "Malformed header.")
        headers[key] = value.strip()
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
        *(reply.headers or ((OURS_HEADER, "waiting"),)),
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
    probe_timeout: float = 0.5,
    path: str = CALLBACK_PATH,
) -> ListenerOutcome:
    """Listen on `port`, else on `fallback_port`, else paste only; never by stopping whatever holds a port."""
    candidates = [port] if fallback_port in (None, port) else [port, fallback_port]
    problems: list[str] = []
    for candidate in candidates:
        bound = await _bind(expected_state, candidate, path)
        if isinstance(bound, CallbackServer):
            where = " and ".join(bound.addresses)
            if problems:
                message = f"{_sentence(problems)}, so this login listens on port {bound.port} instead ({where})."
            else:
                message = f"Listening on {where} for the browser's redirect."
            return ListenerOutcome(bound, bound.port, message)
        problems.append(await _describe(candidate, bound, probe_timeout))
    return ListenerOutcome(None, port, f"{_sentence(problems)}, {_PASTE_INSTEAD}")


async def _bind(state: str, port: int, path: str = CALLBACK_PATH) -> CallbackServer | OSError:
    server = CallbackServer(state, port=port, path=path)
    try:
        await server.start()
    except OSError as exc:
        server.close()
        return exc
    return server


async def _describe(port: int, problem: OSError, timeout: float) -> str:
    """What holds the port, in words: another coderclaw login (it answers with our header) or another program."""
    if not isinstance(problem, PortBusy):
        reason = os.strerror(problem.errno) if problem.errno else "unknown error"
        return f"port {port} could not be opened ({reason})"
    where = "" if problem.host == "127.0.0.1" else f" on [{problem.host}]"
    if await _is_our_login(problem.host, port, timeout):
        return f"another coderclaw login is already waiting on port {port}{where} (it is left running)"
    return f"port {port}{where} is in use by another program"


async def _is_our_login(host: str, port: int, timeout: float) -> bool:
    """Ask whatever holds `host:port` a harmless question; True if it answers as a coderclaw login."""
    name = f"[{host}]" if ":" in host else host
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(f"GET / HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    return f"\r\n{OURS_HEADER.lower()}: ".encode() in head.lower()


def _sentence(problems: list[str]) -> str:
    """The problems as one sentence's start; two ports held by foreign programs read as one clause."""
    foreign = [re.fullmatch(r"port (\d+) is in use by another program", problem) for problem in problems]
    if len(problems) > 1 and all(foreign):
        text = "ports " + " and ".join(match.group(1) for match in foreign if match) + " are in use by other programs"
    else:
        text = " and ".join(problems)
    return text[0].upper() + text[1:]
