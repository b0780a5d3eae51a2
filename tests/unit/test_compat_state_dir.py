"""SPEC 1 state-dir discovery on layouts CoderClaw itself leaves behind: a fresh install keeps its state in
`~/.coderclaw/<8 hex>/`, an older one in plain `~/.coderclaw`. Each case runs the real command with no
`$CODERCLAW_STATE_DIR` and checks that it found the profiles and said where it looked."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]

INSTALL_A = "1a2b3c4d"
INSTALL_B = "9f8e7d6c"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME (and CODERCLAW_HOME) in tmp, and no state-dir override: discovery decides."""
    monkeypatch.delenv("CODERCLAW_STATE_DIR", raising=False)
    monkeypatch.delenv("CODERCLAW_PROFILE", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("CODERCLAW_HOME", str(home))
    return home


def lay_out_state(state: Path, profile_id: str, *, config: bool = True, mtime: float | None = None) -> Path:
    """What CoderClaw writes on its first login: the config and main's store holding one profile."""
    store = state / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    provider = profile_id.split(":", 1)[0]
    record = {"type": "api_key", "provider": provider, "key": "sk-test-" + "0" * 30 + profile_id[-4:]}
    store.write_text(json.dumps({"version": 1, "profiles": {profile_id: record}}, indent=2) + "\n")
    if config:
        (state / "coderclaw.json").write_text("{}\n")
    if mtime is not None:
        for path in (state, state / "coderclaw.json", state / "agents", store):
            if path.exists():
                os.utime(path, (mtime, mtime))
    return state


def status(run_cli: RunCli, *args: str) -> tuple[dict, str]:
    result = run_cli("models", "status", "--json", *args)
    assert result.returncode == 0, result.stderr
    text = run_cli("models", "status", *args)
    assert text.returncode == 0, text.stderr
    return json.loads(result.stdout), text.stdout


def profile_ids(report: dict) -> list[str]:
    return [p["profileId"] for p in report["profiles"]]


def test_install_id_dir_only(home: Path, run_cli: RunCli) -> None:
    """A fresh CoderClaw install: everything under ~/.coderclaw/<install-id>/, nothing in plain ~/.coderclaw."""
    state = lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:fresh")
    report, text = status(run_cli)
    assert report["stateDir"] == str(state) and report["otherStateDirs"] == []
    assert profile_ids(report) == ["openai:fresh"]
    assert report["storePath"] == str(state / "agents" / "main" / "agent" / "auth-profiles.json")
    assert f"State dir {state} (CoderClaw's install dir)." in text
    assert "No auth profiles yet" not in text


def test_install_dir_with_only_agents_counts(home: Path, run_cli: RunCli) -> None:
    """A login before any config was written leaves `agents/` alone; that is CoderClaw state too."""
    state = lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:noconfig", config=False)
    report, _ = status(run_cli)
    assert report["stateDir"] == str(state) and profile_ids(report) == ["openai:noconfig"]


def test_plain_dir_with_config(home: Path, run_cli: RunCli) -> None:
    state = lay_out_state(home / ".coderclaw", "openai:plain")
    (home / ".coderclaw" / "notanid").mkdir()  # not 8 hex: never taken for an install dir
    report, text = status(run_cli)
    assert report["stateDir"] == str(state) and report["otherStateDirs"] == []
    assert profile_ids(report) == ["openai:plain"]
    assert f"State dir {state} (it holds coderclaw.json)." in text


def test_plain_dir_wins_over_an_install_dir_and_names_it(home: Path, run_cli: RunCli) -> None:
    """Both: plain ~/.coderclaw holds coderclaw.json, so it is used (SPEC 1), and the install dir is named."""
    plain = lay_out_state(home / ".coderclaw", "openai:plain")
    install = lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:install")
    report, text = status(run_cli)
    assert report["stateDir"] == str(plain) and report["otherStateDirs"] == [str(install)]
    assert profile_ids(report) == ["openai:plain"]
    assert f"Also found: {install}; choose one with --state-dir DIR." in text


def test_several_install_dirs_most_recent_wins_and_others_are_named(home: Path, run_cli: RunCli) -> None:
    older = lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:older", mtime=1_700_000_000)
    newer = lay_out_state(home / ".coderclaw" / INSTALL_B, "openai:newer", mtime=1_800_000_000)
    (home / ".coderclaw" / "0000abcd").mkdir()  # an install-id dir with no CoderClaw state: ignored
    report, text = status(run_cli)
    assert report["stateDir"] == str(newer) and report["otherStateDirs"] == [str(older)]
    assert profile_ids(report) == ["openai:newer"]
    assert f"State dir {newer} (the most recently used of CoderClaw's install dirs)." in text
    assert f"Also found: {older}; choose one with --state-dir DIR." in text
    # The store written last decides, not the name: touch the older one's store and it takes over.
    os.utime(older / "agents" / "main" / "agent" / "auth-profiles.json", (1_900_000_000, 1_900_000_000))
    report, _ = status(run_cli)
    assert report["stateDir"] == str(older) and report["otherStateDirs"] == [str(newer)]


def test_state_dir_flag_chooses_among_them(home: Path, run_cli: RunCli) -> None:
    older = lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:older", mtime=1_700_000_000)
    lay_out_state(home / ".coderclaw" / INSTALL_B, "openai:newer", mtime=1_800_000_000)
    report, text = status(run_cli, "--state-dir", str(older))
    assert report["stateDir"] == str(older) and report["otherStateDirs"] == []
    assert profile_ids(report) == ["openai:older"]
    assert f"State dir {older} (--state-dir or $CODERCLAW_STATE_DIR)." in text


def test_coderclaw_profile_selects_its_own_dir(home: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    lay_out_state(home / ".coderclaw" / INSTALL_A, "openai:install")
    work = lay_out_state(home / ".coderclaw-work", "openai:work")
    monkeypatch.setenv("CODERCLAW_PROFILE", "work")
    report, text = status(run_cli)
    assert report["stateDir"] == str(work) and profile_ids(report) == ["openai:work"]
    assert f"State dir {work} ($CODERCLAW_PROFILE)." in text
    monkeypatch.setenv("CODERCLAW_PROFILE", "default")  # `default` means no profile: discovery again
    report, _ = status(run_cli)
    assert report["stateDir"] == str(home / ".coderclaw" / INSTALL_A)


def test_nothing_anywhere_means_plain_dir(home: Path, run_cli: RunCli) -> None:
    report, text = status(run_cli)
    assert report["stateDir"] == str(home / ".coderclaw") and report["profiles"] == []
    assert f"State dir {home / '.coderclaw'} (the default)." in text


def test_every_command_takes_state_dir(run_cli: RunCli, tmp_path: Path) -> None:
    """`--state-dir` reaches the command itself: `agents add` writes under the named dir, not the default."""
    target = tmp_path / "chosen"
    result = run_cli("agents", "add", "ops", "--state-dir", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "agents" / "ops" / "agent" / "auth-profiles.json").is_file()
    for args in (("agents", "list"), ("models", "auth", "list"), ("models", "auth", "order", "get", "--provider", "x")):
        assert run_cli(*args, "--state-dir", str(target)).returncode == 0
    empty = run_cli("models", "status", "--state-dir", "  ")
    assert empty.returncode == 2 and "--state-dir was given an empty path" in empty.stderr
