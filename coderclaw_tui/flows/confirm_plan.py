"""The wizard's one write and what it promises: the confirm step shows exactly what `plan_confirm` says will be
written before anything touches the disk; `commit` adds the agent if asked and saves the login through
`core.logins.save_login`. `onboard --non-interactive` goes through the same two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderclaw_tui import paths
from coderclaw_tui.core.agents import add_agent, list_agents
from coderclaw_tui.core.config import read_config, update_config
from coderclaw_tui.core.env_file import upsert_env_var
from coderclaw_tui.core.logins import CONFIG_MODES, Placement, plan_placement, save_login
from coderclaw_tui.flows.onboarding import AgentChoice, SavedLogin
from coderclaw_tui.providers.config_patch import deep_merge

if TYPE_CHECKING:
    from coderclaw_tui.core.sink import TokenSink
    from coderclaw_tui.flows.events import LoginResult


@dataclass(frozen=True)
class ConfirmPlan:
    """Everything the confirm step promises to write, computed without writing."""

    agent: AgentChoice
    store_path: Path
    config_path: Path
    login: LoginResult | None
    placement: Placement | None
    profile_entry: dict[str, Any] | None
    """The value of `auth.profiles[id]` in the config."""
    moves_to_front: bool
    """`auth.order[provider]` exists, so the id goes to its front."""
    agent_entry: dict[str, Any] | None
    """The `agents.list[]` entry a new agent gets."""

    @property
    def profile_id(self) -> str | None:
        return self.placement.profile_id if self.placement else None


def plan_confirm(sink: TokenSink, agent: AgentChoice, login: LoginResult | None, profile_id: str | None) -> ConfirmPlan:
    """What saving would write; raises StoreCorrupt when the agent's store cannot be read."""
    config_path = paths.config_path(sink.env)
    agent_entry = None
    if agent.create:
        agent_entry = {"id": agent.agent_id, **({"name": agent.name} if agent.name else {})}
        agent_entry["workspace"] = str(paths.default_workspace(agent.agent_id, sink.env))
        agent_entry["agentDir"] = str(sink.agent_dir(agent.agent_id))
    placement = profile_entry = None
    moves_to_front = False
    if login is not None:
        placement = plan_placement(sink, agent.agent_id, profile_id or login.suggested_profile_id, login.credential)
        record = login.credential
        profile_entry = {"provider": login.provider, "mode": CONFIG_MODES[str(record["type"])]}
        if isinstance(record.get("email"), str):
            profile_entry["email"] = record["email"]
        auth = read_config(config_path).get("auth")
        order = auth.get("order") if isinstance(auth, dict) else None
        moves_to_front = isinstance(order, dict) and isinstance(order.get(login.provider), list)
    return ConfirmPlan(
        agent,
        sink.store_path(agent.agent_id),
        config_path,
        login,
        placement,
        profile_entry,
        moves_to_front,
        agent_entry,
    )


def commit(sink: TokenSink, plan: ConfirmPlan) -> SavedLogin:
    """The wizard's only write: add the agent if new, then save the login (collision rule re-checked under lock)."""
    already_listed = any(a.configured and a.agent_id == plan.agent.agent_id for a in list_agents(sink.env))
    if plan.agent_entry is not None and not already_listed:  # a retry after a collision added it already
        add_agent(plan.agent.agent_id, name=plan.agent.name, workspace=plan.agent_entry["workspace"], env=sink.env)
    profile_id = warning = None
    login = plan.login
    if login is not None and plan.placement is not None and login.saves_profile:
        profile_id, warning = save_login(sink, plan.agent.agent_id, plan.placement.profile_id, login.credential)
    if login is not None and login.config_patch:
        update_config(plan.config_path, lambda data: deep_merge(data, login.config_patch or {}))
    if login is not None and login.env_file is not None:
        upsert_env_var(paths.env_file_path(sink.env), *login.env_file)
    return SavedLogin(
        plan.agent.agent_id, profile_id, plan.store_path, plan.config_path, plan.agent_entry is not None, warning
    )
