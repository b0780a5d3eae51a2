"""openai-codex login end to end against the sandbox issuer, over real loopback sockets."""

import asyncio
import socket
import subprocess
import webbrowser
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from coderclaw_tui.auth.environment import is_remote_environment, open_graphical_browser
from coderclaw_tui.auth.jwt_claims import jwt_expiry_ms
from coderclaw_tui.auth.paste_parser import PasteError
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.events import (
    AuthorizeUrlReady,
    BrowserOpened,
    Exchanging,
    FlowEvent,
    ListenerStatus,
    LoginCancelled,
    LoginError,
    LoginFailed,
    LoginResult,
)
from coderclaw_tui.flows.pkce_login import PasteIncomplete, PkceLogin, build_authorize_url


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODERCLAW_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("CODERCLAW_OPENAI_CODEX_ISSUER", raising=False)
    monkeypatch.delenv("CODERCLAW_OAUTH_CALLBACK_PORT", raising=False)


@pytest.fixture
def issuer() -> Iterator[SandboxIssuer]:
    with SandboxIssuer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        yield client


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on (and never answers)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def port_is_bindable(port: int) -> bool:
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        probe.listen()
        return True
    except OSError:
        return False
    finally:
        probe.close()


class Session:
    """Runs a login in the background and records its events, as a screen would."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        issuer: SandboxIssuer,
        on_url: Callable[[AuthorizeUrlReady], None] | None = None,
        **options: object,
    ) -> None:
        self.events: list[FlowEvent] = []
        self.ready = asyncio.Event()
        self.on_url = on_url
        options.setdefault("remote", True)
        options.setdefault("callback_port", 0)
        options.setdefault("fallback_port", None)
        self.flow = PkceLogin(http, issuer=issuer.base_url, on_event=self._record, **options)  # type: ignore[arg-type]
        self.task = asyncio.create_task(self.flow.run())

    def _record(self, event: FlowEvent) -> None:
        self.events.append(event)
        if isinstance(event, AuthorizeUrlReady):
            self.ready.set()
            if self.on_url:
                self.on_url(event)

    async def url_ready(self) -> AuthorizeUrlReady:
        await asyncio.wait_for(self.ready.wait(), 5)
        return next(e for e in self.events if isinstance(e, AuthorizeUrlReady))

    async def result(self) -> LoginResult:
        return await asyncio.wait_for(self.task, 10)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def assert_credential(result: LoginResult, issuer: SandboxIssuer) -> None:
    credential = result.credential
    assert set(credential) == {"type", "provider", "access", "refresh", "expires", "accountId", "email"}
    assert (credential["type"], credential["provider"]) == ("oauth", "openai-codex")
    assert credential["accountId"] == "acct_sandbox_0001" and credential["email"] == "sandbox.user@example.test"
    assert credential["refresh"].startswith("rt_")
    assert credential["expires"] == jwt_expiry_ms(credential["access"]) == result.expires_ms
    assert result.suggested_profile_id == "openai-codex:sandbox.user@example.test"
    assert result.identity == "sandbox.user@example.test"
    assert "code_exchanged" in issuer.events


async def test_finished_by_the_callback_with_a_headless_browser(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    pages: list[httpx.Response] = []

    def browser(url: str) -> bool:  # runs in a worker thread, like webbrowser does
        with httpx.Client(trust_env=False, follow_redirects=True) as client:
            pages.append(client.get(url + "&approve=1"))
        return True

    session = Session(http, issuer, remote=False, open_browser=browser)
    result = await session.result()
    assert_credential(result, issuer)
    assert pages[0].status_code == 200 and "Authentication successful — return to your terminal" in pages[0].text
    assert session.of(Exchanging) == [Exchanging("callback")]
    ready = session.of(AuthorizeUrlReady)[0]
    assert ready.ssh_hint is None and ready.listener and not ready.remote
    port = session.of(ListenerStatus)[0].port
    assert port_is_bindable(port)


async def test_authorize_url_carries_every_spec_parameter_in_order(
    http: httpx.AsyncClient, issuer: SandboxIssuer
) -> None:
    session = Session(http, issuer)
    ready = await session.url_ready()
    port = session.of(ListenerStatus)[0].port
    parts = urlsplit(ready.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{issuer.base_url}/oauth/authorize"
    query = parse_qsl(parts.query)
    assert [k for k, _ in query] == [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "code_challenge",
        "code_challenge_method",
        "state",
        "id_token_add_organizations",
        "codex_cli_simplified_flow",
        "originator",
    ]
    values = dict(query)
    assert values["client_id"] == "app_EMoamEEZ73f0CkXaXp7hrann"
    assert values["redirect_uri"] == f"http://localhost:{port}/auth/callback"
    assert values["scope"] == "openid profile email offline_access"
    assert (values["code_challenge_method"], values["originator"]) == ("S256", "coderclaw")
    assert values["id_token_add_organizations"] == values["codex_cli_simplified_flow"] == "true"
    assert len(values["state"]) == 32 and len(values["code_challenge"]) == 43
    assert ready.ssh_hint == f"ssh -L {port}:127.0.0.1:{port} <host>"
    session.flow.cancel()
    with pytest.raises(LoginCancelled):
        await session.result()


async def test_issuer_and_port_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, http: httpx.AsyncClient
) -> None:
    port = free_port()
    monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", "http://127.0.0.1:9/custom/")
    monkeypatch.setenv("CODERCLAW_OAUTH_CALLBACK_PORT", str(port))
    urls: list[str] = []
    flow = PkceLogin(
        http,
        remote=True,
        fallback_port=None,
        on_event=lambda e: urls.append(e.url) if isinstance(e, AuthorizeUrlReady) else None,
    )
    task = asyncio.create_task(flow.run())
    while not urls:
        await asyncio.sleep(0.01)
    flow.cancel()
    with pytest.raises(LoginCancelled):
        await task
    assert urls[0].startswith("http://127.0.0.1:9/custom/oauth/authorize?")
    assert f"localhost%3A{port}%2F" in urls[0]
    assert build_authorize_url("https://auth.openai.com/oauth/authorize", redirect_uri="r", challenge="c", state="s").startswith(
        "https://auth.openai.com/oauth/authorize?response_type=code&"
    )


async def test_finished_by_a_pasted_wrapped_redirect_url(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    def paste(event: AuthorizeUrlReady) -> None:
        redirect = issuer.approve(event.url)
        session.flow.submit_paste(f"Here you go:\n{redirect[:40]}\n   {redirect[40:]}\n\nthanks")

    session = Session(http, issuer, on_url=paste)
    assert_credential(await session.result(), issuer)
    assert session.of(Exchanging) == [Exchanging("paste")]


async def test_finished_by_a_pasted_code_hash_state(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    session = Session(http, issuer)
    ready = await session.url_ready()
    query = parse_qs(urlsplit(issuer.approve(ready.url)).query)
    with pytest.raises(PasteError):
        session.flow.submit_paste("not a code at all")
    session.flow.submit_paste(f"{query['code'][0]}#{query['state'][0]}")
    assert_credential(await session.result(), issuer)


async def test_callback_port_held_by_another_program_falls_back(
    http: httpx.AsyncClient, issuer: SandboxIssuer, held_port: int
) -> None:
    session = Session(http, issuer, callback_port=held_port, fallback_port=0)
    ready = await session.url_ready()
    status = session.of(ListenerStatus)[0]
    assert status.listening and status.port != held_port
    assert status.message.startswith(f"Port {held_port} is in use by another program")
    assert parse_qs(urlsplit(ready.url).query)["redirect_uri"] == [f"http://localhost:{status.port}/auth/callback"]
    page = await http.get(ready.url + "&approve=1", follow_redirects=True)
    assert page.status_code == 200
    assert_credential(await session.result(), issuer)


async def test_callback_port_held_means_paste_only_and_paste_still_works(
    http: httpx.AsyncClient, issuer: SandboxIssuer, held_port: int
) -> None:
    session = Session(http, issuer, callback_port=held_port)
    ready = await session.url_ready()
    status = session.of(ListenerStatus)[0]
    assert not status.listening and f"Port {held_port} is in use by another program" in status.message
    assert "paste the redirect URL instead" in status.message
    assert ready.listener is None and ready.ssh_hint is None
    session.flow.submit_paste(issuer.approve(ready.url))
    assert_credential(await session.result(), issuer)


async def test_wrong_state_is_refused_and_gives_no_result(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    session = Session(http, issuer)
    ready = await session.url_ready()
    redirect = issuer.approve(ready.url)
    state = parse_qs(urlsplit(redirect).query)["state"][0]
    forged = redirect.replace(state, "0" * 32)
    with pytest.raises(PasteError, match="does not match this sign-in"):
        session.flow.submit_paste(forged)
    response = await http.get(forged)  # the forged redirect reaches the listener too
    assert response.status_code == 400
    await asyncio.sleep(0.05)
    assert not session.task.done() and "code_exchanged" not in issuer.events
    session.flow.cancel()
    with pytest.raises(LoginCancelled):
        await session.result()
    assert session.of(LoginFailed) == [LoginFailed("Login cancelled; nothing was saved.")]
    assert "code_exchanged" not in issuer.events


async def test_cancel_frees_the_port_at_once(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    port = free_port()
    session = Session(http, issuer, callback_port=port)
    await session.url_ready()
    assert not port_is_bindable(port)
    session.flow.cancel()
    assert port_is_bindable(port)
    with pytest.raises(LoginCancelled):
        await session.result()
    with pytest.raises(LoginError, match="cancelled"):
        session.flow.submit_paste("abc#def")


async def test_two_logins_on_one_port_setting_both_finish(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    """The second login never stops the first: it takes the fallback port, says so, and both finish."""
    port, fallback = free_port(), free_port()
    first = Session(http, issuer, callback_port=port, fallback_port=fallback)
    first_ready = await first.url_ready()
    second = Session(http, issuer, callback_port=port, fallback_port=fallback)
    second_ready = await second.url_ready()
    assert first.of(ListenerStatus)[0].message.startswith(f"Listening on 127.0.0.1:{port}")
    assert second.of(ListenerStatus)[0].message.startswith(
        f"Another coderclaw login is already waiting on port {port} (it is left running), "
        f"so this login listens on port {fallback} instead"
    )
    assert f"localhost%3A{fallback}" in second_ready.url and f"localhost%3A{port}" in first_ready.url
    for ready in (second_ready, first_ready):
        await http.get(ready.url + "&approve=1", follow_redirects=True)
    assert_credential(await first.result(), issuer)
    assert_credential(await second.result(), issuer)


async def test_a_cancel_from_outside_ends_the_login_and_says_so(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    port = free_port()
    session = Session(http, issuer, callback_port=port)
    await session.url_ready()
    response = await http.get(f"http://127.0.0.1:{port}/cancel")
    assert response.status_code == 200
    with pytest.raises(LoginError, match=f"cancelled from outside.*port {port}"):
        await session.result()
    with pytest.raises(LoginError, match="cancelled"):
        session.flow.submit_paste("code#state")


async def test_a_redirect_url_cut_before_its_state_waits_for_the_rest(
    http: httpx.AsyncClient, issuer: SandboxIssuer
) -> None:
    """A wrapped URL pasted in two goes: the first half is not sent to the issuer (its code would be burnt)."""
    session = Session(http, issuer)
    ready = await session.url_ready()
    redirect = issuer.approve(ready.url)
    cut_in_code = redirect[: redirect.index("code=") + 12]
    cut_in_state = redirect[: redirect.index("state=") + 10]
    for first_half in (cut_in_code, cut_in_state, redirect[: redirect.index("&state")]):
        with pytest.raises(PasteIncomplete, match="looks incomplete"):
            session.flow.submit_paste(first_half)
    assert not session.task.done()
    session.flow.submit_paste(cut_in_code + "\n" + redirect[len(cut_in_code) :])
    assert_credential(await session.result(), issuer)


async def test_declined_in_the_browser_ends_the_login_with_the_reason(
    http: httpx.AsyncClient, issuer: SandboxIssuer
) -> None:
    session = Session(http, issuer)
    ready = await session.url_ready()
    await http.get(ready.url + "&deny=1", follow_redirects=True)
    with pytest.raises(LoginError, match=r"reported an error \(access_denied\)"):
        await session.result()


async def test_a_rejected_exchange_is_a_clear_error_without_secrets(http: httpx.AsyncClient) -> None:
    now = [1_700_000_000.0]
    with SandboxIssuer(clock=lambda: now[0]) as issuer:
        session = Session(http, issuer)
        ready = await session.url_ready()
        redirect = issuer.approve(ready.url)
        now[0] += 120  # the code is stale by the time it is used
        session.flow.submit_paste(redirect)
        with pytest.raises(LoginError) as caught:
            await session.result()
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    assert "refused the sign-in code (invalid_grant, HTTP 400)" in caught.value.message
    assert code not in caught.value.message


async def test_no_email_gives_the_default_profile_and_expiry_is_the_earlier_one(http: httpx.AsyncClient) -> None:
    with SandboxIssuer(email=None, access_ttl=60, reported_expires_in=3600) as issuer:
        session = Session(http, issuer, on_url=lambda e: session.flow.submit_paste(issuer.approve(e.url)))
        result = await session.result()
    assert "email" not in result.credential
    assert result.suggested_profile_id == "openai-codex:default" and result.identity == "acct_sandbox_0001"
    assert result.expires_ms == jwt_expiry_ms(result.credential["access"])


async def test_the_login_times_out(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    session = Session(http, issuer, timeout=0.2)
    with pytest.raises(LoginError, match="timed out"):
        await session.result()
    assert session.of(LoginFailed)


async def test_a_paste_before_the_url_is_ready_is_refused(http: httpx.AsyncClient, issuer: SandboxIssuer) -> None:
    flow = PkceLogin(http, issuer=issuer.base_url, callback_port=0)
    with pytest.raises(LoginError, match="not ready"):
        flow.submit_paste("abc")


async def test_remote_mode_never_opens_a_browser_and_a_broken_opener_is_survivable(
    http: httpx.AsyncClient, issuer: SandboxIssuer
) -> None:
    opened: list[str] = []
    remote = Session(http, issuer, remote=True, open_browser=opened.append)
    await remote.url_ready()
    remote.flow.cancel()

    def broken(url: str) -> bool:
        raise RuntimeError("no display")

    local = Session(http, issuer, remote=False, open_browser=broken)
    await local.url_ready()
    for _ in range(100):
        if local.of(BrowserOpened):
            break
        await asyncio.sleep(0.01)
    assert local.of(BrowserOpened) == [
        BrowserOpened(False, "Could not open a browser here; open the URL above yourself.")
    ]
    local.flow.cancel()
    for session in (remote, local):
        with pytest.raises(LoginCancelled):
            await session.result()
    assert opened == []


@pytest.mark.parametrize(
    ("env", "platform", "remote"),
    [
        ({"SSH_CONNECTION": "1 2 3 4"}, "darwin", True),
        ({"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"}, "linux", True),
        ({"CODESPACES": "true"}, "linux", True),
        ({"REMOTE_CONTAINERS": "true", "DISPLAY": ":0"}, "linux", True),
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"WSL_DISTRO_NAME": "Ubuntu"}, "linux", False),
        ({"WSLENV": "x"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
        ({"SSH_CLIENT": ""}, "darwin", False),
    ],
)
def test_remote_detection(env: dict[str, str], platform: str, remote: bool) -> None:
    assert is_remote_environment(env, platform) is remote


@pytest.mark.parametrize("name", ["lynx", "/usr/bin/w3m", "www-browser", "elinks", "links"])
def test_console_browsers_are_never_launched(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    launched: list[object] = []
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser([name, "%s"]))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: launched.append(a))
    assert open_graphical_browser("http://x") is False
    assert launched == []


def test_a_graphical_browser_is_launched_detached_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser(["firefox", "--new-tab", "%s"]))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: launched.append((a, k)))
    assert open_graphical_browser("http://x/y") is True
    ((args, kwargs),) = launched
    assert args == (["firefox", "--new-tab", "http://x/y"],)
    assert kwargs["stdout"] == kwargs["stderr"] == kwargs["stdin"] == subprocess.DEVNULL and kwargs["start_new_session"]


def test_no_browser_at_all_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def none() -> webbrowser.BaseBrowser:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", none)
    assert open_graphical_browser("http://x") is False
