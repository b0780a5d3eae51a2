"""Every failure a login can meet is shown on the screen in one sentence with the way forward, and the wizard
carries on: a bad paste, a refused code, a busy port, no network, an unreadable store, a taken profile id."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
from textual import events
from textual.widgets import Button, Input
from wizard_helpers import (
    SETUP_TOKEN,
    SIZE,
    MakeServices,
    confirm_and_check_disk,
    read_json,
    sign_in_screen_ready,
    text,
    wait_for,
    wait_for_screen,
)

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput

CODEX = WizardStart(agent_id="main", provider_id="openai-codex")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_paste_from_another_sign_in_is_refused_and_the_login_goes_on(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        paste = screen.query_one("#paste", PasteInput)
        paste.post_message(events.Paste("http://localhost:1455/auth/callback?code=ac_x&state=not-this-login"))
        await wait_for(pilot, lambda: text(pilot, "#paste-error"), "the paste error")
        assert "sign-in" in text(pilot, "#paste-error") and "state" in text(pilot, "#paste-error")
        assert text(pilot, "#login-error") == ""

        paste.value = ""
        paste.post_message(events.Paste(issuer.approve(screen.url)))  # the right one still works
        await confirm_and_check_disk(pilot, state_dir)


async def test_a_refused_code_is_shown_and_ctrl_r_starts_again(make_services: MakeServices, issuer: SandboxIssuer) -> None:
    app = make_app(make_services(remote=True), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        first_url = screen.url
        state = httpx.URL(first_url).params["state"]
        screen.query_one("#paste", PasteInput).post_message(events.Paste(f"ac_made_up#{state}"))
        await wait_for(pilot, lambda: text(pilot, "#login-error"), "the login error")
        host = issuer.base_url.split("//")[1]
        assert text(pilot, "#login-error") == (
            f"{host} refused the sign-in code (invalid_grant, HTTP 400); start the login again. "
            "Press ctrl+r to start again, or Esc to go back."
        )
        assert "command('retry', True)" in {b.binding.action for b in screen.active_bindings.values()}
        assert screen.query_one("#paste", PasteInput).value == ""  # cleared, so r is the key, not a letter
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.url and screen.url != first_url, "a new authorize URL")
        assert text(pilot, "#login-error") == ""


async def test_a_busy_port_falls_back_to_paste_with_a_plain_diagnosis(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        app = make_app(make_services(callback_port=port), CODEX)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, "PkceLoginScreen")
            screen = app.screen
            await wait_for(pilot, lambda: screen.url, "the authorize URL", timeout=8)
            status = screen.query_one("#listener-status")
            assert text(pilot, "#listener-status") == (
                f"Port {port} is in use by another program, so the browser cannot hand the login back automatically; "
                "paste the redirect URL instead."
            )
            assert status.has_class("-warning")
            screen.query_one("#paste", PasteInput).post_message(events.Paste(issuer.approve(screen.url)))
            await confirm_and_check_disk(pilot, state_dir)


async def test_network_down_during_the_code_exchange(make_services: MakeServices, issuer: SandboxIssuer) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    app = make_app(make_services(env={"CODERCLAW_OPENAI_CODEX_ISSUER": dead}, remote=True), CODEX)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sign_in_screen_ready(pilot)
        assert screen.url.startswith(dead)
        state = httpx.URL(screen.url).params["state"]
        screen.query_one("#paste", PasteInput).post_message(events.Paste(f"ac_code#{state}"))
        await wait_for(pilot, lambda: text(pilot, "#login-error"), "the login error")
        assert text(pilot, "#login-error") == (
            f"Could not reach {dead.split('//')[1]} (ConnectError); check the network and log in again. "
            "Press ctrl+r to start again, or Esc to go back."
        )


async def test_network_down_for_the_device_login(make_services: MakeServices) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    app = make_app(make_services(env={"CODERCLAW_GITHUB_COPILOT_ISSUER": dead}), WizardStart(agent_id="main", provider_id="github-copilot"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        await wait_for(pilot, lambda: text(pilot, "#login-error"), "the login error")
        assert text(pilot, "#login-error").startswith(f"Could not reach {dead.split('//')[1]} (ConnectError)")
        assert text(pilot, "#login-error").endswith("Press r to start again, or Esc to go back.")


async def test_an_unreadable_store_is_moved_aside_not_deleted(make_services: MakeServices, state_dir: Path) -> None:
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    store.write_text('{"version": 1, "profiles": {', encoding="utf-8")
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="anthropic", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "CorruptStoreDialog")
        assert str(store) in text(pilot, "#corrupt-detail")
        assert app.screen.focused is app.screen.query_one("#keep-store", Button)  # the safe answer is the default
        await pilot.click("#move-aside")
        await wait_for_screen(pilot, "ApiKeyScreen")
        aside = list(store.parent.glob("auth-profiles.json.corrupt-*"))
        assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == '{"version": 1, "profiles": {'
        assert not store.exists()


async def test_declining_to_move_a_corrupt_store_goes_back_to_the_agent_step(
    make_services: MakeServices, state_dir: Path
) -> None:
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    store.write_text("not json", encoding="utf-8")
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "CorruptStoreDialog")
        enter = app.screen.active_bindings["enter"]
        assert enter.binding.show and enter.binding.description == "Choose"  # Enter's action is in the Footer
        await pilot.press("enter")  # on "Leave it", the focused default
        await wait_for_screen(pilot, "ChooseAgentScreen")
        assert "a store is unreadable" in str(app.screen.query_one("#agents").get_option_at_index(0).prompt)
    assert store.read_text(encoding="utf-8") == "not json"


async def test_a_taken_profile_id_is_never_overwritten(make_services: MakeServices, state_dir: Path) -> None:
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    existing = {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-existing-key-0000"}
    store.write_text(json.dumps({"version": 1, "profiles": {"anthropic:default": existing}}), encoding="utf-8")
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="anthropic", method_id="setup-token"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "PasteTokenScreen")
        app.screen.query_one("#token", PasteInput).post_message(events.Paste(SETUP_TOKEN))
        await wait_for(pilot, lambda: "Looks right" in text(pilot, "#token-problem"), "the token check")
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: app.screen.plan is not None, "the plan")
        assert text(pilot, "#collision") == (
            "anthropic:default already holds an API key; it is kept, and this login will be saved as "
            "anthropic:default-2 (or type another name)."
        )
        name = app.screen.query_one("#profile-name", Input)
        name.value = "my laptop"
        await pilot.pause()
        assert text(pilot, "#save-error") == "Profile names cannot contain spaces."
        await pilot.press("enter")
        assert type(app.screen).__name__ == "ConfirmScreen"  # nothing saved with a bad name
        name.value = "default"
        record = await confirm_and_check_disk(pilot, state_dir)
    profiles = read_json(store)["profiles"]
    assert profiles["anthropic:default"] == existing
    assert profiles["anthropic:default-2"] == record


async def test_a_corrupt_config_is_reported_and_nothing_is_saved(make_services: MakeServices, state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "coderclaw.json").write_text("{ auth: ", encoding="utf-8")
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="openai"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        app.screen.query_one("#api-key", PasteInput).value = "sk-proj-0123456789abcdef"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: text(pilot, "#save-error"), "the config error")
        assert text(pilot, "#save-error").startswith(f"{state_dir / 'coderclaw.json'} is not valid JSON5")
        await pilot.press("enter")
        assert type(app.screen).__name__ == "ConfirmScreen"
    assert not (state_dir / "agents").exists()


async def test_an_unexpected_error_leaves_one_sentence_and_no_traceback(
    make_services: MakeServices, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coderclaw_tui.app import UNEXPECTED
    from coderclaw_tui.screens.choose_method import ChooseMethodScreen

    def broken(self: object) -> None:
        raise RuntimeError("a bug, with sk-ant-api03-secret in a local")

    monkeypatch.setattr(ChooseMethodScreen, "on_mount", broken)
    app = make_app(make_services(), WizardStart(agent_id="main"))
    with pytest.raises(RuntimeError):  # Pilot re-raises what the app met, so tests see bugs
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
    assert app.return_code == 70
    printed = capsys.readouterr()
    assert " ".join(printed.err.split()) == UNEXPECTED
    assert "Traceback" not in printed.err + printed.out and "secret" not in printed.err + printed.out


async def test_another_program_taking_the_id_meanwhile_is_caught_under_the_lock(
    make_services: MakeServices, state_dir: Path
) -> None:
    app = make_app(make_services(), WizardStart(agent_id="main", provider_id="anthropic", method_id="api-key"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ApiKeyScreen")
        app.screen.query_one("#api-key", PasteInput).value = "sk-ant-api03-mine-0123456789"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await wait_for(pilot, lambda: app.screen.plan is not None, "the plan")
        assert app.screen.plan.profile_id == "anthropic:default"

        store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"  # another process writes meanwhile
        store.parent.mkdir(parents=True)
        theirs = {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN}
        store.write_text(json.dumps({"version": 1, "profiles": {"anthropic:default": theirs}}), encoding="utf-8")
        await pilot.press("enter")
        await wait_for(pilot, lambda: text(pilot, "#save-error"), "the collision message")
        assert text(pilot, "#save-error") == (
            "Another program saved anthropic:default meanwhile; review the new name and press Enter again."
        )
        assert app.screen.query_one("#profile-name", Input).value == "default-2"
        record = await confirm_and_check_disk(pilot, state_dir)
    assert read_json(store)["profiles"] == {"anthropic:default": theirs, "anthropic:default-2": record}
