"""The audit log's cancel line (issue 9, row 10), from the installed command in a real terminal: a wizard left
with ctrl+c before anything was saved adds one `cancel` line to the private log, and says nothing was saved."""

from __future__ import annotations

import stat
from pathlib import Path

from test_tmux import Terminal, terminal  # noqa: F401  (the fixture, shared with the other tmux tests)


def test_cancelled_wizard_is_audited(terminal: Terminal, tmp_path: Path) -> None:  # noqa: F811
    terminal.start("onboard")
    terminal.wait_text("Which agent is this login for?")
    terminal.keys("C-c")
    shown = terminal.wait_text("CODERCLAW-EXIT=")
    assert "Nothing was saved." in shown
    log = tmp_path / "xdg-state" / "coderclaw" / "log" / "coderclaw.log"
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "coderclaw.audit" in line]
    assert len(lines) == 1 and "cancel command='onboard'" in lines[0], lines
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
