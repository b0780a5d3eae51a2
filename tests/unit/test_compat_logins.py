"""Logins next to CoderClaw's own, through the sandbox issuer over real loopback sockets:
- SPEC 5: the same ChatGPT account (accountId) updates CoderClaw's `openai-codex:default` in place, whatever id
  the login proposes; another account gets a profile of its own.
- SPEC 2: a refused refresh is marked so CoderClaw skips the profile too (`usageStats.disabledUntil` in the future,
  `disabledReason: "auth"`), and the next successful login clears it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core.credentials import RELOGIN_FIELD
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.flows.confirm_plan import commit, plan_confirm
from coderclaw_tui.flows.events import LoginResult
from coderclaw_tui.flows.onboarding import AgentChoice, SavedLogin
from coderclaw_tui.flows.pkce_login import PkceLogin
from coderclaw_tui.providers.token_response import parse_token_response

CODERCLAW_ID = "openai-codex:default"
ACCOUNT_A, ACCOUNT_B = "acct_A_0001", "acct_B_0002"
YEAR_MS = 365 * 24 * 3600 * 1000


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxIssuer]:
    with SandboxIssuer() as running:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", running.base_url)
        yield running


def store_path(state_dir: Path) -> Path:
    return state_dir / "agents" / "main" / "agent" / "auth-profiles.json"


def stored(state_dir: Path) -> dict[str, Any]:
    return json.loads(store_path(state_dir).read_text(encoding="utf-8"))


def write_coderclaw_login(state_dir: Path, issuer: SandboxIssuer, *, expires: int | None = None) -> dict[str, Any]:
    """What CoderClaw writes for a Codex login of account A: `openai-codex:default`, no email (pi-ai gives none),
    plus fields of its own that a re-login must keep."""
    answer = issuer.mint_tokens(email=None, account_id=ACCOUNT_A)
    fields = parse_token_response(answer, now_ms=int(time.time() * 1000), openai_jwt=True)
    record = {
        "type": "oauth", "provider": "openai-codex", "access": fields["access"], "refresh": fields["refresh"],
        "expires": fields["expires"] if expires is None else expires, "accountId": ACCOUNT_A, "chatgptPlanType": "plus",
    }
    path = store_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": {CODERCLAW_ID: record}}, indent=2) + "\n")
    return record


def sandbox_login(issuer: SandboxIssuer, *, email: str, account: str) -> LoginResult:
    """A real PKCE login: callback server on a free loopback port, the "browser" approving at the issuer."""
    issuer.set_identity(email=email, account_id=account)

    def browser(url: str) -> bool:
        with httpx.Client(trust_env=False, follow_redirects=True) as client:
            client.get(url + "&approve=1")
        return True

    async def run() -> LoginResult:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
            flow = PkceLogin(http, issuer=issuer.base_url, remote=False, open_browser=browser,
                             callback_port=0, fallback_port=None)
            return await asyncio.wait_for(flow.run(), 20)

    return asyncio.run(run())


def confirm_and_save(login: LoginResult) -> tuple[Any, SavedLogin]:
    """The wizard's confirm step: the plan it shows, then its one write."""
    sink = TokenSink()
    plan = plan_confirm(sink, AgentChoice("main"), login, login.suggested_profile_id)
    return plan, commit(sink, plan)


def test_same_account_updates_coderclaws_profile_in_place(state_dir: Path, issuer: SandboxIssuer) -> None:
    old = write_coderclaw_login(state_dir, issuer)
    login = sandbox_login(issuer, email="ada@example.test", account=ACCOUNT_A)
    assert login.suggested_profile_id == "openai-codex:ada@example.test"
    plan, saved = confirm_and_save(login)
    assert plan.placement.profile_id == CODERCLAW_ID and plan.placement.replaces
    assert plan.placement.requested_id == "openai-codex:ada@example.test" and plan.placement.collision is None
    assert saved.profile_id == CODERCLAW_ID
    profiles = stored(state_dir)["profiles"]
    assert list(profiles) == [CODERCLAW_ID], "no second profile for the same account"
    record = profiles[CODERCLAW_ID]
    assert record["access"] == login.credential["access"] != old["access"]
    assert record["refresh"] == login.credential["refresh"] != old["refresh"]
    assert record["accountId"] == ACCOUNT_A and record["email"] == "ada@example.test"
    assert record["chatgptPlanType"] == "plus", "fields the login does not set are kept"
    config = json.loads((state_dir / "coderclaw.json").read_text())
    assert list(config["auth"]["profiles"]) == [CODERCLAW_ID]


def test_another_account_gets_its_own_profile(state_dir: Path, issuer: SandboxIssuer) -> None:
    old = write_coderclaw_login(state_dir, issuer)
    login = sandbox_login(issuer, email="bob@example.test", account=ACCOUNT_B)
    plan, saved = confirm_and_save(login)
    assert plan.placement.profile_id == "openai-codex:bob@example.test" and not plan.placement.replaces
    assert saved.profile_id == "openai-codex:bob@example.test"
    profiles = stored(state_dir)["profiles"]
    assert profiles[CODERCLAW_ID] == old, "account A's profile is untouched"
    assert profiles["openai-codex:bob@example.test"]["accountId"] == ACCOUNT_B


def run_token() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderclaw_tui", "models", "auth", "token", "--provider", "openai-codex"],
        capture_output=True, text=True, timeout=60,
    )


def coderclaw_would_skip(stats: dict[str, Any], now_ms: int) -> bool:
    """CoderClaw's availability rule (reference Q3): a profile is unusable while `disabledUntil` or
    `cooldownUntil` lies in the future."""
    return any(isinstance(stats.get(k), int) and stats[k] > now_ms for k in ("disabledUntil", "cooldownUntil"))


def test_refused_refresh_is_honoured_by_coderclaw_and_cleared_by_a_new_login(
    state_dir: Path, issuer: SandboxIssuer
) -> None:
    write_coderclaw_login(state_dir, issuer, expires=int(time.time() * 1000) - 5_000)
    issuer.fail_next_refresh("invalid_grant")
    refused = run_token()
    assert refused.returncode == 5, refused.stderr
    assert "coderclaw models auth login --provider openai-codex" in refused.stderr
    after = stored(state_dir)
    now = int(time.time() * 1000)
    stats = after["usageStats"][CODERCLAW_ID]
    assert stats["disabledReason"] == "auth"
    assert stats["disabledUntil"] > now + YEAR_MS, "far in the future: only a new login ends it"
    assert stats["failureCounts"] == {"auth": 1} and stats["errorCount"] == 1
    assert coderclaw_would_skip(stats, now)
    assert after["profiles"][CODERCLAW_ID][RELOGIN_FIELD] == "invalid_grant"

    login = sandbox_login(issuer, email="ada@example.test", account=ACCOUNT_A)
    _, saved = confirm_and_save(login)
    assert saved.profile_id == CODERCLAW_ID
    cleared = stored(state_dir)
    assert RELOGIN_FIELD not in cleared["profiles"][CODERCLAW_ID]
    stats = cleared["usageStats"][CODERCLAW_ID]
    assert "disabledUntil" not in stats and "disabledReason" not in stats
    assert not coderclaw_would_skip(stats, int(time.time() * 1000))
    token = run_token()
    assert token.returncode == 0 and token.stdout.strip() == login.credential["access"]


def test_a_new_login_leaves_a_billing_pause_alone(state_dir: Path, issuer: SandboxIssuer) -> None:
    """Only our own "auth" marker is lifted: a billing pause CoderClaw set is not a login's to clear."""
    write_coderclaw_login(state_dir, issuer)
    data = stored(state_dir)
    until = int(time.time() * 1000) + 3_600_000
    data["usageStats"] = {CODERCLAW_ID: {"disabledUntil": until, "disabledReason": "billing"}}
    store_path(state_dir).write_text(json.dumps(data, indent=2) + "\n")
    confirm_and_save(sandbox_login(issuer, email="ada@example.test", account=ACCOUNT_A))
    assert stored(state_dir)["usageStats"][CODERCLAW_ID] == {"disabledUntil": until, "disabledReason": "billing"}
