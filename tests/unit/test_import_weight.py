"""DESIGN: the scriptable commands are called by other programs, often; Textual, httpx, pydantic (and shtab, which
only `completion` needs) stay off their import path (start-up is measured in benchmarks/startup.py; this proves the
cause, without timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


FRESH_TOKEN_PATH_NEEDS_NONE_OF = (
    "typing",  # annotations are strings; NamedTuples are collections.namedtuple
    "shutil",  # argparse's formatter asks it for the terminal width unless told
    "random",  # the store lock's backoff: only writers
    "threading",  # the store lock's heartbeat: only writers
    "coderclaw_tui.core.locks",
    "coderclaw_tui.providers.catalogue",  # only for an alias (`codex`) or an id no profile has
    "argparse",  # these command lines are read by cli_quick; argparse only for what it leaves (help, errors)
    "gettext",  # argparse's translations
    "locale",
)


READ_ONLY_COMMANDS = [
    ("models", "auth", "token", "--provider", "anthropic"),
    ("models", "auth", "token", "--provider", "github-copilot"),
    ("models", "status"),
    ("models", "status", "--json"),
]


@pytest.mark.parametrize("args", READ_ONLY_COMMANDS, ids=" ".join)
def test_read_only_commands_import_only_what_reading_and_printing_need(main_store: Path, args: tuple[str, ...]) -> None:
    """Issue 12: a script asking for a fresh token or the status pays for reading the store and printing, nothing
    more (a refresh, which does write, still loads the locks: see test_refresh and the fault tests)."""
    wrapper = _WRAPPER.replace(
        'heavy = sorted({m.split(".")[0] for m in sys.modules} & {"textual", "httpx", "pydantic", "shtab"})',
        f"heavy = sorted(set(sys.modules) & set({FRESH_TOKEN_PATH_NEEDS_NONE_OF!r}))",
    )
    assert wrapper != _WRAPPER
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 0, result.stderr
    assert outcome["heavy"] == [], f"`coderclaw {' '.join(args)}` imported {outcome['heavy']}"


def test_alias_still_resolves_through_the_catalogue(main_store: Path, run_cli: Any) -> None:
    """The cheap path must not lose aliases: `claude` is anthropic, though no stored profile says `claude`."""
    by_alias = run_cli("models", "auth", "token", "--provider", "claude")
    by_id = run_cli("models", "auth", "token", "--provider", "anthropic")
    assert by_alias.returncode == 0, by_alias.stderr
    assert by_alias.stdout == by_id.stdout


def test_the_status_shortcut_for_refreshable_providers_matches_the_catalogue() -> None:
    """credentials.REFRESHABLE_BUILTINS spares `models status` the catalogue; it must say what the catalogue says."""
    from coderclaw_tui.core.credentials import REFRESHABLE_BUILTINS
    from coderclaw_tui.providers.catalogue import BUILTIN_PROVIDERS

    assert REFRESHABLE_BUILTINS == {p.id for p in BUILTIN_PROVIDERS if p.refresh is not None}
