"""Row 10's exit codes and log, and row 7's interrupted command: a terminal refresh failure exits 5 then and on
every later run; `--debug` adds a traceback but keeps exits 4 and 5; the log file is private (0600, also when it
existed looser) and holds one audit line per login, refresh and failure, with no secret in it; Ctrl-C claims
only what is true."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fault_endpoint import PROFILE, FaultyEndpoint
from fault_helpers import log_text, one_sentence, stored

TOKEN = ("models", "auth", "token", "--provider", "openai-codex")


def log_file(tmp_path: Path) -> Path:
    return tmp_path / "xdg-state" / "coderclaw" / "log" / "coderclaw.log"


def test_terminal_failure_exits_5_now_and_later(endpoint: FaultyEndpoint, expired_login: dict[str, Any],
                                                run_cli: Any) -> None:
    endpoint.mode = "echo-400"
    first = run_cli(*TOKEN)
    assert first.returncode == 5 and "needs a new login (invalid_grant)" in one_sentence(first.stderr)
    later = run_cli(*TOKEN)
    assert later.returncode == 5, later.stderr
    assert "coderclaw models auth login --provider openai-codex" in one_sentence(later.stderr)
    assert len(endpoint.received) == 1


def test_debug_keeps_exit_codes(endpoint: FaultyEndpoint, expired_login: dict[str, Any], run_cli: Any) -> None:
    endpoint.mode = "echo-500"
    transient = run_cli("--debug", *TOKEN)
    assert transient.returncode == 4 and "Traceback" in transient.stderr
    endpoint.mode = "echo-400"
    terminal = run_cli(*TOKEN, "--debug")
    assert terminal.returncode == 5 and "Traceback" in terminal.stderr
    assert expired_login["refresh"] not in transient.stderr + terminal.stderr


def test_log_is_private_and_audits_without_secrets(
    endpoint: FaultyEndpoint, expired_login: dict[str, Any], state_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    path = log_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("")
    path.chmod(0o644)
    secret = "sk-FAKE-audit-secret-0001"
    assert run_cli("models", "auth", "paste-token", "--provider", "openai", input=secret).returncode == 0
    assert run_cli(*TOKEN).returncode == 0
    rotated = stored(state_dir)["profiles"][PROFILE]
    endpoint.mode = "echo-400"
    data = stored(state_dir)
    data["profiles"][PROFILE]["expires"] = 0
    (state_dir / "agents/main/agent/auth-profiles.json").write_text(__import__("json").dumps(data))
    assert run_cli(*TOKEN).returncode == 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = log_text(tmp_path)
    lines = text.splitlines()
    assert any("login" in line and "openai:manual" in line for line in lines), text
    assert any("refresh" in line and "outcome='ok'" in line for line in lines), text
    assert any("refresh" in line and "needs re-login" in line for line in lines), text
    assert any("failure" in line and "NeedsRelogin" in line and "exit=5" in line for line in lines), text
    for value in (secret, expired_login["refresh"], rotated["refresh"], rotated["access"], expired_login["access"]):
        assert value not in text


def waiting_on_stdin(child: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until `child` is blocked reading fd 0 (Linux's /proc/PID/syscall: `0 0x0 …` is read(0, …)); a loaded
    machine can take well over a second to get it there, and a signal before then meets the bare interpreter.
    Where that file cannot be read (another system, a hardened kernel), a generous pause stands in for it."""
    syscall = Path(f"/proc/{child.pid}/syscall")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if syscall.read_text().startswith("0 0x0 "):
                return
        except OSError:
            if child.poll() is None:  # alive, so the file is not there to read here
                time.sleep(3)
                return
        assert child.poll() is None, "the command ended before reading stdin"
        time.sleep(0.02)
    raise AssertionError("the command never came to read stdin")


def test_ctrl_c_claims_only_what_is_true(state_dir: Path, main_store: Path) -> None:
    before = main_store.read_bytes()
    # As a terminal's foreground command has it: Ctrl-C raises KeyboardInterrupt. A command started in the
    # background by a shell without job control (as CI may start the tests) inherits SIGINT ignored, and Python
    # then leaves it ignored.
    as_in_a_terminal = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'coderclaw'; runpy.run_module('coderclaw_tui', run_name='__main__', alter_sys=True)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", as_in_a_terminal, "models", "auth", "paste-token", "--provider", "openai"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    waiting_on_stdin(child)
    child.send_signal(signal.SIGINT)
    child.wait(timeout=20)  # stdin stays open until it has gone: an EOF racing the signal would be another test
    _, err = child.communicate(timeout=20)
    assert child.returncode == 130
    line = one_sentence(err)
    assert "nothing half-done" not in line and "coderclaw models status" in line
    assert main_store.read_bytes() == before


def test_invalid_config_is_a_warning_after_the_store_was_written(state_dir: Path, main_store: Path,
                                                                  run_cli: Any) -> None:
    """The store is the truth: a config that cannot be updated does not turn a saved login into a failure."""
    config = state_dir / "coderclaw.json"
    config.write_text("{ not: json5 ][")
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:cfg",
                     input="sk-FAKE-cfg-0001")
    assert result.returncode == 0, result.stderr
    assert "Saved openai:cfg" in result.stdout
    warning = one_sentence(result.stderr)
    assert "warning" in warning and "was saved" in warning and str(config) in warning
    assert "openai:cfg" in stored(state_dir)["profiles"] and config.read_text() == "{ not: json5 ]["
