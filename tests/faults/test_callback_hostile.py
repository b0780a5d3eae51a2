"""The callback listener against hostile or careless neighbours (issue 9, row 11), with real sockets on loopback.

- `/cancel` stops a login only when the request names this loopback port as its Host and is no browser's
  cross-site or same-site request: a DNS-rebinding page, a page on another localhost port, or a request with a
  second Host header cannot cancel it.
- A port held on [::1] alone by another program is said so and not used: a browser resolving `localhost` to ::1
  would hand that program the code.
- Paste-only never opens a browser: the redirect would land on whatever holds the port.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from coderclaw_tui.auth.callback_server import CallbackServer, open_callback_listener
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.events import AuthorizeUrlReady, FlowEvent, ListenerStatus
from coderclaw_tui.flows.pkce_login import PkceLogin

STATE = "hostile-state-0123456789abcdef"


@pytest.fixture
async def server() -> AsyncIterator[CallbackServer]:
    listener = CallbackServer(STATE, port=0)
    await listener.start()
    yield listener
    listener.close()


async def raw_request(port: int, head: str) -> bytes:
    """Send exactly these request lines (no client library to tidy them up); the answer's status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
        await writer.drain()
        return (await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)).strip()
    finally:
        writer.close()


@pytest.mark.parametrize(
    "host",
    ["attacker.example:{port}", "localhost", "127.0.0.1:1", "localhost.attacker.example:{port}", "", "[::2]:{port}"],
)
async def test_cancel_with_a_foreign_host_is_refused(server: CallbackServer, host: str) -> None:
    host_line = f"Host: {host.format(port=server.port)}\n" if host else ""
    status = await raw_request(server.port, f"GET /cancel HTTP/1.1\n{host_line}Connection: close\n")
    assert status.startswith(b"HTTP/1.1 403 "), status
    assert not server.cancelled_remotely


async def test_cancel_with_two_host_headers_is_refused(server: CallbackServer) -> None:
    head = f"GET /cancel HTTP/1.1\nHost: localhost:{server.port}\nHost: attacker.example\nConnection: close\n"
    assert (await raw_request(server.port, head)).startswith(b"HTTP/1.1 400 ")
    assert not server.cancelled_remotely


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_cancel_from_a_web_page_is_refused(server: CallbackServer, site: str) -> None:
    head = f"GET /cancel HTTP/1.1\nHost: localhost:{server.port}\nSec-Fetch-Site: {site}\nConnection: close\n"
    assert (await raw_request(server.port, head)).startswith(b"HTTP/1.1 403 ")
    assert not server.cancelled_remotely


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "LOCALHOST", "[::1]"])
async def test_cancel_naming_this_loopback_port_stops_the_login(server: CallbackServer, name: str) -> None:
    head = f"GET /cancel HTTP/1.1\nHost: {name}:{server.port}\nConnection: close\n"
    assert (await raw_request(server.port, head)).startswith(b"HTTP/1.1 200 ")
    assert server.cancelled_remotely and await server.wait() is None


@pytest.fixture
def ipv6_holder() -> Iterator[int]:
    """Another program holding a port on ::1 only, with 127.0.0.1's same port free."""
    for _ in range(20):
        holder = socket.socket(socket.AF_INET6)
        holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        holder.bind(("::1", 0))
        port = holder.getsockname()[1]
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            holder.close()
            continue
        finally:
            probe.close()
        holder.listen()
        yield port
        holder.close()
        return
    raise AssertionError("found no port free on 127.0.0.1 while held on ::1")


async def test_a_port_held_on_ipv6_loopback_alone_is_not_used(ipv6_holder: int) -> None:
    outcome = await open_callback_listener(STATE, port=ipv6_holder, fallback_port=None, probe_timeout=0.3)
    assert outcome.paste_only
    assert outcome.message.startswith(f"Port {ipv6_holder} on [::1] is in use by another program, so the browser")
    with socket.socket() as again:  # 127.0.0.1 was released, not kept half-bound
        again.bind(("127.0.0.1", ipv6_holder))


async def test_paste_only_never_opens_a_browser(ipv6_holder: int) -> None:
    opened: list[str] = []
    events: list[FlowEvent] = []

    def browser(url: str) -> bool:
        opened.append(url)
        return True

    with SandboxIssuer() as issuer:
        async with httpx.AsyncClient(trust_env=False) as http:
            flow = PkceLogin(
                http,
                issuer=issuer.base_url,
                remote=False,
                open_browser=browser,
                callback_port=ipv6_holder,
                fallback_port=None,
                on_event=events.append,
            )
            task = asyncio.create_task(flow.run())
            while not any(isinstance(event, AuthorizeUrlReady) for event in events):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # a browser launch would have happened by now
            assert opened == []
            status = next(event for event in events if isinstance(event, ListenerStatus))
            assert not status.listening
            flow.submit_paste(issuer.approve(flow.authorize_url or ""))
            result = await asyncio.wait_for(task, 10)
    assert result.provider == "openai-codex"
