"""`models auth list`, `order get|set|clear` and `logout`: profile management for scripts."""

from __future__ import annotations

import argparse

from coderclaw_tui import paths
from coderclaw_tui.commands.output import print_json, print_line, print_table
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.core.logins import agents_reading_through, forget_profile, removal_reach
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.providers.catalogue import builtin_provider_id


def _agent(args: argparse.Namespace) -> str:
    return paths.normalize_agent_id(getattr(args, "agent", None) or paths.DEFAULT_AGENT_ID)


def run_list(args: argparse.Namespace) -> int:
    sink = TokenSink()
    view = sink.view(_agent(args))
    for problem in view.problems:
        print_line(f"! {problem.message}")
    provider = builtin_provider_id(args.provider) if args.provider else None
    entries = [e for e in view.profiles.values() if provider is None or e.provider == provider]
    if args.json:
        print_json(
            {
                "agentId": view.agent_id,
                "storePath": str(view.store_path),
                "profiles": [
                    {
                        "profileId": e.profile_id,
                        "provider": e.provider,
                        "type": e.kind,
                        "identity": credentials.identity_of(e.record) if isinstance(e.record, dict) else None,
                        "secret": credentials.mask_secret(credentials.secret_of(e.record)) if not e.problem else None,
                        "ownerAgent": e.owner_agent,
                        "usable": e.problem is None,
                        "problem": e.problem,
                    }
                    for e in entries
                ],
            }
        )
    elif entries:
        rows = [
            [
                e.profile_id,
                e.provider,
                e.kind,
                (credentials.identity_of(e.record) or "-") if not e.problem else "-",
                credentials.mask_secret(credentials.secret_of(e.record)) if not e.problem else f"not offered: {e.problem}",
                e.owner_agent,
            ]
            for e in entries
        ]
        print_table(["PROFILE", "PROVIDER", "TYPE", "IDENTITY", "SECRET", "AGENT"], rows)
    else:
        print_line("No auth profiles" + (f" for {provider}" if provider else "") + ".")
    return 1 if view.problems else 0


def run_order(args: argparse.Namespace) -> int:
    sink = TokenSink()
    agent_id = _agent(args)
    provider = builtin_provider_id(args.provider)
    if args.order_action == "set":
        sink.set_order(agent_id, provider, args.profile_ids)
        print_line(f"Order for {provider}: {', '.join(dict.fromkeys(args.profile_ids))}")
        return 0
    if args.order_action == "clear":
        changed = sink.clear_order(agent_id, provider)
        print_line(f"Order for {provider} cleared." if changed else f"No explicit order for {provider}; nothing to clear.")
        return 0
    view = sink.view(agent_id)
    if view.problems:
        raise view.problems[0]
    order = view.order.get(provider)
    if args.json:
        print_json(
            {
                "agentId": view.agent_id,
                "agentDir": str(view.agent_dir),
                "provider": provider,
                "authStorePath": str(view.store_path),
                "order": order,
            }
        )
    elif order:
        for profile_id in order:
            print_line(str(profile_id))
    else:
        print_line(f"No explicit order for {provider}; profiles are tried round-robin.")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    sink = TokenSink()
    agent_id = _agent(args)
    profile_id = args.profile_id.strip()
    if not profile_id:
        raise UsageError("Name the profile to remove, as shown by `coderclaw models auth list`.")
    entry = sink.view(agent_id).profiles.get(profile_id)
    readers = agents_reading_through(sink, profile_id) if entry and entry.owner_agent == paths.DEFAULT_AGENT_ID else []
    if entry is not None and entry.owner_agent != agent_id:
        raise UsageError(
            f"{profile_id} is only inherited by agent {agent_id}; it lives in {entry.owner_agent}'s store, and `--agent "
            f"{entry.owner_agent}` removes it for every agent using it: {removal_reach(entry.owner_agent, readers)}."
        )
    entry = forget_profile(sink, agent_id, profile_id)
    lost = f"; {removal_reach(entry.owner_agent, readers)} no longer have it" if readers else ""
    print_line(f"Removed {profile_id} from {entry.store_path}{lost}.")
    return 0
