"""Agents: which ones exist, where their directories are, and adding one as `agents add` does."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from pathlib import Path

from coderclaw_tui import paths
from coderclaw_tui.core.config import agents_list, read_config, update_config
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.core.jsonio import ensure_private_dir

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any


class AgentExists(UsageError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f'Agent "{agent_id}" already exists; see `coderclaw agents list`.')
        self.agent_id = agent_id


class AgentInfo(namedtuple("AgentInfo", "agent_id agent_dir workspace name configured", defaults=(None, None, False))):
    """One agent; `configured`: listed in the config (as opposed to found on disk or implied, as `main` always is).
    A namedtuple: defining a frozen dataclass costs about a millisecond, on the wizard's way to its first screen."""

    __slots__ = ()
    agent_id: str
    agent_dir: Path
    workspace: str | None
    name: str | None
    configured: bool


def configured_dirs(config: dict[str, Any]) -> dict[str, Path]:
    """Each listed agent's `agentDir` (the first entry of an id that has one; main's is never moved), read in one
    pass: looking each agent up in the list made listing 50 agents 2500 look-ups."""
    dirs: dict[str, Path] = {}
    for entry in agents_list(config):
        agent_id = paths.normalize_agent_id(str(entry.get("id", "")))
        if agent_id not in dirs and agent_id != paths.DEFAULT_AGENT_ID and entry.get("agentDir"):
            dirs[agent_id] = Path(str(entry["agentDir"])).expanduser()
    return dirs


def list_agents(env: Mapping[str, str] | None = None, config: dict[str, Any] | None = None) -> list[AgentInfo]:
    """`main` first, then configured agents, then agent folders found on disk that the config does not name."""
    config = read_config(paths.config_path(env)) if config is None else config
    found: dict[str, AgentInfo] = {
        paths.DEFAULT_AGENT_ID: AgentInfo(paths.DEFAULT_AGENT_ID, paths.default_agent_dir(paths.DEFAULT_AGENT_ID, env))
    }
    dirs = configured_dirs(config)
    for entry in agents_list(config):
        agent_id = paths.normalize_agent_id(str(entry.get("id", "")))
        found[agent_id] = AgentInfo(
            agent_id,
            dirs.get(agent_id) or paths.default_agent_dir(agent_id, env),
            workspace=str(entry["workspace"]) if entry.get("workspace") else None,
            name=str(entry["name"]) if entry.get("name") else None,
            configured=True,
        )
    agents_root = paths.state_dir(env) / "agents"
    if agents_root.is_dir():
        for child in sorted(agents_root.iterdir()):
            agent_id = child.name
            if agent_id not in found and (child / "agent").is_dir() and paths.normalize_agent_id(agent_id) == agent_id:
                found[agent_id] = AgentInfo(agent_id, child / "agent")
    return list(found.values())


def add_agent(
    raw_id: str,
    *,
    name: str | None = None,
    workspace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> AgentInfo:
    """Append `{id, name?, workspace, agentDir}` to `agents.list` (main first if the list was empty), create
    the agent dir 0700 and an empty store in it (SPEC 1). An existing or reserved id is refused rather than changed."""
    agent_id = paths.normalize_agent_id(raw_id)
    if agent_id == paths.DEFAULT_AGENT_ID:
        raise UsageError(f'"{paths.DEFAULT_AGENT_ID}" is the default agent and reserved; choose another id.')
    state = paths.state_dir(env)
    agent_dir = state / "agents" / agent_id / "agent"
    workspace_dir = workspace or str(paths.default_workspace(agent_id, env))

    def mutate(config: dict[str, Any]) -> None:
        agents = config.get("agents")
        if not isinstance(agents, dict):
            agents = config["agents"] = {}
        entries = agents.get("list")
        if not isinstance(entries, list):
            entries = agents["list"] = []
        if any(isinstance(e, dict) and paths.normalize_agent_id(str(e.get("id", ""))) == agent_id for e in entries):
            raise AgentExists(agent_id)
        if not entries:
            entries.append({"id": paths.DEFAULT_AGENT_ID})
        entry: dict[str, Any] = {"id": agent_id}
        if name:
            entry["name"] = name
        entry["workspace"] = workspace_dir
        entry["agentDir"] = str(agent_dir)
        entries.append(entry)

    update_config(paths.config_path(env), mutate)
    ensure_private_dir(agent_dir)
    from coderclaw_tui.core.sink import TokenSink

    TokenSink(env=env).ensure_store(agent_id)
    return AgentInfo(agent_id, agent_dir, workspace=workspace_dir, name=name, configured=True)


def require_known_agent(raw: str, env: Mapping[str, str] | None = None) -> str:
    """The normalised id of an agent the config or the state dir knows (SPEC 1); anything else is refused with
    the list of known agents, since only `agents add` and the wizard's new agent create one."""
    if not raw.strip():
        raise UsageError("--agent was given an empty id; name an agent (see `coderclaw agents list`) or leave it out for main.")
    agent_id = paths.normalize_agent_id(raw)
    if agent_id == paths.DEFAULT_AGENT_ID:
        return agent_id
    known = [a.agent_id for a in list_agents(env)]
    if agent_id not in known:
        raise UsageError(
            f"No agent {agent_id}; known agents: {', '.join(known)}. Add it first with `coderclaw agents add {agent_id}`."
        )
    return agent_id
