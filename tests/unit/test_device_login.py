"""GitHub device login: scripted answers for the exact protocol, the sandbox for the whole round trip."""

import asyncio
import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest

from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.device_login import DeviceCodeLogin
from coderclaw_tui.flows.events import DeviceCodeReady, FlowEvent, LoginCancelled, LoginError, LoginFailed, Polling


class FakeTime:
    """A clock and a sleep that move together, so a 15-minute countdown runs in milliseconds."""

    def __init__(self, pace: float = 1.0) -> None:
        self.now = 1_700_000_000.0
        self.pace = pace
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds * self.pace


START = {
    "device_code": "dc_secret",
    "user_code": "WDJB-MJHT",
    "verification_uri": "https://github.com/login/device",
    "expires_in": 900,
    "interval": 5,
}


def scripted(*answers: tuple[int, dict[str, object]] | Exception) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """An HTTP client whose server replies with `answers` in order."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer[0], json=answer[1])

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


@pytest.fixture(autouse=True)
def isolated_state(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("CODERCLAW_STATE_DIR", str(tmp_path))


async def test_pending_then_slow_down_then_success_follows_the_protocol() -> None:
    time = FakeTime()
    events: list[FlowEvent] = []
    http, seen = scripted(
        (200, START),
        (200, {"error": "authorization_pending"}),
        (200, {"error": "slow_down", "interval": 7}),
        (400, {"error": "authorization_pending"}),  # RFC-style servers answer 400; read the same way
        (200, {"access_token": "gho_token", "token_type": "bearer", "scope": "read:user"}),
    )
    async with http:
        result = await DeviceCodeLogin(http, clock=time.clock, sleep=time.sleep, on_event=events.append).run()
    assert result.credential == {"type": "token", "provider": "github-copilot", "token": "gho_token"}
    assert (result.provider, result.suggested_profile_id, result.identity, result.expires_ms) == (
        "github-copilot",
        "github-copilot:github",
        None,
        None,
    )
    assert time.sleeps == [5, 5, 10, 10]
    assert events[0] == DeviceCodeReady(
        "WDJB-MJHT", "https://github.com/login/device", int((1_700_000_000 + 900) * 1000), 5
    )
    polls = [e for e in events if isinstance(e, Polling)]
    assert [(p.attempt, p.interval, p.slowed_down) for p in polls] == [
        (1, 5, False),
        (2, 5, False),
        (3, 10, True),
        (4, 10, False),
    ]
    assert str(seen[0].url) == "https://github.com/login/device/code"
    assert parse_qs(seen[0].content.decode()) == {"client_id": ["Iv1.b507a08c87ecfe98"], "scope": ["read:user"]}
    assert str(seen[1].url) == "https://github.com/login/oauth/access_token"
    assert parse_qs(seen[1].content.decode()) == {
        "client_id": ["Iv1.b507a08c87ecfe98"],
        "device_code": ["dc_secret"],
        "grant_type": ["urn:ietf:params:oauth:grant-type:device_code"],
    }
    assert all(r.headers["accept"] == "application/json" for r in seen)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"error": "expired_token"}, "The code WDJB-MJHT expired before it was approved; start the login again."),
        ({"error": "access_denied"}, "The login was denied on github.com; nothing was saved."),
        (
            {"error": "incorrect_client_credentials"},
            "github.com refused the device login (incorrect_client_credentials)",
        ),
        ({"error": "<b>odd</b>"}, "github.com refused the device login (unknown error)"),
    ],
)
async def test_terminal_answers_stop_polling_with_a_clear_message(answer: dict[str, object], message: str) -> None:
    time = FakeTime()
    events: list[FlowEvent] = []
    http, seen = scripted((200, START), (200, {"error": "authorization_pending"}), (200, answer))
    async with http:
        with pytest.raises(LoginError) as caught:
            await DeviceCodeLogin(http, clock=time.clock, sleep=time.sleep, on_event=events.append).run()
    assert caught.value.message.startswith(message)
    assert "dc_secret" not in caught.value.message
    assert len(seen) == 3 and events[-1] == LoginFailed(caught.value.message)


async def test_network_trouble_while_polling_is_retried_then_reported() -> None:
    time = FakeTime()
    failure = httpx.ConnectError("refused")
    http, seen = scripted((200, START), failure, (502, {}), (200, {"access_token": "gho_ok"}))
    async with http:
        assert (await DeviceCodeLogin(http, clock=time.clock, sleep=time.sleep).run()).credential["token"] == "gho_ok"
    http, seen = scripted((200, START), failure, failure, failure)
    async with http:
        with pytest.raises(LoginError, match=r"Could not reach github.com \(ConnectError\)"):
            await DeviceCodeLogin(http, clock=time.clock, sleep=time.sleep).run()


@pytest.mark.parametrize(
    "start",
    [(404, {"error": "not_found"}), (200, {"user_code": "X"}), (200, {**START, "expires_in": "soon"}), (503, {})],
)
async def test_a_bad_start_is_reported(start: tuple[int, dict[str, object]]) -> None:
    http, _ = scripted(start)
    async with http:
        with pytest.raises(LoginError, match="github.com"):
            await DeviceCodeLogin(http).run()


@pytest.mark.parametrize(
    "change",
    [
        {"verification_uri": "https://github.com/login/device\x1b]52;c;cHduZWQ=\x07"},  # would end the link's OSC 8
        {"verification_uri": "file:///etc/passwd"},
        {"verification_uri": "javascript:alert(1)"},
        {"verification_uri": "http://github.com/login/device"},  # plain http only to this machine
        {"verification_uri": "https://github.com/" + "a" * 3000},
        {"verification_uri": "https://github.com/login device"},
        {"user_code": "WDJB\x1b[2J"},
        {"user_code": "W" * 65},
    ],
    ids=["control", "file", "javascript", "http", "long", "space", "code-control", "code-long"],
)
async def test_an_address_or_code_that_cannot_be_shown_safely_is_refused(change: dict[str, object]) -> None:
    """A garbled or hostile start answer never reaches the screen, the link or the browser: one sentence."""
    events: list[FlowEvent] = []
    http, seen = scripted((200, {**START, **change}))
    async with http:
        with pytest.raises(LoginError, match="github.com sent a device code or sign-in address that cannot be shown"):
            await DeviceCodeLogin(http, on_event=events.append).run()
    assert len(seen) == 1 and not any(isinstance(e, DeviceCodeReady) for e in events)


async def test_loopback_http_addresses_are_usable() -> None:
    """The sandbox and local test issuers serve plain http on this machine."""
    time = FakeTime()
    start = {**START, "verification_uri": "http://127.0.0.1:8123/login/device"}
    http, _ = scripted((200, start), (200, {"access_token": "gho_ok", "token_type": "bearer"}))
    async with http:
        result = await DeviceCodeLogin(http, clock=time.clock, sleep=time.sleep).run()
    assert result.credential["token"] == "gho_ok"


async def test_non_json_answers_are_reported() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>")))
    async with http:
        with pytest.raises(LoginError, match="unexpected answer"):
            await DeviceCodeLogin(http).run()


# -- against the sandbox, over real sockets -------------------------------------------------------------------


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def issuer(time: FakeTime) -> Iterator[SandboxIssuer]:
    with SandboxIssuer(clock=time.clock, device_ttl=60) as running:
        yield running


async def run_against(issuer: SandboxIssuer, time: FakeTime, react: object) -> tuple[object, list[FlowEvent]]:
    events: list[FlowEvent] = []

    def record(event: FlowEvent) -> None:
        events.append(event)
        react(event)  # type: ignore[operator]

    async with httpx.AsyncClient(trust_env=False) as http:
        flow = DeviceCodeLogin(http, issuer=issuer.base_url, clock=time.clock, sleep=time.sleep, on_event=record)
        try:
            return await flow.run(), events
        except LoginError as exc:
            return exc, events


async def test_sandbox_pending_then_approved(issuer: SandboxIssuer, time: FakeTime) -> None:
    def approve_on_third_poll(event: FlowEvent) -> None:
        if isinstance(event, Polling) and event.attempt == 3:
            issuer.approve_device(ready[0].user_code)
        if isinstance(event, DeviceCodeReady):
            ready.append(event)

    ready: list[DeviceCodeReady] = []
    result, _ = await run_against(issuer, time, approve_on_third_poll)
    assert result.credential["token"].startswith("gho_")  # type: ignore[union-attr]
    assert issuer.events == [
        "device_code_issued",
        "device_pending",
        "device_pending",
        "device_approved",
        "device_token_issued",
    ]


async def test_sandbox_slow_down_when_polling_too_fast(issuer: SandboxIssuer, time: FakeTime) -> None:
    time.pace = 0.5  # this machine's sleeps come back early, so the server sees polls too close together

    def approve_after_slow_down(event: FlowEvent) -> None:
        if isinstance(event, DeviceCodeReady):
            ready.append(event)
        if isinstance(event, Polling) and event.slowed_down and time.pace < 1:
            time.pace = 1.0
            issuer.approve_device(ready[0].user_code)

    ready: list[DeviceCodeReady] = []
    result, events = await run_against(issuer, time, approve_after_slow_down)
    assert result.credential["token"].startswith("gho_")  # type: ignore[union-attr]
    assert "device_slow_down" in issuer.events
    assert [e.interval for e in events if isinstance(e, Polling) and e.slowed_down] == [10]


async def test_sandbox_expired(issuer: SandboxIssuer, time: FakeTime) -> None:
    error, events = await run_against(issuer, time, lambda event: None)
    assert isinstance(error, LoginError) and "expired before it was approved" in error.message
    assert events[-1] == LoginFailed(error.message)
    assert time.now - 1_700_000_000 <= 65


async def test_sandbox_denied(issuer: SandboxIssuer, time: FakeTime) -> None:
    def deny(event: FlowEvent) -> None:
        if isinstance(event, DeviceCodeReady):
            issuer.deny_device(event.user_code)

    error, _ = await run_against(issuer, time, deny)
    host = issuer.base_url.removeprefix("http://")
    assert isinstance(error, LoginError) and error.message == f"The login was denied on {host}; nothing was saved."


async def test_cancel_while_waiting(issuer: SandboxIssuer) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        flow = DeviceCodeLogin(http, issuer=issuer.base_url)  # real sleep: 5 s between polls
        task = asyncio.create_task(flow.run())
        await asyncio.sleep(0.2)
        flow.cancel()
        with pytest.raises(LoginCancelled):
            await asyncio.wait_for(task, 1)


def test_sandbox_answers_are_json_when_asked(issuer: SandboxIssuer) -> None:
    with httpx.Client(trust_env=False) as http:
        response = http.post(
            f"{issuer.base_url}/login/device/code",
            data={"client_id": "Iv1.b507a08c87ecfe98", "scope": "read:user"},
            headers={"Accept": "application/json"},
        )
    assert json.loads(response.text)["interval"] == 5
