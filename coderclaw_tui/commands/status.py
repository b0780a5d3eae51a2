"""`coderclaw models status`: every profile an agent can use, with an honest state and `--check` exit codes."""

from __future__ import annotations

import gc
from collections import namedtuple

from coderclaw_tui import paths
from coderclaw_tui.commands import coderclaw_json
from coderclaw_tui.commands.output import print_json, print_line, print_table
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.core.sink import StoreView, TokenSink

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    import argparse
    from typing import Any


ProfileReport = namedtuple("ProfileReport", "entry state")
"""A profile (`entry`, a ProfileEntry) and what status says of it (`state`, a ProfileState)."""


def in_use_providers(sink: TokenSink, view: StoreView) -> set[str]:
    """Providers the config or the store's order says are used, whether or not a profile exists for them."""
    used: set[str] = set(view.order)
    try:
        config = sink.config()
    except CoderclawError as exc:
        view.problems.append(exc)
        return used
    auth = config.get("auth") if isinstance(config.get("auth"), dict) else {}
    profiles, order = auth.get("profiles"), auth.get("order")
    for entry in profiles.values() if isinstance(profiles, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("provider"), str):
            used.add(entry["provider"])
    if isinstance(order, dict):
        used.update(p for p, ids in order.items() if isinstance(ids, list) and ids)
    return used


def check_exit_code(reports: list[ProfileReport], missing: list[str], view: StoreView) -> int:
    if view.problems or missing or any(r.state.blocking for r in reports):
        return 1
    if any(r.state.warning for r in reports):
        return 2
    return 0


def build_reports(sink: TokenSink, view: StoreView) -> list[ProfileReport]:
    now = sink.now_ms()
    reports = []
    for _, entries in sorted(view.ordered_by_provider().items()):
        for entry in entries:
            state = credentials.profile_state(entry.record, view.usage_stats.get(entry.profile_id), now)
            reports.append(ProfileReport(entry, state))
    return reports


def missing_providers(sink: TokenSink, view: StoreView, reports: list[ProfileReport]) -> list[str]:
    usable = {r.entry.provider for r in reports if not r.state.blocking and r.state.name != "unusable"}
    return sorted(in_use_providers(sink, view) - usable)


def report_json(sink: TokenSink, view: StoreView, reports: list[ProfileReport], missing: list[str]) -> dict[str, Any]:
    now = sink.now_ms()
    state = paths.discover_state_dir(sink.env)
    profiles = []
    for report in reports:
        record = report.entry.record if isinstance(report.entry.record, dict) else {}
        expiry = credentials.expires_ms(record)
        profiles.append(
            {
                "profileId": report.entry.profile_id,
                "provider": report.entry.provider,
                "type": report.entry.kind,
                "identity": credentials.identity_of(record),
                "secret": credentials.mask_secret(credentials.secret_of(record)),
                "expires": expiry,
                "remainingMs": None if expiry is None else expiry - now,
                "state": report.state.name,
                "detail": report.state.detail or None,
                "ownerAgent": report.entry.owner_agent,
                "storePath": str(report.entry.store_path),
            }
        )
    try:
        config = sink.config()
    except CoderclawError:
        config = {}  # already reported in `problems`
    models = coderclaw_json.model_section(config, view.agent_id)
    return {
        "configPath": str(paths.config_path(sink.env)),
        "agentId": view.agent_id,
        "agentDir": str(view.agent_dir),
        **models,
        "auth": coderclaw_json.auth_section(view, coderclaw_json.providers_in_use(models), now),
        "stateDir": str(state.path),
        "otherStateDirs": [str(d) for d in state.others],
        "storePath": str(view.store_path),
        "ownStoreMissing": view.own_store_missing,
        "profiles": profiles,
        "missingProvidersInUse": missing,
        "problems": [{"path": str(getattr(p, "path", "")), "message": p.message} for p in view.problems],
        "checkExitCode": check_exit_code(reports, missing, view),
    }


def print_human(sink: TokenSink, view: StoreView, reports: list[ProfileReport], missing: list[str]) -> None:
    now = sink.now_ms()
    print_line(paths.discover_state_dir(sink.env).describe())
    print_line(f"Agent {view.agent_id} · {view.store_path}")
    for problem in view.problems:
        print_line(f"! {problem.message}")
    if view.own_store_missing:
        print_line(
            f"! Agent {view.agent_id} has no auth store of its own; CoderClaw would fill it with a copy of main's "
            f"(refresh tokens included). Give it an empty one: `coderclaw agents add {view.agent_id}`."
        )
    if reports:
        print_line("")
        rows = []
        for entry, state in reports:
            record = entry.record if isinstance(entry.record, dict) else {}
            profile = entry.profile_id
            if entry.owner_agent != view.agent_id:
                profile += f"  [from {entry.owner_agent}]"
            rows.append(
                [
                    entry.provider,
                    profile,
                    entry.kind,
                    credentials.identity_of(record) or "-",
                    credentials.mask_secret(credentials.secret_of(record)),
                    credentials.format_expiry(record, now),
                    f"{state.name} ({state.detail})" if state.detail else state.name,
                ]
            )
        print_table(["PROVIDER", "PROFILE", "TYPE", "IDENTITY", "SECRET", "EXPIRES", "STATE"], rows)
    elif not view.problems:
        print_line("No auth profiles yet. Run `coderclaw onboard` to log in.")
    for provider in missing:
        print_line(f"! Provider {provider} is in use but has no usable profile; run `coderclaw models auth login --provider {provider}`.")
    for report in reports:
        if report.state.name == "needs re-login":
            print_line(f"! {report.entry.profile_id} needs a new login: run `coderclaw models auth login --provider {report.entry.provider}`.")
        if report.state.name == "refresh outcome unknown":
            print_line(
                f"! {report.entry.profile_id}: its last refresh got no usable answer and may have spent the refresh "
                f"token; run `coderclaw models auth token --provider {report.entry.provider} --profile-id "
                f"{report.entry.profile_id} --retry-refresh` to try it, or log in again."
            )


def run(args: argparse.Namespace) -> int:
    """The command, with the cyclic garbage collector paused: reading and printing a store of thousands of
    profiles makes tens of thousands of containers, none in a cycle, and the collections they would set off cost
    about 1.5 ms at 2000 profiles. Everything made here is freed by reference counting all the same."""
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    sink = TokenSink()
    view = sink.view(args.agent or paths.DEFAULT_AGENT_ID)
    reports = build_reports(sink, view)
    missing = missing_providers(sink, view, reports)
    from coderclaw_tui.commands import status_probe

    probes = status_probe.probe_if_asked(args, sink, view)
    if args.json:
        data = report_json(sink, view, reports, missing)
        if probes is not None:
            data.setdefault("auth", {})["probes"] = probes.json
        print_json(data)
    else:
        print_human(sink, view, reports, missing)
        if probes is not None:
            status_probe.print_probes(probes)
    code = check_exit_code(reports, missing, view)
    if args.check:
        return code
    return 1 if view.problems else 0
