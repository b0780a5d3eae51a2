"""Issue 12: the installed command freezes what it loaded before the interpreter's exit, so the exit's garbage
collections skip it (about 4 ms of a scriptable command's 40, paid by every script asking for a token). The
exit must otherwise stay as it was: the command's exit code and output, and exit handlers run."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from coderclaw_tui.cli import main

FROZEN_AT_EXIT = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print(f'frozen at exit: {gc.get_freeze_count() > 0}', file=sys.stderr))\n"
)
"""An exit handler that reports whether the heap was frozen by the time the interpreter exits."""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FROZEN_AT_EXIT + code], capture_output=True, text=True, timeout=60)


def run_console(*args: str) -> subprocess.CompletedProcess[str]:
    return run_python(f"from coderclaw_tui.cli import console\nsys.argv = ['coderclaw', *{args!r}]\nconsole()\n")


@pytest.mark.parametrize(
    "args",
    [("models", "status"), ("models", "auth", "token", "--provider", "openai")],
    ids=["success", "documented-failure"],
)
def test_the_command_exits_as_main_returns_with_the_heap_frozen(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = main(list(args))
    said = capsys.readouterr()
    result = run_console(*args)
    assert result.returncode == expected
    assert result.stdout == said.out
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "frozen at exit: True", result.stderr
    assert lines[:-1] == said.err.strip().splitlines()


def test_the_installed_command_and_python_m_go_through_console() -> None:
    (script,) = entry_points(group="console_scripts", name="coderclaw")
    assert script.value == "coderclaw_tui.cli:console"
    result = run_python(
        "import runpy\nsys.argv = ['coderclaw', 'models', 'status']\nrunpy.run_module('coderclaw_tui', run_name='__main__')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "frozen at exit: True"
