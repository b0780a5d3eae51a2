"""End to end: strings from a store or a config that carry terminal control sequences never reach a real terminal
raw from the full-screen commands (the scriptable ones are covered by tests/faults/test_hostile_output.py), and
are shown escaped (`\\x1b]…`), as those commands print them.

The terminal is tmux at 80x24 with `set-clipboard on`, so the sequences an attacker would plant have effects we
can read back: OSC 0 sets the pane's title, OSC 52 fills a paste buffer.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_tmux_logins import MakeTerminal, SmallTerminal, make_terminal  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")

CLIPBOARD = "PWNED-CLIPBOARD"
TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC52 = f"\x1b]52;c;{base64.b64encode(CLIPBOARD.encode()).decode()}\x07"
CLEAR = "\x1b[2J\x1b[H"


def hostile_state(state: Path) -> None:
    """main's store and the config, as another program (or a hostile server's answer) could have written them."""
    agent_dir = state / "agents" / "main" / "agent"
    agent_dir.mkdir(parents=True, mode=0o700)
    profiles = {
        f"openai:t{TITLE}": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-" + "k" * 30},
        "openai-codex:mail": {
            "type": "oauth", "provider": "openai-codex", "access": "eyJFAKE." + "a" * 60, "refresh": "rt_FAKE" + "r" * 30,
            "expires": int(time.time() * 1000) + 3_600_000, "email": f"x{OSC52}@example.test", "accountId": f"acct{CLEAR}",
        },
        "anthropic:relogin": {
            "type": "oauth", "provider": "anthropic", "access": "sk-ant-oat01-" + "x" * 60, "refresh": "rt_x" + "y" * 30,
            "expires": 1, "needsRelogin": f"revoked{TITLE}",
        },
    }
    store = agent_dir / "auth-profiles.json"
    store.write_text(json.dumps({"version": 1, "profiles": profiles}, indent=2) + "\n", encoding="utf-8")
    store.chmod(0o600)
    config = {"agents": {"list": [{"id": "main", "name": f"Main{TITLE}"}, {"id": "work", "name": f"Work{OSC52}"}]}}
    (state / "coderclaw.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def assert_terminal_untouched(terminal: SmallTerminal) -> None:
    title = terminal.tmux("display-message", "-p", "-t", "e2e", "#{pane_title}")
    assert "PWNED" not in title, f"a stored string set the terminal's title: {title!r}"
    buffers = terminal.tmux("list-buffers", "-F", "#{buffer_sample}")
    assert CLIPBOARD not in buffers, "a stored string wrote the clipboard (OSC 52)"


@pytest.fixture
def on_hostile_state(make_terminal: MakeTerminal, tmp_path: Path) -> Callable[[str], SmallTerminal]:  # noqa: F811
    """`start(command)`: the installed command in a fresh 80x24 terminal, on the hostile state dir."""
    state = tmp_path / "hostile"
    hostile_state(state)

    def start(command: str) -> SmallTerminal:
        terminal = make_terminal()
        terminal.start(command, "--state-dir", str(state))
        return terminal

    return start


def test_the_profile_browser_shows_hostile_strings_escaped(on_hostile_state: Callable[[str], SmallTerminal]) -> None:
    terminal = on_hostile_state("profiles")
    terminal.wait_text("3 shown")
    for _ in range(3):  # every row under the cursor: the details pane shows its id and reason
        terminal.keys("Down")
        time.sleep(0.3)
    assert_terminal_untouched(terminal)
    shown = terminal.wait_text("x\\x1b")  # the email, escaped as the commands print it (cut to its column)
    assert "LE\\x07" in shown, "the id's BEL shown escaped at its end"


def test_the_wizard_shows_hostile_agent_names_escaped(on_hostile_state: Callable[[str], SmallTerminal]) -> None:
    terminal = on_hostile_state("onboard")
    terminal.wait_text("Which agent is this login for?")
    terminal.wait_text("PWNED-TITLE")
    assert_terminal_untouched(terminal)
    shown = terminal.wait_text("Work\\x1b]52")  # shown escaped, as the scriptable commands show it
    assert "Main\\x1b]0;PWNED-TITLE" in shown
