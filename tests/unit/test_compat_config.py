"""SPEC 6: config writes keep CoderClaw's five generations of backups, never follow a symlinked backup, and a
login whose config update fails still counts (the store is the truth) with a warning naming the config."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
GENERATIONS = ["coderclaw.json.bak", *(f"coderclaw.json.bak.{n}" for n in range(1, 5))]
SETUP_TOKEN = "sk-ant-oat01-" + "Q" * 80


def test_five_writes_leave_the_five_previous_versions(state_dir: Path, run_cli: RunCli) -> None:
    config = state_dir / "coderclaw.json"
    state_dir.mkdir()
    config.write_text("// hand-written, with a comment only this backup keeps\n{ gateway: { port: 1, }, }\n")
    versions = [config.read_bytes()]
    for n in range(1, 6):
        result = run_cli("agents", "add", f"agent{n}")
        assert result.returncode == 0, result.stderr
        versions.append(config.read_bytes())
    assert len(set(versions)) == 6, "each write changed the config"
    held = [(state_dir / name).read_bytes() for name in GENERATIONS]
    assert held == list(reversed(versions[:5])), ".bak is the newest previous version, .bak.4 the oldest"
    for name in GENERATIONS:
        assert (state_dir / name).stat().st_mode & 0o777 == 0o600
    # A sixth write drops the oldest (the commented original) and shifts the rest.
    assert run_cli("agents", "add", "agent6").returncode == 0
    assert [(state_dir / name).read_bytes() for name in GENERATIONS] == list(reversed(versions[1:6]))
    assert sorted(p.name for p in state_dir.glob("coderclaw.json*")) == sorted(["coderclaw.json", *GENERATIONS])


def test_symlinked_backups_are_never_followed(state_dir: Path, tmp_path: Path, run_cli: RunCli) -> None:
    """A backup name that is a link (planted, or a dotfile manager's) is moved or replaced as a link; the file it
    points at is never written."""
    state_dir.mkdir()
    config = state_dir / "coderclaw.json"
    config.write_text(json.dumps({"gateway": {"port": 1}}))
    victims = {name: tmp_path / f"victim-{name}" for name in ("coderclaw.json.bak", "coderclaw.json.bak.4")}
    for name, victim in victims.items():
        victim.write_text("precious\n")
        (state_dir / name).symlink_to(victim)
    before = config.read_bytes()
    assert run_cli("agents", "add", "ops").returncode == 0
    for victim in victims.values():
        assert victim.read_text() == "precious\n"
    backup = state_dir / "coderclaw.json.bak"
    assert not backup.is_symlink() and backup.read_bytes() == before
    moved = state_dir / "coderclaw.json.bak.1"
    assert moved.is_symlink() and moved.resolve() == victims["coderclaw.json.bak"], "rotated as a link"


def test_login_saved_but_config_unwritable_is_a_success_with_a_warning(state_dir: Path, run_cli: RunCli) -> None:
    state_dir.mkdir()
    config = state_dir / "coderclaw.json"
    config.write_text("{ this is not JSON5 ")
    result = run_cli("models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:ci", input=SETUP_TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Saved anthropic:ci ")
    assert result.stderr.startswith(f"coderclaw: warning: anthropic:ci was saved, but {config} could not be updated (")
    assert len(result.stderr.strip().splitlines()) == 1
    store = json.loads((state_dir / "agents" / "main" / "agent" / "auth-profiles.json").read_text())
    assert store["profiles"]["anthropic:ci"]["token"] == SETUP_TOKEN
    assert config.read_text() == "{ this is not JSON5 ", "the unreadable config is left as it was"
    assert not list(state_dir.glob("coderclaw.json.bak*"))
