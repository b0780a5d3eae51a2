"""The loopback listener, over real sockets, against the requests a browser, a stranger or a stale login send."""

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from coderclaw_tui.auth.callback_server import (
    DEFAULT_PORT,
    CallbackResult,
    CallbackServer,
    callback_port_from_env,
    open_callback_listener,
    redirect_uri_for,
)
from coderclaw_tui.core.errors import UsageError

STATE = "5" * 32


@pytest.fixture
async def server() -> AsyncIterator[CallbackServer]:
    async with CallbackServer(STATE, port=0, connection_timeout=0.5) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        yield client


async def raw_request(port: int, data: bytes) -> bytes:
    """Send bytes as they are (no client library tidying them up); the answer's head, then hang up like a browser."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def port_is_free(port: int) -> bool:
    """Bindable by a program that does not set SO_REUSEADDR."""
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


async def test_success_page_and_recorded_code(server: CallbackServer, http: httpx.AsyncClient) -> None:
    response = await http.get(f"http://127.0.0.1:{server.port}/auth/callback", params={"code": "c1", "state": STATE})
    assert response.status_code == 200
    assert "Authentication successful — return to your terminal" in response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert await server.wait() == CallbackResult(code="c1")


async def test_localhost_reaches_the_listener(server: CallbackServer, http: httpx.AsyncClient) -> None:
    response = await http.get(redirect_uri_for(server.port), params={"code": "c1", "state": STATE})
    assert response.status_code == 200
    assert redirect_uri_for(1455) == "http://localhost:1455/auth/callback"


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", f"/auth/callback?code=c1&state={'6' * 32}", 400, "State mismatch"),
        ("GET", "/auth/callback?code=c1", 400, "State mismatch"),
        ("GET", f"/auth/callback?code=c1&state={STATE}&state={STATE}", 400, "State mismatch"),
        ("GET", f"/auth/callback?state={STATE}", 400, "Missing authorization code"),
        ("GET", f"/auth/callback?code=&state={STATE}", 400, "Missing authorization code"),
        ("GET", f"/auth/callback?code=a&code=b&state={STATE}", 400, "More than one"),
        ("GET", "/", 404, "Not found"),
        ("GET", f"/favicon.ico?code=c1&state={STATE}", 404, "Not found"),
        ("POST", f"/auth/callback?code=c1&state={STATE}", 405, "Only GET"),
        ("PUT", "/cancel", 405, "Only GET"),
        ("HEAD", f"/auth/callback?code=c1&state={STATE}", 405, ""),
    ],
)
async def test_hostile_or_wrong_requests_are_refused_and_the_login_goes_on(
    server: CallbackServer, http: httpx.AsyncClient, method: str, path: str, status: int, text: str
) -> None:
    response = await http.request(method, f"http://127.0.0.1:{server.port}{path}")
    assert response.status_code == status
    assert text in response.text
    if status == 405:
        assert response.headers["allow"] == "GET"
    good = await http.get(f"http://127.0.0.1:{server.port}/auth/callback?code=real&state={STATE}")
    assert good.status_code == 200
    assert await server.wait() == CallbackResult(code="real")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /auth/callback?" + b"a" * 20_000 + b" HTTP/1.1\r\n\r\n", 400),
        (b"GET /auth/callback HTTP/1.1\r\n" + b"X-Big: " + b"b" * 20_000 + b"\r\n\r\n", 431),
        (
            b"GET /auth/callback HTTP/1.1\r\n"
            + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 500) for i in range(80))
            + b"\r\n",
            431,
        ),
        (b"GET /auth/callback HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n", 431),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (b"GET /auth/callback\r\n\r\n", 400),
        (b"GET /auth/callback HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /auth/callback?code=\xff&state=x HTTP/1.1\r\n\r\n", 400),
    ],
)
async def test_oversized_or_garbled_requests_get_an_error_not_a_crash(
    server: CallbackServer, data: bytes, status: int
) -> None:
    assert status_of(await raw_request(server.port, data)) == status
    ok = await raw_request(server.port, f"GET /auth/callback?code=after&state={STATE} HTTP/1.1\r\n\r\n".encode())
    assert status_of(ok) == 200
    assert await server.wait() == CallbackResult(code="after")


async def test_a_silent_client_is_dropped_after_the_time_cap_without_blocking_others(server: CallbackServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /auth/callback?code=slow")  # and never finishes the line
    await writer.drain()
    ok = await raw_request(server.port, f"GET /auth/callback?code=fast&state={STATE} HTTP/1.1\r\n\r\n".encode())
    assert status_of(ok) == 200
    assert await asyncio.wait_for(reader.read(), 3) == b""  # the server hung up on the slow one
    writer.close()
    assert await server.wait() == CallbackResult(code="fast")


async def test_a_repeated_callback_does_not_change_the_result(server: CallbackServer, http: httpx.AsyncClient) -> None:
    base = f"http://127.0.0.1:{server.port}/auth/callback"
    assert (await http.get(base, params={"code": "first", "state": STATE})).status_code == 200
    again = await http.get(base, params={"code": "second", "state": STATE})
    assert again.status_code == 200 and "already finished" in again.text
    assert await server.wait() == CallbackResult(code="first")


async def test_a_declined_sign_in_is_recorded_as_the_provider_error(
    server: CallbackServer, http: httpx.AsyncClient
) -> None:
    response = await http.get(
        f"http://127.0.0.1:{server.port}/auth/callback", params={"error": "access_denied", "state": STATE}
    )
    assert response.status_code == 400
    assert await server.wait() == CallbackResult(code=None, error="access_denied")


async def test_cancel_stops_the_listener(server: CallbackServer, http: httpx.AsyncClient) -> None:
    response = await http.get(f"http://127.0.0.1:{server.port}/cancel")
    assert response.status_code == 200 and response.headers["x-coderclaw-login"] == "cancelled"
    assert await asyncio.wait_for(server.wait(), 2) is None
    assert server.cancelled_remotely
    with pytest.raises(httpx.ConnectError):
        await http.get(f"http://127.0.0.1:{server.port}/auth/callback")


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}])
async def test_a_web_page_cannot_cancel_the_login(
    server: CallbackServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get(f"http://127.0.0.1:{server.port}/cancel", headers=headers)
    assert response.status_code == 403
    assert (await http.get(f"http://127.0.0.1:{server.port}/auth/callback?code=c&state={STATE}")).status_code == 200
    assert not server.cancelled_remotely


async def test_closing_frees_the_port_at_once_even_after_traffic(http: httpx.AsyncClient) -> None:
    server = CallbackServer(STATE, port=0)
    await server.start()
    await http.get(f"http://127.0.0.1:{server.port}/auth/callback?code=c&state={STATE}")
    _, idle_writer = await asyncio.open_connection("127.0.0.1", server.port)
    _, half_writer = await asyncio.open_connection("127.0.0.1", server.port)
    half_writer.write(b"GET /auth/callback?code=")
    await asyncio.sleep(0.05)  # both are accepted and waiting on the server side
    server.close()
    async with CallbackServer(STATE, port=server.port) as successor:  # the next login binds at once
        assert successor.port == server.port
    for _ in range(20):  # and even a program without SO_REUSEADDR can, once loopback settles
        if port_is_free(server.port):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("port still held after close()")
    assert await server.wait() == CallbackResult(code="c")
    idle_writer.close()
    half_writer.close()


async def test_wait_returns_none_when_closed_without_a_callback() -> None:
    server = CallbackServer(STATE, port=0)
    await server.start()
    waiter = asyncio.create_task(server.wait())
    server.close()
    assert await asyncio.wait_for(waiter, 1) is None


# -- choosing a port -------------------------------------------------------------------------------------------


@pytest.fixture
async def foreign_server() -> AsyncIterator[int]:
    """Another program's web server on a loopback port: it answers 404 to everything."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    other = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield other.sockets[0].getsockname()[1]
    other.close()


@pytest.fixture
def silent_socket() -> socket.socket:
    """A program that holds a port and never answers."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder
    holder.close()


async def test_free_port_is_used_directly() -> None:
    outcome = await open_callback_listener(STATE, port=0)
    assert outcome.server is not None and not outcome.paste_only
    assert outcome.message.startswith(f"Listening on 127.0.0.1:{outcome.port}")
    outcome.server.close()


async def test_port_busy_with_a_foreign_program_falls_back(foreign_server: int) -> None:
    outcome = await open_callback_listener(STATE, port=foreign_server, fallback_port=0)
    assert outcome.server is not None and outcome.port not in (0, foreign_server)
    assert outcome.message.startswith(
        f"Port {foreign_server} is in use by another program, so this login listens on port {outcome.port}"
    )
    outcome.server.close()


async def test_both_ports_busy_means_paste_only_with_a_plain_diagnosis(
    foreign_server: int, silent_socket: socket.socket
) -> None:
    silent = silent_socket.getsockname()[1]
    outcome = await open_callback_listener(STATE, port=foreign_server, fallback_port=silent)
    assert outcome.paste_only and outcome.port == foreign_server
    assert outcome.message == (
        f"Ports {foreign_server} and {silent} are in use by other programs, so the browser cannot hand the login "
        "back automatically; paste the redirect URL instead."
    )


async def test_busy_without_fallback_names_the_port(silent_socket: socket.socket) -> None:
    port = silent_socket.getsockname()[1]
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = await open_callback_listener(STATE, port=port, fallback_port=None, probe_timeout=0.3)
    assert loop.time() - started < 2
    assert outcome.paste_only
    assert outcome.message == (
        f"Port {port} is in use by another program, so the browser cannot hand the login back automatically; "
        "paste the redirect URL instead."
    )


async def test_another_login_of_ours_is_left_running_and_this_one_falls_back() -> None:
    """Two logins at once: the second never stops the first; it moves to the fallback port and says why."""
    first = CallbackServer("first-state", port=0)
    await first.start()
    outcome = await open_callback_listener(STATE, port=first.port, fallback_port=0)
    assert outcome.server is not None and outcome.port != first.port
    assert outcome.message.startswith(
        f"Another coderclaw login is already waiting on port {first.port} (it is left running), "
        f"so this login listens on port {outcome.port} instead"
    )
    assert not first.cancelled_remotely
    async with httpx.AsyncClient(trust_env=False) as http:
        for server, state in ((first, "first-state"), (outcome.server, STATE)):
            response = await http.get(f"http://127.0.0.1:{server.port}/auth/callback?code=c-{state}&state={state}")
            assert response.status_code == 200
    assert await first.wait() == CallbackResult(code="c-first-state")
    assert await outcome.server.wait() == CallbackResult(code=f"c-{STATE}")
    first.close()
    outcome.server.close()


async def test_another_login_of_ours_without_a_fallback_means_paste_only() -> None:
    first = CallbackServer("first-state", port=0)
    await first.start()
    outcome = await open_callback_listener(STATE, port=first.port, fallback_port=None)
    assert outcome.paste_only
    assert outcome.message == (
        f"Another coderclaw login is already waiting on port {first.port} (it is left running), so the browser "
        "cannot hand the login back automatically; paste the redirect URL instead."
    )
    assert not first.cancelled_remotely
    first.close()


def test_port_comes_from_the_environment() -> None:
    assert callback_port_from_env({}) == DEFAULT_PORT == 1455
    assert callback_port_from_env({"CODERCLAW_OAUTH_CALLBACK_PORT": " 8123 "}) == 8123
    for bad in ("http", "0", "70000", "-1"):
        with pytest.raises(UsageError, match="CODERCLAW_OAUTH_CALLBACK_PORT"):
            callback_port_from_env({"CODERCLAW_OAUTH_CALLBACK_PORT": bad})
