"""Refresh through the token sink against the sandbox issuer: one refresh however many processes ask,
terminal failures marked for re-login, transient ones leaving the credential untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from coderclaw_tui import paths
from coderclaw_tui.auth.pkce import PkcePair, new_state
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core import refresh as refresh_module
from coderclaw_tui.core.credentials import RELOGIN_FIELD, UNKNOWN_FIELD
from coderclaw_tui.core.refresh import NeedsRelogin, RefreshFailed, RefreshOutcomeUnknown, refresh_profile
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.providers.catalogue import OPENAI_CODEX_CLIENT_ID

PROFILE = "openai-codex:sandbox.user@example.test"
REDIRECT = "http://localhost:1455/auth/callback"


def mint_tokens(issuer: SandboxIssuer) -> dict[str, Any]:
    """A real authorization-code grant with PKCE against the issuer, as a login would get."""
    pkce = PkcePair.generate()
    query = {
        "response_type": "code", "client_id": OPENAI_CODEX_CLIENT_ID, "redirect_uri": REDIRECT,
        "scope": "openid profile email offline_access", "code_challenge": pkce.challenge,
        "code_challenge_method": "S256", "state": new_state(),
    }
    redirect = issuer.approve(f"{issuer.base_url}/oauth/authorize?{urlencode(query)}")
    code = dict(httpx.URL(redirect).params)["code"]
    answer = httpx.post(
        f"{issuer.base_url}/oauth/token",
        data={"grant_type": "authorization_code", "client_id": OPENAI_CODEX_CLIENT_ID, "code": code,
              "code_verifier": pkce.verifier, "redirect_uri": REDIRECT},
    )
    answer.raise_for_status()
    return answer.json()


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Any:
    with SandboxIssuer(hang_seconds=3.0) as running:
        monkeypatch.setenv("CODERCLAW_OPENAI_CODEX_ISSUER", running.base_url)
        yield running


def store_expired_credential(issuer: SandboxIssuer) -> dict[str, Any]:
    tokens = mint_tokens(issuer)
    record = {
        "type": "oauth", "provider": "openai-codex", "access": tokens["access_token"],
        "refresh": tokens["refresh_token"], "expires": int(time.time() * 1000) - 5_000,
        "accountId": "acct_sandbox_0001", "email": "sandbox.user@example.test", "keptField": {"x": 1},
    }
    TokenSink().upsert("main", PROFILE, record)
    return record


def stored(agent: str = "main") -> dict[str, Any]:
    return json.loads(paths.auth_store_path(paths.default_agent_dir(agent)).read_text())


def refresh_still_works(issuer: SandboxIssuer, refresh_token: str) -> bool:
    answer = httpx.post(
        f"{issuer.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": OPENAI_CODEX_CLIENT_ID},
    )
    return answer.status_code == 200


def run_token_processes(agents: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start every process before waiting for any, so they really ask at the same moment."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "coderclaw_tui", "models", "auth", "token", "--provider", "openai-codex", "--agent", agent],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        )
        for agent in agents
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_sixteen_processes_refresh_once(issuer: SandboxIssuer) -> None:
    old = store_expired_credential(issuer)
    results = run_token_processes(["main"] * 16)
    assert [r.returncode for r in results] == [0] * 16, [r.stderr for r in results]
    tokens = {r.stdout.strip() for r in results}
    assert len(tokens) == 1 and old["access"] not in tokens
    assert issuer.refresh_count == 1
    assert issuer.reuse_detected == 0
    record = stored()["profiles"][PROFILE]
    assert record["access"] == tokens.pop()
    assert record["refresh"] != old["refresh"]
    assert record["keptField"] == {"x": 1}, "fields the refresh does not know are kept"
    assert refresh_still_works(issuer, record["refresh"])


def test_two_agents_sharing_mains_credential_refresh_once(issuer: SandboxIssuer) -> None:
    from coderclaw_tui.core.agents import add_agent

    old = store_expired_credential(issuer)
    add_agent("work")
    results = run_token_processes(["main", "work"] * 8)
    assert [r.returncode for r in results] == [0] * 16, [r.stderr for r in results]
    assert len({r.stdout.strip() for r in results}) == 1
    assert issuer.refresh_count == 1 and issuer.reuse_detected == 0
    assert stored("work")["profiles"] == {}, "nothing is copied to the sub-agent"
    record = stored()["profiles"][PROFILE]
    assert record["refresh"] != old["refresh"]
    assert refresh_still_works(issuer, record["refresh"])


def test_fresh_credential_is_not_refreshed(issuer: SandboxIssuer) -> None:
    tokens = mint_tokens(issuer)
    record = {"type": "oauth", "provider": "openai-codex", "access": tokens["access_token"],
              "refresh": tokens["refresh_token"], "expires": int(time.time() * 1000) + 600_000}
    TokenSink().upsert("main", PROFILE, record)
    result = run_token_processes(["main"])[0]
    assert result.stdout.strip() == tokens["access_token"]
    assert issuer.refresh_count == 0


def test_timeout_marks_the_outcome_unknown_and_is_never_resent_unasked(
    issuer: SandboxIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = store_expired_credential(issuer)
    monkeypatch.setattr(refresh_module, "REFRESH_DEADLINE_S", 0.5)
    issuer.fail_next_refresh("hang")
    sink = TokenSink()
    with pytest.raises(RefreshOutcomeUnknown, match="--retry-refresh") as caught:
        refresh_profile(sink, "main", sink.view().profiles[PROFILE])
    assert "shortly" not in caught.value.message and "try again" not in caught.value.message
    assert issuer.refresh_count == 1, "the same refresh token was sent once only"
    record = stored()["profiles"][PROFILE]
    assert record["refresh"] == old["refresh"] and record["access"] == old["access"]
    assert UNKNOWN_FIELD in record
    assert old["refresh"] not in caught.value.message
    with pytest.raises(RefreshOutcomeUnknown):
        refresh_profile(sink, "main", sink.view().profiles[PROFILE])
    assert issuer.refresh_count == 1, "a refresh token whose fate is unknown was sent again unasked"
    # Asked to, it sends it: this issuer had rotated it before hanging, so the grant is now known to be dead.
    with pytest.raises(NeedsRelogin, match="refresh_token_reused"):
        refresh_profile(sink, "main", sink.view().profiles[PROFILE], retry_refresh=True)
    assert issuer.refresh_count == 2 and RELOGIN_FIELD in stored()["profiles"][PROFILE]


@pytest.mark.parametrize("kind", ["invalid_grant", "refresh_token_expired", "unauthorized"])
def test_terminal_failure_marks_needs_relogin(issuer: SandboxIssuer, kind: str) -> None:
    store_expired_credential(issuer)
    issuer.fail_next_refresh(kind)
    result = run_token_processes(["main"])[0]
    assert result.returncode != 0
    assert "coderclaw models auth login --provider openai-codex" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert RELOGIN_FIELD in stored()["profiles"][PROFILE]
    status = subprocess.run(
        [sys.executable, "-m", "coderclaw_tui", "models", "status", "--check"], capture_output=True, text=True
    )
    assert status.returncode == 1
    assert "needs re-login" in status.stdout
    again = run_token_processes(["main"])[0]
    assert again.returncode != 0 and issuer.refresh_count == 1, "a dead refresh token is not sent again"


def test_transient_failure_leaves_credential_untouched(issuer: SandboxIssuer) -> None:
    store_expired_credential(issuer)
    before = stored()
    issuer.fail_next_refresh("server_error")
    sink = TokenSink()
    with pytest.raises(RefreshFailed, match="HTTP 500"):
        refresh_profile(sink, "main", sink.view().profiles[PROFILE])
    assert stored() == before


def test_reused_refresh_token_is_terminal(issuer: SandboxIssuer) -> None:
    old = store_expired_credential(issuer)
    assert refresh_still_works(issuer, old["refresh"]), "another client rotated the token behind our back"
    sink = TokenSink()
    with pytest.raises(NeedsRelogin, match="refresh_token_reused"):
        refresh_profile(sink, "main", sink.view().profiles[PROFILE])


def test_issuer_override_points_refresh_elsewhere(issuer: SandboxIssuer) -> None:
    """With the override unset the refresh would go to auth.openai.com; set, the sandbox sees it."""
    store_expired_credential(issuer)
    sink = TokenSink()
    refresh_profile(sink, "main", sink.view().profiles[PROFILE])
    assert issuer.refresh_count == 1
    assert "refresh_rotated" in issuer.events
