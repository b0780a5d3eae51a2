"""`coderclaw agents add|list`."""

from __future__ import annotations

import argparse
from pathlib import Path

from coderclaw_tui import paths
from coderclaw_tui.commands import coderclaw_json
from coderclaw_tui.commands.output import print_json, print_table
from coderclaw_tui.core.agents import AgentExists, AgentInfo, add_agent, list_agents
from coderclaw_tui.core.config import read_config
from coderclaw_tui.core.errors import StoreCorrupt
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.core.store import read_store

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any


def _profile_count(agent_dir: Path) -> int | None:
    try:
        store = read_store(paths.auth_store_path(agent_dir))
    except StoreCorrupt:
        return None
    return len(store.profiles) if store else 0


def coderclaw_entry(agent: AgentInfo, config: dict[str, Any]) -> dict[str, Any]:
    """CoderClaw's entry for the agent; the workspace is resolved, as CoderClaw shows it, when the config has none."""
    workspace = str(Path(agent.workspace).expanduser()) if agent.workspace else str(paths.default_workspace(agent.agent_id))
    return coderclaw_json.agent_entry(agent.agent_id, agent.name, workspace, str(agent.agent_dir), config)


def _our_entry(agent: AgentInfo, profiles: int | None) -> dict[str, Any]:
    return {"agentId": agent.agent_id, "name": agent.name, "profiles": profiles, "configured": agent.configured}


def run_add(args: argparse.Namespace) -> int:
    try:
        info = add_agent(args.agent_id, name=args.name, workspace=args.workspace)
    except AgentExists as exc:
        sink = TokenSink()
        if not sink.ensure_store(exc.agent_id):
            raise
        print(
            f"Agent {exc.agent_id} already exists; gave it an empty auth store ({sink.store_path(exc.agent_id)}) so "
            "CoderClaw reads main's profiles through instead of copying them into it."
        )
        return 0
    if args.json:
        print_json({"agentId": info.agent_id, "name": info.name, "workspace": info.workspace, "agentDir": str(info.agent_dir)})
    else:
        print(f"Added agent {info.agent_id} ({info.agent_dir}); it reads main's profiles until it has its own.")
        print(f"Log it in separately with `coderclaw onboard --agent {info.agent_id}`.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = read_config(paths.config_path())
    agents = list_agents(config=config)
    counts = {a.agent_id: _profile_count(a.agent_dir) for a in agents}
    if args.json:
        print_json([{**coderclaw_entry(a, config), **_our_entry(a, counts[a.agent_id])} for a in agents])
        return 0
    rows = [
        [a.agent_id, a.name or "-", "corrupt store" if counts[a.agent_id] is None else str(counts[a.agent_id]), str(a.agent_dir)]
        for a in agents
    ]
    print_table(["AGENT", "NAME", "PROFILES", "AGENT DIR"], rows)
    return 0
