"""End to end: SIGINT sent to the installed command in a real terminal (tmux), as `kill -INT` or a Ctrl-C typed
before the app has taken the terminal over delivers it.

Once the app runs, a SIGINT is the Ctrl-C key: the wizard leaves, says nothing was saved, exits 1, and the log
holds no error. Sent while the app is still starting, wherever it lands, it ends the command with the
interrupt's sentence and 130 (before, asyncio cancelled the app's task and the screens were taken down under one
being set up: "stopped on an unexpected error", exit 70, in about one start in thirty).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from test_tmux import COMMAND, TIMEOUT, Terminal, terminal  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")


def command_pid(term: Terminal) -> int:
    """The coderclaw process: the child of the pane's shell running the installed command."""
    shell = int(term.tmux("list-panes", "-t", "e2e", "-F", "#{pane_pid}").strip())
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == shell and str(COMMAND).encode() in cmdline:
                return int(entry.name)
        time.sleep(0.01)
    raise AssertionError("the coderclaw process did not start")


def exit_code(shown: str) -> int:
    return int(shown.split("CODERCLAW-EXIT=", 1)[1].split()[0])


def log_errors(root: Path) -> list[str]:
    """The ERROR lines of the program's log, wherever under the test's folder (HOME, XDG dirs) it went."""
    return [
        line
        for log in root.rglob("coderclaw.log")
        for line in log.read_text(encoding="utf-8").splitlines()
        if " ERROR " in line
    ]


def test_sigint_while_the_wizard_runs_is_the_ctrl_c_key(terminal: Terminal, state_dir: Path) -> None:  # noqa: F811
    terminal.start("onboard")
    terminal.wait_for(lambda s: "+ New agent" in s, "the first screen with its agents")
    os.kill(command_pid(terminal), signal.SIGINT)
    shown = terminal.wait_text("CODERCLAW-EXIT=")
    assert exit_code(shown) == 1 and "Nothing was saved." in shown, shown
    assert "Traceback" not in shown and "unexpected" not in shown
    assert not (state_dir / "agents").exists() or not any((state_dir / "agents").rglob("auth-profiles.json"))
    assert log_errors(state_dir.parent) == []


@pytest.mark.parametrize("after", [round(0.1 + 0.025 * step, 3) for step in range(20)])
def test_sigint_while_the_wizard_starts_ends_it_as_an_interrupt_or_a_quit(
    terminal: Terminal, state_dir: Path, after: float  # noqa: F811
) -> None:
    """At any moment of the start: the interrupt's sentence and 130, or (the app already running) the quit's
    `Nothing was saved.` and 1; never an unexpected error, a traceback or a hang."""
    terminal.start("onboard")
    pid = command_pid(terminal)
    time.sleep(after)
    os.kill(pid, signal.SIGINT)
    shown = terminal.wait_text("CODERCLAW-EXIT=")
    code = exit_code(shown)
    assert (code, "coderclaw: interrupted;" in shown) == (130, True) or (code, "Nothing was saved." in shown) == (
        1,
        True,
    ), shown
    assert "Traceback" not in shown and "unexpected" not in shown, shown
    assert log_errors(state_dir.parent) == []
