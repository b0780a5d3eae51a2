"""Rows 2, 3 and the endpoint half of rows 1 and 10: whatever the token endpoint answers, a refresh token once
received is stored, a spent one is never re-sent unasked, nothing the server wrote reaches the terminal, the
store or the log, and the exchange ends within its total deadline with at most 1 MiB read.

Each test runs the installed command as a real process against a real loopback server (`fault_endpoint.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fault_endpoint import ODD_200, PROFILE, FaultyEndpoint
from fault_helpers import log_text, one_sentence, store_path, stored

TOKEN = ("models", "auth", "token", "--provider", "openai-codex")


@pytest.mark.parametrize("variant", list(ODD_200))
def test_odd_but_successful_answer_keeps_the_new_refresh_token(
    variant: str, endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any
) -> None:
    endpoint.mode = f"odd:{variant}"
    first = run_cli(*TOKEN)
    # A JWT whose own `exp` is absurd is still usable through `expires_in`; everything else is not.
    assert first.returncode == (0 if variant == "JWT exp 1e308" else 4), first.stderr
    if first.returncode:
        line = one_sentence(first.stderr)
        assert "new refresh token it sent was saved" in line and "shortly" not in line
    record = stored(state_dir)["profiles"][PROFILE]
    assert record["refresh"] != expired_login["refresh"] and record["refresh"] in endpoint.live
    assert record["keptField"] == {"x": 1} and record["accountId"] == expired_login["accountId"]

    endpoint.mode = "ok"
    second = run_cli(*TOKEN)
    assert second.returncode == 0, second.stderr
    assert endpoint.reused == 0, "a spent refresh token was sent again"
    resent = [record["refresh"]] if first.returncode else []
    assert endpoint.received == [expired_login["refresh"], *resent]
    assert second.stdout.strip() == stored(state_dir)["profiles"][PROFILE]["access"]


@pytest.mark.parametrize("mode", ["garbled", "reset", "trickle-body"])
def test_ambiguous_failure_is_marked_and_never_resent_unasked(
    mode: str, endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any,
    short_stale: None,
) -> None:
    endpoint.mode = mode
    started = time.monotonic()
    first = run_cli(*TOKEN)
    took = time.monotonic() - started
    assert first.returncode == 5, first.stderr
    line = one_sentence(first.stderr)
    assert "--retry-refresh" in line and "coderclaw models auth login --provider openai-codex" in line
    assert "try again" not in line
    assert took < 15, f"the exchange ran {took:.1f} s past a 2 s deadline"
    record = stored(state_dir)["profiles"][PROFILE]
    assert record["refresh"] == expired_login["refresh"] and "refreshOutcomeUnknown" in record

    status = run_cli("models", "status")
    assert "refresh outcome unknown" in status.stdout and "--retry-refresh" in status.stdout
    again = run_cli(*TOKEN)
    assert again.returncode == 5 and len(endpoint.received) == 1, "sent again without being asked"

    endpoint.mode = "ok"
    retried = run_cli(*TOKEN, "--retry-refresh")
    # The endpoint rotated before failing, so the stored token is spent: the retry learns that for sure.
    assert retried.returncode == 5 and "needs a new login (refresh_token_reused)" in one_sentence(retried.stderr)


def test_retry_refresh_after_an_unknown_outcome_that_did_not_rotate_works(
    endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any
) -> None:
    """A reset before the server rotated anything: `--retry-refresh` then succeeds and clears the mark."""
    data = stored(state_dir)
    data["profiles"][PROFILE]["refreshOutcomeUnknown"] = "the connection failed mid-answer (ReadError)"
    store_path(state_dir).write_text(__import__("json").dumps(data))
    assert run_cli(*TOKEN).returncode == 5 and endpoint.received == []
    retried = run_cli(*TOKEN, "--retry-refresh")
    assert retried.returncode == 0, retried.stderr
    assert "refreshOutcomeUnknown" not in stored(state_dir)["profiles"][PROFILE]


def test_trickling_endpoint_is_cut_at_the_total_deadline_under_the_real_limits(
    endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any
) -> None:
    """CoderClaw's real 30 s stale limit, a status line trickled a byte every 0.5 s (every read succeeds): the
    exchange ends at the 20 s total deadline, and a writer arriving meanwhile waits for the lock instead of
    judging it stale, then writes; nothing is lost."""
    endpoint.mode = "trickle-head"
    env = {k: v for k, v in os.environ.items() if k != "CODERCLAW_TEST_LOCK_STALE_MS"}
    started = time.monotonic()
    refresher = subprocess.Popen(
        [sys.executable, "-m", "coderclaw_tui", *TOKEN], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    ended: list[tuple[float, str]] = []

    def reap() -> None:
        """The refresher's end, taken as it exits, not after the writer: the writer gets the lock only once the
        refresher lets it go, and then polls, so under load it can finish seconds later."""
        _, err = refresher.communicate(timeout=60)
        ended.append((time.monotonic(), err))

    reaper = threading.Thread(target=reap)
    reaper.start()
    time.sleep(3)
    writer = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:meanwhile",
                     input="sk-FAKE-meanwhile-0001", env=env, timeout=120)
    writer_done = time.monotonic() - started
    reaper.join(70)
    end, err = ended[0]
    took = end - endpoint.request_times[0]  # from the request (start-up under load excluded)
    assert refresher.returncode == 5, err
    assert 18.5 < took < 26, f"refresh took {took:.1f} s; the deadline is 20 s, the stale limit 30 s"
    print(f"FIGURE trickling endpoint: refresh ended {took:.1f} s after its request, the waiting writer {writer_done:.1f} s after the start")
    assert writer.returncode == 0, writer.stderr
    assert writer_done > 15, "the writer did not wait for the refresher's lock"
    profiles = stored(state_dir)["profiles"]
    assert "openai:meanwhile" in profiles and "refreshOutcomeUnknown" in profiles[PROFILE]


def test_a_300_mb_answer_is_never_read_whole(
    endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path
) -> None:
    endpoint.mode = "huge"
    child = subprocess.Popen([sys.executable, "-m", "coderclaw_tui", *TOKEN], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    err = child.stderr.read() if child.stderr else ""
    assert os.waitstatus_to_exitcode(status) == 5, err
    assert "larger than 1 MiB" in one_sentence(err)
    assert usage.ru_maxrss < 150 * 1024, f"peak memory {usage.ru_maxrss // 1024} MB"
    print(f"FIGURE 300 MB answer: peak memory {usage.ru_maxrss // 1024} MB")


@pytest.mark.parametrize("mode", ["echo-400", "echo-unknown", "echo-401", "echo-500"])
def test_an_echoed_refresh_token_is_never_shown_stored_or_logged(
    mode: str, endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, tmp_path: Path,
    run_cli: Any,
) -> None:
    endpoint.mode = mode
    secret = expired_login["refresh"]
    first = run_cli(*TOKEN)
    line = one_sentence(first.stderr)
    assert first.returncode == (4 if mode in ("echo-unknown", "echo-500") else 5), first.stderr
    status = run_cli("models", "status")
    listing = run_cli("models", "auth", "list", "--json")
    everything = first.stdout + line + status.stdout + status.stderr + listing.stdout + log_text(tmp_path)
    stored_text = store_path(state_dir).read_text()
    assert secret not in everything and secret[3:20] not in everything
    assert stored_text.count(secret) == 1, "the refresh token was copied into another field"
    assert "\x1b" not in everything
    if mode in ("echo-400", "echo-401"):
        assert "needs re-login" in status.stdout


def test_a_new_login_clears_an_unknown_outcome(
    endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, run_cli: Any
) -> None:
    """After "refresh outcome unknown", logging in again is the other way out: the new login's tokens are used and
    refreshed normally later, the mark gone with the old refresh token."""
    from fault_endpoint import ACCOUNT, EMAIL, jwt

    from coderclaw_tui.core.logins import save_login
    from coderclaw_tui.core.sink import TokenSink

    endpoint.mode = "garbled"
    assert run_cli(*TOKEN).returncode == 5
    fresh = {"type": "oauth", "provider": "openai-codex", "access": jwt(), "refresh": endpoint.new_refresh(),
             "expires": int(time.time() * 1000) + 3_600_000, "accountId": ACCOUNT, "email": EMAIL}
    save_login(TokenSink(), "main", PROFILE, fresh)
    record = stored(state_dir)["profiles"][PROFILE]
    assert "refreshOutcomeUnknown" not in record and record["refresh"] == fresh["refresh"]
    data = stored(state_dir)
    data["profiles"][PROFILE]["expires"] = 0
    store_path(state_dir).write_text(__import__("json").dumps(data))
    endpoint.mode = "ok"
    later = run_cli(*TOKEN)
    assert later.returncode == 0, later.stderr
    assert endpoint.received[-1] == fresh["refresh"] and endpoint.reused == 0
