"""Issue 12: `coderclaw onboard` shows its first screen (which agent) with nothing imported or parsed that only
the later steps need. Start-up is measured in benchmarks/wizard_startup.py; this pins the cause, without timing:
a fresh interpreter runs the real command path (`cli.main(["onboard"])`, headless, as the benchmark does) and
reports, once the choose-agent screen has painted, which later-step modules are loaded and which stylesheets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

NOT_BEFORE_FIRST_SCREEN = (
    "httpx",
    "pydantic",
    "pyperclip",
    "coderclaw_tui.auth.callback_server",  # a browser login's listener (hmac, html and http with it)
    "coderclaw_tui.providers.catalogue",  # the method step's list
    "coderclaw_tui.providers.specs",
    "coderclaw_tui.flows.events",  # what a login reports and returns
    "coderclaw_tui.flows.secret_entry",
    "coderclaw_tui.flows.confirm_plan",  # the confirm step's write
    "coderclaw_tui.core.logins",
    "coderclaw_tui.screens.choose_method",
    "coderclaw_tui.screens.flow_login",
    "coderclaw_tui.screens.secret_fields",
    "coderclaw_tui.screens.confirm",
    "coderclaw_tui.screens.profiles",
    "argparse",  # `onboard` is read by cli_quick; the command modules name argparse only in annotations
    "gettext",  # argparse's translations
)

_CHILD = r"""
import json, sys
from pathlib import Path
from textual.app import App
from textual.css.stylesheet import Stylesheet
from coderclaw_tui import cli
from coderclaw_tui.commands import wizard
from coderclaw_tui.screens.choose_agent import ChooseAgentScreen

LATER = json.loads(sys.argv[1])
reparses = []
_reparse = Stylesheet.reparse

def reparse(self):
    reparses.append(1)
    _reparse(self)

Stylesheet.reparse = reparse
_on_mount = ChooseAgentScreen.on_mount

def on_mount(self):
    _on_mount(self)

    def report():
        sources = {Path(path).name for path, _ in self.app.stylesheet.source if path.endswith(".tcss")}
        print(json.dumps({
            "screen": type(self.app.screen).__name__,
            "stack": [type(screen).__name__ for screen in self.app.screen_stack],
            "agents": self.query_one("#agents").option_count,
            "imported": sorted(name for name in LATER if name in sys.modules),
            "stylesheets": sorted(sources),
            "reparses": len(reparses),
        }), flush=True)
        self.app.exit()

    self.call_after_refresh(report)

ChooseAgentScreen.on_mount = on_mount
_run = App.run
App.run = lambda self, *args, **kwargs: _run(self, headless=True, size=(100, 32))
wizard._require_terminal = lambda command: None
cli.main(["onboard"])
"""


def first_screen(child: str = _CHILD) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", child, json.dumps(NOT_BEFORE_FIRST_SCREEN)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the wizard never reported its first screen (exit {result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(lines[0])


def test_first_screen_loads_nothing_the_later_steps_need(main_store: Path) -> None:
    shown = first_screen()
    assert shown["screen"] == "ChooseAgentScreen"
    assert shown["stack"] == ["ChooseAgentScreen"], "the first step is the app's first screen, not pushed over another"
    assert shown["agents"] == 2, "main and `+ New agent`: the list was filled from the state dir"
    assert shown["imported"] == []


def test_first_screen_reads_its_own_stylesheet_once_and_no_other_screens(main_store: Path) -> None:
    """A screen's stylesheet read on push makes Textual parse every stylesheet again; the first screen's is read
    with the app's, and the later screens' wait until they are pushed."""
    shown = first_screen()
    assert shown["stylesheets"] == ["app.tcss", "choose_agent.tcss"]
    assert shown["reparses"] == 0


def test_the_child_would_notice_a_later_step_module(main_store: Path) -> None:
    """Guards the test itself: the same child reports the catalogue when something imports it first."""
    child = _CHILD.replace("cli.main([", "import coderclaw_tui.providers.catalogue\ncli.main([")
    assert child != _CHILD
    assert "coderclaw_tui.providers.catalogue" in first_screen(child)["imported"]
