"""End to end: the installed `coderclaw` command in a real terminal (tmux), driven by keys, checked on screen and
on disk.

Each test runs its own tmux server (`tmux -L <unique socket>`), so nothing leaks between tests or into a user's
tmux, and kills it afterwards whatever happened. The screen is read with `capture-pane -p` and polled against a
deadline; there are no fixed sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")

COLUMNS, ROWS = 130, 32
COMMAND = Path(sys.executable).with_name("coderclaw")
TIMEOUT = 15.0


class Terminal:
    """One tmux server on a private socket, running one command in a 130x32 window."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"coderclaw-e2e-{uuid.uuid4().hex[:12]}"
        self.env = env

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, *argv: str) -> None:
        """Run the command; when it ends, its exit code is printed and the pane stays for us to read."""
        command = " ".join([str(COMMAND), *argv])
        shell = f"{command}; echo CODERCLAW-EXIT=$?; sleep 600"
        self.tmux("new-session", "-d", "-x", str(COLUMNS), "-y", str(ROWS), "-s", "e2e", shell)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def wait_for(self, predicate: Callable[[str], object], what: str, timeout: float = TIMEOUT) -> str:
        """Poll the screen until `predicate(screen)` holds; fail with the last screen otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if predicate(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen was:\n{shown}")
            time.sleep(0.05)

    def wait_text(self, text: str, timeout: float = TIMEOUT) -> str:
        return self.wait_for(lambda shown: text in shown, repr(text), timeout)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """The test's environment (temp HOME and state dir from the root conftest), a free callback port, and a TERM
    tmux itself understands; no API keys or SSH variables from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith(("SSH_", "TMUX"))}
    env.update(TERM="xterm-256color", CODERCLAW_OAUTH_CALLBACK_PORT=str(free_port()), TMUX_TMPDIR=str(tmp_path))
    term = Terminal(env)
    try:
        yield term
    finally:
        term.kill()


def read_store(state: Path, agent: str = "main") -> dict[str, Any]:
    return json.loads((state / "agents" / agent / "agent" / "auth-profiles.json").read_text(encoding="utf-8"))


def wait_for_store(state: Path, predicate: Callable[[dict[str, Any]], object], what: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            store = read_store(state)
        except (OSError, ValueError):  # not written yet (writes are atomic renames, so never half a file)
            store = {}
        if store and predicate(store):
            return store
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the store holds {json.dumps(store)[:2000]}")
        time.sleep(0.05)


def table_rows(shown: str) -> list[str]:
    """The profile table's rows, top to bottom: the lines under the AGENT header up to the first blank one."""
    lines = shown.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["AGENT", "PROFILE"])
    rows = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def details(shown: str) -> str:
    """The first line of the details pane (under the rule): `<profile id>  ·  <provider> <type>  ·  ...`."""
    lines = shown.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("────"))
    return lines[rule + 1].strip()


def test_onboard_sandbox_saves_an_openai_codex_login(terminal: Terminal, tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state"
    terminal.start("onboard", "--sandbox", "--state-dir", str(state))

    terminal.wait_text("Which agent is this login for?")
    terminal.wait_for(lambda s: "main" in s and "+ New agent" in s, "the agent list")
    terminal.keys("Enter")  # main, the first option

    terminal.wait_text("How do you want to sign in?")
    terminal.type("codex")
    terminal.wait_for(
        lambda s: "OpenAI Codex" in s and "Anthropic" not in s and "codex" in s, "the filter to narrow to OpenAI Codex"
    )
    terminal.keys("Enter")

    terminal.wait_text("Sign in to OpenAI Codex")
    terminal.wait_text("Approve")  # in the footer once the sign-in URL is ready
    terminal.keys("C-g")  # what the sandbox's browser page would do (ctrl: the paste field may have focus)

    shown = terminal.wait_text("Check, then save")
    assert "openai-codex OAuth login as sandbox.user@example.test, for agent main." in shown
    terminal.keys("Enter")

    shown = terminal.wait_text("All set")
    assert "Saved openai-codex:sandbox.user@example.test" in shown
    terminal.keys("Enter")
    shown = terminal.wait_text("CODERCLAW-EXIT=")
    assert "CODERCLAW-EXIT=0" in shown
    assert "Saved openai-codex:sandbox.user@example.test to" in shown

    store = read_store(state)
    record = store["profiles"]["openai-codex:sandbox.user@example.test"]
    assert record["type"] == "oauth" and record["provider"] == "openai-codex"
    assert record["access"].startswith("eyJ") and record["refresh"].startswith("rt_")
    assert isinstance(record["expires"], int) and record["expires"] > time.time() * 1000
    assert record["accountId"] == "acct_sandbox_0001"
    assert oct((state / "agents" / "main" / "agent" / "auth-profiles.json").stat().st_mode & 0o777) == "0o600"

    status = subprocess.run(
        [str(COMMAND), "models", "status"],
        env={**terminal.env, "CODERCLAW_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert status.returncode == 0, status.stderr
    line = next(line for line in status.stdout.splitlines() if "openai-codex:sandbox.user@example.test" in line)
    assert "oauth" in line
    assert record["access"] not in status.stdout and record["refresh"] not in status.stdout


def test_profiles_sandbox_reorder_refresh_remove(terminal: Terminal, tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state"
    terminal.start("profiles", "--sandbox", "--state-dir", str(state))
    shown = terminal.wait_for(lambda s: "4 shown" in s and "AGENT" in s, "the four sample profiles")
    rows = table_rows(shown)
    codex = [i for i, row in enumerate(rows) if "openai-codex:" in row]
    assert len(rows) == 4 and len(codex) == 2, rows
    first_id, second_id = (rows[i].split()[1] for i in codex)

    # Reorder: shift+up on the second openai-codex row puts it first in the provider's order.
    terminal.keys(*["Down"] * codex[1])
    terminal.wait_for(lambda s: details(s).startswith(second_id + " "), f"the cursor on {second_id}")
    terminal.keys("S-Up")
    store = wait_for_store(
        state, lambda s: s.get("order", {}).get("openai-codex", [None])[0] == second_id, "the new order on disk"
    )
    assert store["order"]["openai-codex"] == [second_id, first_id]
    terminal.wait_text(f"openai-codex order for main: {second_id}, {first_id}")

    # Refresh: r on the (still selected) OAuth row gets a new access token from the sandbox issuer.
    before, untouched = store["profiles"][second_id], store["profiles"][first_id]
    terminal.wait_for(lambda s: details(s).startswith(second_id + " ") and "r Refresh" in s, "the refresh key")
    terminal.keys("r")
    store = wait_for_store(
        state, lambda s: s["profiles"][second_id]["access"] != before["access"], "a new access token on disk"
    )
    after = store["profiles"][second_id]
    assert after["refresh"] != before["refresh"]  # the sandbox rotates refresh tokens, as OpenAI does
    assert after["expires"] >= before["expires"]
    assert store["profiles"][first_id] == untouched  # only the selected login was refreshed
    terminal.wait_text(f"Refreshed {second_id}")

    # Remove: x asks first; y removes it from the store and the table.
    terminal.keys("x")
    terminal.wait_text(f"Remove {second_id} from")
    terminal.keys("y")
    store = wait_for_store(state, lambda s: second_id not in s["profiles"], f"{second_id} gone from the store")
    assert set(store["profiles"]) == {first_id, "anthropic:default", "openai:default"}
    shown = terminal.wait_text("3 shown")
    assert second_id not in "\n".join(table_rows(shown))

    terminal.keys("q")
    assert "CODERCLAW-EXIT=0" in terminal.wait_text("CODERCLAW-EXIT=")
