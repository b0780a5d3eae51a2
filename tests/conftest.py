"""Shared fixtures. Every test gets its own empty CoderClaw state dir, so none can touch the real ~/.coderclaw."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

_CLEARED_ENV = (
    "CODERCLAW_AGENT_DIR",
    "PI_CODING_AGENT_DIR",
    "CODERCLAW_CONFIG_PATH",
    "CODERCLAW_OAUTH_DIR",
    "CODERCLAW_HOME",
)

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, not-yet-created state dir (so the program must create it 0700), and no inherited overrides.

    HOME and the XDG dirs also point into tmp: a path bug that ignored the state dir, or a log file, would
    then land in the test's own folder instead of the developer's home.
    """
    state = tmp_path / "state"
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CODERCLAW_STATE_DIR", str(state))
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_STATE_HOME", "xdg-state"),
        ("XDG_CACHE_HOME", "xdg-cache"),
        ("XDG_CONFIG_HOME", "xdg-config"),
    ):
        monkeypatch.setenv(name, str(tmp_path / sub))
    return state


@pytest.fixture
def run_cli() -> RunCli:
    """Run the installed command as a real subprocess, the way scripts call it: `run_cli("models", "status")`.

    `input` is fed to stdin (stdin is otherwise empty, never the terminal); `env` adds or overrides variables.
    """

    def run(
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "coderclaw_tui", *args],
            input=input if input is not None else "",
            env=full_env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    return run


@pytest.fixture
def main_store(state_dir: Path) -> Path:
    """The fixture store installed byte for byte as main's `auth-profiles.json` (CoderClaw wrote it)."""
    path = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    path.parent.mkdir(parents=True)
    path.write_bytes((FIXTURES / "coderclaw_store.json").read_bytes())
    path.chmod(0o600)
    return path


@pytest.fixture
def config_file(state_dir: Path) -> Path:
    """The JSON5 fixture config installed as `<state>/coderclaw.json`."""
    path = state_dir / "coderclaw.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((FIXTURES / "coderclaw_config.json5").read_bytes())
    return path


@pytest.fixture
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider key inherited from the developer's environment: commands would use (or probe) it."""
    from coderclaw_tui.providers.catalogue import BUILTIN_PROVIDERS

    for provider in BUILTIN_PROVIDERS:
        for name in provider.env_vars:
            monkeypatch.delenv(name, raising=False)
