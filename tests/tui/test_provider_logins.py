"""Every built-in OAuth method end to end at 80x24: the wizard against the sandbox issuer over real sockets, the
exact record stored under CoderClaw's profile id, the config changes, and then (for the providers that have a
refresh) eight `models auth token` processes at once causing exactly one refresh."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual import events
from wizard_helpers import (
    BUILTIN_IDS,
    FakeClock,
    MakeServices,
    confirm_and_check_disk,
    read_json,
    sign_in_screen_ready,
    wait_for,
    wait_for_screen,
)

from coderclaw_tui.app import make_app
from coderclaw_tui.auth.sandbox_issuer import (
    QWEN_RESOURCE_URL,
    SANDBOX_CHUTES_CLIENT_ID,
    SANDBOX_PROJECT_ID,
    SandboxIssuer,
    sandbox_env,
)
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput

SMALL = (80, 24)
EMAIL = "sandbox.user@example.test"
ACCOUNT = "acct_sandbox_0001"


async def run_login(pilot: Any, issuer: SandboxIssuer, *, prepare: bool, device: bool) -> None:
    """Walk the sign-in: acknowledge the prepare step, then approve in the sandbox as the user would."""
    if prepare:
        await wait_for_screen(pilot, "PrepareLoginScreen")
        await pilot.press("enter")
    if device:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.code is not None, "the device code")
        issuer.approve_device(screen.code.user_code)
    else:
        screen = await sign_in_screen_ready(pilot)
        screen.query_one("#paste", PasteInput).post_message(events.Paste(issuer.approve(screen.url)))


async def login(make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, provider: str, method: str,
                *, prepare: bool = False, device: bool = False) -> tuple[dict[str, Any], dict[str, Any], str]:
    app = make_app(make_services(remote=True), WizardStart(agent_id="main", provider_id=provider, method_id=method))
    async with app.run_test(size=SMALL) as pilot:
        await run_login(pilot, issuer, prepare=prepare, device=device)
        record = await confirm_and_check_disk(pilot, state_dir)
        saved = app.wizard.saved
        assert saved is not None and saved.profile_id is not None
        profile_id = saved.profile_id
    return record, read_json(state_dir / "coderclaw.json"), profile_id


def eight_token_requests(issuer: SandboxIssuer, provider: str, state_dir: Path) -> set[str]:
    """Eight real processes ask for a token at once on the (already expired) credential."""
    import os

    env = {**os.environ, **sandbox_env(issuer.base_url, BUILTIN_IDS), "CODERCLAW_STATE_DIR": str(state_dir)}
    command = [sys.executable, "-m", "coderclaw_tui", "models", "auth", "token", "--provider", provider]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    return {out.strip() for out, _ in outputs}


def assert_one_refresh(
    issuer: SandboxIssuer, clock: FakeClock, provider: str, state_dir: Path, profile_id: str, old: dict[str, Any]
) -> None:
    """The login happened on the frozen clock, so its token is long expired by now; the issuer moves to real time
    so the refreshed token is fresh for every process that comes after the one that refreshed."""
    clock.now = time.time()
    before = issuer.refresh_count
    tokens = eight_token_requests(issuer, provider, state_dir)
    assert issuer.refresh_count - before == 1 and issuer.reuse_detected == 0
    stored = read_json(state_dir / "agents/main/agent/auth-profiles.json")["profiles"][profile_id]
    assert tokens == {stored["access"]} and stored["access"] != old["access"] and stored["refresh"] != old["refresh"]
    assert stored["expires"] > time.time() * 1000
    assert {k: v for k, v in stored.items() if k not in ("access", "refresh", "expires")} == {
        k: v for k, v in old.items() if k not in ("access", "refresh", "expires")
    }


async def test_openai_codex_device_code(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, clock: FakeClock
) -> None:
    record, config, profile_id = await login(make_services, issuer, state_dir, "openai-codex", "device-code", device=True)
    assert profile_id == f"openai-codex:{EMAIL}"
    assert set(record) == {"type", "provider", "access", "refresh", "expires", "accountId", "email"}
    assert record["accountId"] == ACCOUNT and record["email"] == EMAIL
    assert "device_code_approved" in issuer.events and "code_exchanged" in issuer.events
    assert config["auth"]["profiles"][profile_id] == {"provider": "openai-codex", "mode": "oauth", "email": EMAIL}
    assert_one_refresh(issuer, clock, "openai-codex", state_dir, profile_id, record)


async def test_openai_codex_device_code_not_enabled(make_services: MakeServices, issuer: SandboxIssuer) -> None:
    issuer.codex_device_enabled = False
    start = WizardStart(agent_id="main", provider_id="openai-codex", method_id="device-code")
    async with make_app(make_services(), start).run_test(size=SMALL) as pilot:
        await wait_for_screen(pilot, "DeviceCodeScreen")
        error = pilot.app.screen.query_one("#login-error")
        await wait_for(pilot, lambda: str(error.content), "the error")
        assert "Device code login is not enabled for this account" in str(error.content)


async def test_qwen_portal(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, clock: FakeClock
) -> None:
    record, config, profile_id = await login(make_services, issuer, state_dir, "qwen-portal", "device", prepare=True, device=True)
    assert profile_id == "qwen-portal:default"
    assert set(record) == {"type", "provider", "access", "refresh", "expires"}
    provider = config["models"]["providers"]["qwen-portal"]
    assert provider["baseUrl"] == f"https://{QWEN_RESOURCE_URL}/v1" and provider["apiKey"] == "qwen-oauth"
    assert [m["id"] for m in provider["models"]] == ["coder-model", "vision-model"]
    assert config["agents"]["defaults"]["models"]["qwen-portal/coder-model"] == {"alias": "qwen"}
    assert config["auth"]["profiles"][profile_id] == {"provider": "qwen-portal", "mode": "oauth"}
    assert_one_refresh(issuer, clock, "qwen-portal", state_dir, profile_id, record)


@pytest.mark.parametrize(("method", "base"), [("oauth", "https://api.minimax.io"), ("oauth-cn", "https://api.minimaxi.com")])
async def test_minimax_portal(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, run_cli: Any, method: str, base: str
) -> None:
    record, config, profile_id = await login(make_services, issuer, state_dir, "minimax-portal", method, device=True)
    assert profile_id == "minimax-portal:default"
    assert set(record) == {"type", "provider", "access", "refresh", "expires"}
    provider = config["models"]["providers"]["minimax-portal"]
    assert provider["baseUrl"] == f"{base}/anthropic" and provider["api"] == "anthropic-messages"
    assert config["agents"]["defaults"]["models"]["minimax-portal/MiniMax-M2.5"] == {"alias": "minimax-m2.5"}
    env = {"CODERCLAW_STATE_DIR": str(state_dir)}
    result = run_cli("models", "auth", "token", "--provider", "minimax-portal", env=env)
    assert result.returncode == 5 and "cannot be refreshed" in result.stderr and issuer.refresh_count == 0
    status = run_cli("models", "status", env=env)
    assert "expired" in status.stdout and "refreshable" not in status.stdout


async def test_chutes(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, clock: FakeClock
) -> None:
    record, config, profile_id = await login(make_services, issuer, state_dir, "chutes", "oauth", prepare=True)
    assert profile_id == "chutes:sandbox.user"
    assert record["email"] == "sandbox.user" and record["accountId"] == ACCOUNT
    assert record["clientId"] == SANDBOX_CHUTES_CLIENT_ID
    assert set(record) == {"type", "provider", "access", "refresh", "expires", "email", "accountId", "clientId"}
    assert config["auth"]["profiles"][profile_id] == {"provider": "chutes", "mode": "oauth", "email": "sandbox.user"}
    assert_one_refresh(issuer, clock, "chutes", state_dir, profile_id, record)


async def test_google_gemini_cli(
    make_services: MakeServices, issuer: SandboxIssuer, state_dir: Path, clock: FakeClock
) -> None:
    record, config, profile_id = await login(make_services, issuer, state_dir, "google-gemini-cli", "oauth", prepare=True)
    assert profile_id == f"google-gemini-cli:{EMAIL}"
    assert set(record) == {"type", "provider", "access", "refresh", "expires", "email", "projectId"}
    assert record["projectId"] == SANDBOX_PROJECT_ID and "project_onboarded" in issuer.events
    assert config["agents"]["defaults"]["models"] == {"google-gemini-cli/gemini-3-pro-preview": {}}
    assert_one_refresh(issuer, clock, "google-gemini-cli", state_dir, profile_id, record)
