"""DESIGN: core services never import Textual. The store, locks, refresh, providers, the OAuth machinery and the
flows must stay usable from a script, a test or another UI; this imports every one of their modules in a fresh
interpreter and checks that Textual never came along."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

UI_FREE_PACKAGES = ("core", "auth", "flows", "providers")

_PROBE = r"""
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""


def ui_free_modules() -> list[str]:
    names = ["coderclaw_tui.paths"]
    for package in UI_FREE_PACKAGES:
        module = __import__(f"coderclaw_tui.{package}", fromlist=["_"])
        names += [f"coderclaw_tui.{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)]
    return names


def test_every_module_below_the_ui_is_found() -> None:
    """Guards the next test: it must be looking at the real modules, not an empty list."""
    names = ui_free_modules()
    assert {"coderclaw_tui.core.sink", "coderclaw_tui.flows.pkce_login", "coderclaw_tui.auth.sandbox_issuer"} <= set(names)
    assert all(name.split(".")[1] in (*UI_FREE_PACKAGES, "paths") for name in names)


def test_core_auth_flows_and_providers_never_import_textual() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *ui_free_modules()], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_probe_would_notice_textual() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, "coderclaw_tui.core.sink", "coderclaw_tui.screens.base"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "textual" in json.loads(result.stdout.strip().splitlines()[-1])
