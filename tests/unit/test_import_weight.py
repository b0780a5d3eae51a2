"""DESIGN: the scriptable commands are called by other programs, often; Textual, httpx, pydantic (and shtab, which
only `completion` needs) stay off their import path (start-up is measured in benchmarks/startup.py; this proves the
cause, without timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("textual", "httpx", "pydantic", "shtab")
COMMANDS = [
    ("models", "status"),
    ("models", "status", "--json", "--check"),
    ("models", "auth", "token", "--provider", "github-copilot"),
    ("models", "auth", "token", "--provider", "anthropic"),
    ("models", "auth", "list"),
    ("models", "auth", "list", "--json"),
]

_WRAPPER = r"""
import contextlib, io, json, sys
from coderclaw_tui.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"textual", "httpx", "pydantic", "shtab"})
print(json.dumps({"code": code, "heavy": heavy}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_command_leaves_heavy_packages_unimported(main_store: Path, config_file: Path, args: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, env=_env(), timeout=60
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 0, result.stderr
    assert outcome["heavy"] == [], f"`coderclaw {' '.join(args)}` imported {outcome['heavy']}"


@pytest.mark.parametrize("args", [COMMANDS[0], COMMANDS[2], COMMANDS[4]], ids=" ".join)
def test_real_entry_point_importtime_shows_no_heavy_package(main_store: Path, args: tuple[str, ...]) -> None:
    """The same through `python -m coderclaw_tui` as users run it, read from `-X importtime`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "coderclaw_tui", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 0
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "coderclaw_tui" in imported, "importtime output was not parsed"
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_the_wrapper_would_notice_a_heavy_import(main_store: Path) -> None:
    """Guards the test itself: the same wrapper does report pydantic when something imports it."""
    wrapper = _WRAPPER.replace(
        "from coderclaw_tui.cli import main", "from coderclaw_tui.cli import main\nimport pydantic"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, "models", "status"], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert json.loads(result.stdout.strip().splitlines()[-1])["heavy"] == ["pydantic"]
