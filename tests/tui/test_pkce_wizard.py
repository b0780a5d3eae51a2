"""The openai-codex browser sign-in, driven through the whole wizard: finished by the loopback callback, by a
paste in remote mode, and by a wrapped URL pasted in two parts."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from textual import events
from wizard_helpers import (
    SIZE,
    FakeBrowser,
    FakeClipboard,
    MakeServices,
    confirm_and_check_disk,
    main_then_method,
    sign_in_screen_ready,
    text,
    wait_for,
    wait_for_screen,
)

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput
from coderclaw_tui.widgets.url_link import UrlLink

CODEX = WizardStart(agent_id="main", provider_id="openai-codex")


def port_is_free(port: int, *, reuse: bool = False) -> bool:
    """Bindable now. `reuse=False` is the strict test (no SO_REUSEADDR, as a foreign program might bind)."""
    with socket.socket() as probe:
        if reuse:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_pkce_finished_by_the_browser_callback(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser, clipboard: FakeClipboard, state_dir: Path
) -> None:
    app = make_app(make_services())
    async with app.run_test(size=SIZE) as pilot:
        await main_then_method(pilot, "codex", "PkceLoginScreen")
        screen = app.screen
        await wait_for(pilot, lambda: browser.opened, "the browser to be opened")
        url = browser.opened[0]
        assert screen.query_one("#authorize-url", UrlLink).url == url
        assert text(pilot, "#authorize-url") == url  # whole, not shortened
        assert "Listening on 127.0.0.1:" in text(pilot, "#listener-status")
        assert text(pilot, "#login-timeout") == "The login times out in 10:00."
        assert text(pilot, "#ssh-hint") == ""  # local: no tunnel needed

        await pilot.press("c")
        assert app.clipboard == url and clipboard.copied == [url]

        redirect = issuer.approve(url)  # the user clicks Approve; the browser follows the redirect
        port = httpx.URL(redirect).port
        assert port not in (1455, 1457)
        async with httpx.AsyncClient() as browser_client:
            answer = await browser_client.get(redirect)
        assert answer.status_code == 200 and "Authentication successful" in answer.text

        record = await confirm_and_check_disk(pilot, state_dir)
        assert port_is_free(port, reuse=True)  # a new login (SO_REUSEADDR, as asyncio binds) gets it back at once
        assert "coderclaw models status" in text(pilot, "#next-steps")
        await pilot.press("enter")
    assert record["type"] == "oauth" and record["email"] == "sandbox.user@example.test"
    assert record["accountId"] == "acct_sandbox_0001"
    assert app.return_value is not None and app.return_value.profile_id == "openai-codex:sandbox.user@example.test"


async def test_pkce_finished_by_a_wrapped_paste_in_remote_mode(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser, state_dir: Path
) -> None:
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        paste = screen.query_one("#paste", PasteInput)
        assert screen.focused is paste
        assert "You are on a remote machine" in text(pilot, "#pkce-note")
        port = httpx.URL(screen.url).params["redirect_uri"].rsplit(":", 1)[1].split("/")[0]
        assert text(pilot, "#ssh-hint").endswith(f"ssh -L {port}:127.0.0.1:{port} <host>")
        assert browser.opened == []  # remote: never launch a browser here

        redirect = issuer.approve(screen.url)
        wrapped = "\n".join(redirect[i : i + 70] for i in range(0, len(redirect), 70))  # as a terminal copies it
        paste.post_message(events.Paste(wrapped))
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["provider"] == "openai-codex" and record["refresh"].startswith("rt_")
    assert issuer.events.count("code_exchanged") == 1


async def test_sandbox_approve_key_plays_the_browser(
    make_services: MakeServices, issuer: SandboxIssuer, browser: FakeBrowser, state_dir: Path
) -> None:
    browser.works = False  # a machine with no graphical browser
    app = make_app(make_services(sandbox=issuer), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: "Could not open a browser" in text(pilot, "#login-status"), "the browser failure")
        assert text(pilot, "#login-status") == "Could not open a browser here; open the URL above yourself."
        await pilot.press("a")
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["email"] == "sandbox.user@example.test"
    assert "code_exchanged" in issuer.events


async def test_a_wrapped_url_pasted_in_two_parts_waits_for_the_second(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    """The first half (cut inside the code) is kept, not sent; the second half finishes the login."""
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sign_in_screen_ready(pilot)
        redirect = issuer.approve(screen.url)
        cut = redirect.index("code=") + 10
        paste = screen.query_one("#paste", PasteInput)
        paste.post_message(events.Paste(redirect[:cut] + "\n"))
        await wait_for(pilot, lambda: "looks incomplete" in text(pilot, "#paste-error"), "the incomplete warning")
        assert paste.value == redirect[:cut] and type(app.screen).__name__ == "PkceLoginScreen"
        paste.post_message(events.Paste(redirect[cut:]))
        record = await confirm_and_check_disk(pilot, state_dir)
    assert record["email"] == "sandbox.user@example.test"
