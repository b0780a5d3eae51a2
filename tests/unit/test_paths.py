"""SPEC 1: every path is resolved exactly as CoderClaw resolves it, or the two programs use different files."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from coderclaw_tui import paths
from coderclaw_tui.core.agents import configured_dirs, list_agents
from coderclaw_tui.core.sink import TokenSink

# State dir, home, config


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


def test_state_dir_env_wins_over_home(tmp_path: Path) -> None:
    """$CODERCLAW_STATE_DIR is used as is, even when $CODERCLAW_HOME is set too."""
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s"), "CODERCLAW_HOME": str(tmp_path / "h")}
    assert paths.state_dir(env) == tmp_path / "s"


def test_state_dir_under_coderclaw_home(tmp_path: Path) -> None:
    assert paths.state_dir({"CODERCLAW_HOME": str(tmp_path / "h")}) == tmp_path / "h" / ".coderclaw"


def test_state_dir_defaults_to_user_home(tmp_path: Path) -> None:
    """No override at all: `~/.coderclaw` in the user's home (HOME points into tmp via conftest)."""
    assert paths.state_dir({}) == Path.home() / ".coderclaw"
    assert Path.home() == tmp_path / "home"


def test_state_dir_expands_tilde(tmp_path: Path) -> None:
    assert paths.state_dir({"CODERCLAW_STATE_DIR": "~/cc-state"}) == tmp_path / "home" / "cc-state"


def test_blank_overrides_are_ignored(tmp_path: Path) -> None:
    """An exported-but-empty variable must not resolve to the current directory."""
    env = {"CODERCLAW_STATE_DIR": "  ", "CODERCLAW_HOME": "", "CODERCLAW_CONFIG_PATH": " ", "CODERCLAW_AGENT_DIR": ""}
    assert paths.state_dir(env) == Path.home() / ".coderclaw"
    assert paths.config_path(env) == Path.home() / ".coderclaw" / "coderclaw.json"
    assert paths.default_agent_dir("main", env) == Path.home() / ".coderclaw" / "agents" / "main" / "agent"


def test_config_path_default_and_override(tmp_path: Path) -> None:
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s")}
    assert paths.config_path(env) == tmp_path / "s" / "coderclaw.json"
    env["CODERCLAW_CONFIG_PATH"] = str(tmp_path / "elsewhere" / "cfg.json")
    assert paths.config_path(env) == tmp_path / "elsewhere" / "cfg.json"


def test_process_environment_is_the_default(state_dir: Path) -> None:
    """With no mapping passed, os.environ is read (the conftest set the state dir there)."""
    assert paths.state_dir() == state_dir
    assert paths.config_path() == state_dir / "coderclaw.json"


# Agent dirs


def test_main_agent_dir_default(tmp_path: Path) -> None:
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s")}
    assert paths.default_agent_dir("main", env) == tmp_path / "s" / "agents" / "main" / "agent"
    assert paths.auth_store_path(paths.default_agent_dir("main", env)) == (
        tmp_path / "s" / "agents" / "main" / "agent" / "auth-profiles.json"
    )


def test_main_agent_dir_env_overrides(tmp_path: Path) -> None:
    """CODERCLAW_AGENT_DIR first, then PI_CODING_AGENT_DIR (still honoured by CoderClaw)."""
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s"), "PI_CODING_AGENT_DIR": str(tmp_path / "pi")}
    assert paths.default_agent_dir("main", env) == tmp_path / "pi"
    env["CODERCLAW_AGENT_DIR"] = str(tmp_path / "cc")
    assert paths.default_agent_dir("main", env) == tmp_path / "cc"


def test_agent_dir_env_applies_to_main_only(tmp_path: Path) -> None:
    env = {
        "CODERCLAW_STATE_DIR": str(tmp_path / "s"),
        "CODERCLAW_AGENT_DIR": str(tmp_path / "cc"),
        "PI_CODING_AGENT_DIR": str(tmp_path / "pi"),
    }
    assert paths.default_agent_dir("work", env) == tmp_path / "s" / "agents" / "work" / "agent"


def test_other_agent_dir_from_config(tmp_path: Path) -> None:
    """`agents.list[].agentDir` wins for that agent (matched after id normalisation); others get the default."""
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s")}
    config = {"agents": {"list": [{"id": "main"}, {"id": "Research", "agentDir": str(tmp_path / "r")}, {"id": "ops"}]}}
    dirs = {agent.agent_id: agent.agent_dir for agent in list_agents(env, config)}
    assert dirs == {
        "main": tmp_path / "s" / "agents" / "main" / "agent",
        "research": tmp_path / "r",
        "ops": tmp_path / "s" / "agents" / "ops" / "agent",
    }


def test_the_first_listed_agent_dir_of_an_id_wins_and_main_is_never_moved(tmp_path: Path) -> None:
    entries = [
        {"id": "main", "agentDir": str(tmp_path / "elsewhere")},
        {"id": "ops"},
        {"id": "OPS", "agentDir": str(tmp_path / "first")},
        {"id": "ops", "agentDir": str(tmp_path / "second")},
    ]
    assert configured_dirs({"agents": {"list": entries}}) == {"ops": tmp_path / "first"}


def test_a_sink_in_use_follows_the_config_another_program_rewrites(state_dir: Path, tmp_path: Path) -> None:
    """The full-screen app keeps one sink for its whole run: an agent's dir moved in the config (by CoderClaw, or
    an editor) is where that sink reads and writes the agent's store from then on."""
    sink = TokenSink()
    assert sink.store_path("lab") == paths.default_agent_dir("lab") / "auth-profiles.json"
    config = state_dir / "coderclaw.json"
    state_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"agents": {"list": [{"id": "lab", "agentDir": str(tmp_path / "lab")}]}}))
    assert sink.store_path("lab") == tmp_path / "lab" / "auth-profiles.json"
    assert sink.config()["agents"]["list"][0]["id"] == "lab"
    config.write_text(json.dumps({"agents": {"list": [{"id": "lab", "agentDir": str(tmp_path / "lab-2")}]}}))
    assert sink.store_path("lab") == tmp_path / "lab-2" / "auth-profiles.json"
    config.unlink()
    assert sink.store_path("lab") == paths.default_agent_dir("lab") / "auth-profiles.json"
    assert sink.config() == {}


def test_legacy_oauth_path(tmp_path: Path) -> None:
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s")}
    assert paths.legacy_oauth_path(env) == tmp_path / "s" / "credentials" / "oauth.json"
    env["CODERCLAW_OAUTH_DIR"] = str(tmp_path / "oauth")
    assert paths.legacy_oauth_path(env) == tmp_path / "oauth" / "oauth.json"


def test_refresh_lock_path_is_laters_openclaw_scheme(tmp_path: Path) -> None:
    """`<state>/locks/oauth-refresh/sha256-<hex(sha256(provider NUL profileId))>`, shared by every agent."""
    env = {"CODERCLAW_STATE_DIR": str(tmp_path / "s")}
    digest = hashlib.sha256(b"openai-codex\x00openai-codex:me@example.test").hexdigest()
    assert paths.refresh_lock_path("openai-codex", "openai-codex:me@example.test", env) == (
        tmp_path / "s" / "locks" / "oauth-refresh" / f"sha256-{digest}"
    )
    assert paths.refresh_lock_path("a", "b:c", env) != paths.refresh_lock_path("a:b", "c", env)


# The same overrides, as the installed command sees them


def test_cli_honours_agent_dir_and_config_path(tmp_path: Path, run_cli: RunCli) -> None:
    """`models status --json` reports the store the env points at, and a sub-agent dir from CODERCLAW_CONFIG_PATH."""
    config = tmp_path / "cfg" / "my.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"agents": {"list": [{"id": "ops", "agentDir": str(tmp_path / "ops-dir")}]}}))
    env = {"CODERCLAW_AGENT_DIR": str(tmp_path / "main-dir"), "CODERCLAW_CONFIG_PATH": str(config)}
    main = json.loads(run_cli("models", "status", "--json", env=env).stdout)
    assert main["storePath"] == str(tmp_path / "main-dir" / "auth-profiles.json")
    ops = json.loads(run_cli("models", "status", "--json", "--agent", "OPS", env=env).stdout)
    assert ops["agentId"] == "ops"
    assert ops["storePath"] == str(tmp_path / "ops-dir" / "auth-profiles.json")


def test_cli_reads_legacy_oauth_from_oauth_dir(tmp_path: Path, run_cli: RunCli) -> None:
    oauth_dir = tmp_path / "legacy-oauth"
    oauth_dir.mkdir()
    (oauth_dir / "oauth.json").write_text(
        json.dumps({"openai-codex": {"access": "FAKE-a-0001", "refresh": "FAKE-r-0001", "expires": 4102444800000}})
    )
    out = run_cli("models", "auth", "list", "--json", env={"CODERCLAW_OAUTH_DIR": str(oauth_dir)})
    assert [p["profileId"] for p in json.loads(out.stdout)["profiles"]] == ["openai-codex:default"]


# Agent id normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("main", "main"),
        ("work", "work"),
        ("Work", "work"),
        ("a_b-c9", "a_b-c9"),
        ("0agent", "0agent"),
        ("  ops  ", "ops"),
        ("My Agent", "my-agent"),
        ("my   agent!!", "my-agent"),
        ("a..b//c", "a-b-c"),
        ("--x--", "x"),
        ("!!research!!", "research"),
        ("Ünïcode", "n-code"),
        ("", "main"),
        ("   ", "main"),
        ("!!!", "main"),
        (None, "main"),
    ],
)
def test_normalize_agent_id(raw: str | None, expected: str) -> None:
    assert paths.normalize_agent_id(raw) == expected


def test_valid_64_char_id_is_kept_and_longer_is_cut() -> None:
    assert paths.normalize_agent_id("a" * 64) == "a" * 64
    assert paths.normalize_agent_id("A" * 64) == "a" * 64
    assert paths.normalize_agent_id("a" * 65) == "a" * 64
    assert paths.normalize_agent_id("x y" + "z" * 100) == ("x-y" + "z" * 100)[:64]


def test_normalised_ids_always_match_the_valid_pattern() -> None:
    """Whatever goes in, what comes out is a usable folder name (or main)."""
    import re

    valid = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
    for raw in ["Hello World", "-" * 70 + "a", "a" + "!" * 70 + "b", "ÄÖÜ-x", "x" * 200, "ab" * 40 + "!!"]:
        assert valid.match(paths.normalize_agent_id(raw)), raw


def test_cut_happens_after_trimming_like_coderclaw() -> None:
    """CoderClaw lower-cases, replaces runs, trims dashes, THEN truncates to 64 (session-key.ts); a dash that
    lands at position 64 is kept there. Both programs must derive the same folder name from the same input."""
    assert paths.normalize_agent_id("a" * 63 + "!b") == "a" * 63 + "-"
