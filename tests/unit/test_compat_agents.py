"""SPEC 1 agents as CoderClaw needs them: a new agent gets its own empty store at once (CoderClaw copies main's
whole store, refresh tokens included, into an agent dir that has none), a store-less agent dir is reported, and
`--agent` never quietly invents an agent."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from coderclaw_tui import paths
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.flows.confirm_plan import commit, plan_confirm
from coderclaw_tui.flows.onboarding import AgentChoice

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
EMPTY_STORE = '{\n  "version": 1,\n  "profiles": {}\n}\n'


def store_of(state_dir: Path, agent: str) -> Path:
    return state_dir / "agents" / agent / "agent" / "auth-profiles.json"


def seed_main(state_dir: Path) -> None:
    store = store_of(state_dir, "main")
    store.parent.mkdir(parents=True)
    record = {"type": "oauth", "provider": "openai-codex", "access": "FAKE-access", "refresh": "FAKE-refresh-main",
              "expires": 4102444800000, "accountId": "acct-A"}
    store.write_text(json.dumps({"version": 1, "profiles": {"openai-codex:default": record}}))


def assert_empty_private_store(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == EMPTY_STORE
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_agents_add_creates_an_empty_store_at_once(state_dir: Path, run_cli: RunCli) -> None:
    seed_main(state_dir)
    result = run_cli("agents", "add", "work")
    assert result.returncode == 0, result.stderr
    assert_empty_private_store(store_of(state_dir, "work"))
    assert "FAKE-refresh-main" not in store_of(state_dir, "work").read_text()
    # and it still reads main's profile through
    listing = json.loads(run_cli("models", "auth", "list", "--json", "--agent", "work").stdout)
    assert [(p["profileId"], p["ownerAgent"]) for p in listing["profiles"]] == [("openai-codex:default", "main")]


@pytest.mark.parametrize("share_main", [True, False])
def test_wizard_new_agent_gets_an_empty_store(state_dir: Path, share_main: bool) -> None:
    """The wizard's "new agent" saves through `commit` (the confirm step's one write)."""
    seed_main(state_dir)
    sink = TokenSink()
    plan = plan_confirm(sink, AgentChoice("research", create=True, share_main=share_main), None, None)
    saved = commit(sink, plan)
    assert saved.created_agent and saved.agent_id == "research"
    assert_empty_private_store(store_of(state_dir, "research"))


def test_store_less_agent_dir_is_reported_and_can_be_given_an_empty_store(state_dir: Path, run_cli: RunCli) -> None:
    """An agent CoderClaw listed but never wrote a store for: status says so; `agents add` fills the gap."""
    seed_main(state_dir)
    (state_dir / "coderclaw.json").write_text(json.dumps({"agents": {"list": [{"id": "main"}, {"id": "ops"}]}}))
    store_of(state_dir, "ops").parent.mkdir(parents=True)
    text = run_cli("models", "status", "--agent", "ops")
    assert text.returncode == 0, text.stderr
    assert "Agent ops has no auth store of its own; CoderClaw would fill it with a copy of main's" in text.stdout
    assert "`coderclaw agents add ops`" in text.stdout
    report = json.loads(run_cli("models", "status", "--agent", "ops", "--json").stdout)
    assert report["ownStoreMissing"] is True
    assert not store_of(state_dir, "ops").exists(), "showing it writes nothing"
    config_before = (state_dir / "coderclaw.json").read_bytes()
    added = run_cli("agents", "add", "ops")
    assert added.returncode == 0, added.stderr
    assert "already exists; gave it an empty auth store" in added.stdout
    assert_empty_private_store(store_of(state_dir, "ops"))
    assert (state_dir / "coderclaw.json").read_bytes() == config_before, "the config is left as it was"
    again = run_cli("agents", "add", "ops")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert json.loads(run_cli("models", "status", "--agent", "ops", "--json").stdout)["ownStoreMissing"] is False
    assert "no auth store of its own" not in run_cli("models", "status", "--agent", "ops").stdout


COMMANDS_WITH_AGENT = [
    ("models", "status"),
    ("models", "auth", "list"),
    ("models", "auth", "token", "--provider", "openai-codex"),
    ("models", "auth", "order", "get", "--provider", "openai-codex"),
    ("models", "auth", "order", "set", "--provider", "openai-codex", "openai-codex:default"),
    ("models", "auth", "logout", "openai-codex:default"),
]


@pytest.mark.parametrize("args", COMMANDS_WITH_AGENT, ids=" ".join)
@pytest.mark.parametrize("agent", ["nobody", "../../etc"])
def test_unknown_agent_fails_with_the_known_ones(state_dir: Path, run_cli: RunCli, args: tuple[str, ...], agent: str) -> None:
    seed_main(state_dir)
    (state_dir / "coderclaw.json").write_text(json.dumps({"agents": {"list": [{"id": "main"}, {"id": "work"}]}}))
    before = sorted(p.relative_to(state_dir) for p in state_dir.rglob("*"))
    result = run_cli(*args, "--agent", agent)
    expected = "nobody" if agent == "nobody" else "etc"
    assert result.returncode == 2
    assert result.stderr == (
        f"coderclaw: No agent {expected}; known agents: main, work. Add it first with `coderclaw agents add {expected}`.\n"
    )
    assert sorted(p.relative_to(state_dir) for p in state_dir.rglob("*")) == before, "nothing was created"


def test_empty_agent_flag_is_a_usage_error(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "status", "--agent", "")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("leave it out for main.") and "\n" not in result.stderr.strip()


def test_agent_ids_are_normalised_before_the_check(state_dir: Path, run_cli: RunCli) -> None:
    seed_main(state_dir)
    assert run_cli("agents", "add", "work").returncode == 0
    report = json.loads(run_cli("models", "status", "--json", "--agent", " Work ").stdout)
    assert report["agentId"] == "work"
    assert report["agentDir"] == str(paths.default_agent_dir("work"))


def test_an_agent_folder_coderclaw_made_is_known(state_dir: Path, run_cli: RunCli) -> None:
    """Known through the state dir alone (no config entry): accepted."""
    seed_main(state_dir)
    store_of(state_dir, "scratch").parent.mkdir(parents=True)
    assert run_cli("models", "auth", "list", "--agent", "scratch").returncode == 0
