"""The `--probe` part of `coderclaw models status`: plan, refresh only if asked, probe, and report (SPEC 7)."""

from __future__ import annotations

from collections import namedtuple

from coderclaw_tui.commands.output import print_table, printable
from coderclaw_tui.core.errors import CoderclawError, UsageError
from coderclaw_tui.core.sink import ProfileEntry, StoreView, TokenSink

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    import argparse
    from typing import Any

_PROBE_OPTIONS = ("probe_provider", "probe_profile", "probe_timeout", "probe_concurrency", "refresh")


ProbeReport = namedtuple("ProbeReport", "results json")
"""The probes' results (a list of ProbeResult) and CoderClaw's `auth.probes` object for `--json`."""


def probe_if_asked(args: argparse.Namespace, sink: TokenSink, view: StoreView) -> ProbeReport | None:
    """The probes when `--probe` was given; its options without it are a usage error, not silently ignored.
    The probe machinery is imported only then: plain `models status` is on scripts' fast path."""
    if getattr(args, "probe", False):
        return collect(args, sink, view)
    given = [name for name in _PROBE_OPTIONS if getattr(args, name, None)]
    if given:
        raise UsageError(f"--{given[0].replace('_', '-')} only applies to live probes; add --probe.")
    return None


def _profile_filter(raw: list[str] | None) -> list[str]:
    """`--probe-profile` is repeatable and each value may be comma-separated, as in CoderClaw."""
    return [part.strip() for value in raw or [] for part in value.split(",") if part.strip()]


def collect(args: argparse.Namespace, sink: TokenSink, view: StoreView) -> ProbeReport:
    import asyncio
    import os

    from coderclaw_tui.core.probes import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, plan_probes, probes_json, run_probes
    from coderclaw_tui.providers.catalogue import all_providers, builtin_provider_id

    env = os.environ if sink.env is None else sink.env
    provider = builtin_provider_id(args.probe_provider) if args.probe_provider else None
    profile_ids = _profile_filter(args.probe_profile)
    for profile_id in profile_ids:
        if profile_id not in view.profiles:
            raise UsageError(f"No profile {profile_id} for agent {view.agent_id}; see `coderclaw models auth list`.")
    try:
        config = sink.config()
    except CoderclawError:
        config = {}  # already reported among the status problems
    refresher = None
    if args.refresh:
        from coderclaw_tui.core.refresh import refresh_profile

        def refresher(entry: ProfileEntry) -> dict[str, Any]:
            return refresh_profile(sink, view.agent_id, entry)

    timeout_ms = args.probe_timeout or DEFAULT_TIMEOUT_MS
    concurrency = args.probe_concurrency or DEFAULT_CONCURRENCY
    started = sink.now_ms()
    plan = plan_probes(
        view,
        env=env,
        config=config,
        env_vars={p.id: p.env_vars for p in all_providers() if p.env_vars},
        now_ms=started,
        provider=provider,
        profile_ids=profile_ids,
        refresh=refresher,
    )
    ran = asyncio.run(run_probes(plan.targets, timeout_ms=timeout_ms, concurrency=concurrency))
    results = plan.decided + ran
    options = {
        "provider": provider,
        "profileIds": profile_ids or None,
        "timeoutMs": timeout_ms,
        "concurrency": concurrency,
        "maxTokens": None,
        "refresh": bool(args.refresh),
    }
    return ProbeReport(results, probes_json(results, started_ms=started, finished_ms=sink.now_ms(), options=options))


def print_probes(report: ProbeReport) -> None:
    print()
    print("Auth probes")
    if not report.results:
        print("No probe targets.")
        return
    rows = []
    for result in report.results:
        status = result.status + (f" · {result.latency_ms}ms" if result.latency_ms is not None else "")
        rows.append([result.provider, result.label, status, result.error or ""])
    print_table(["PROVIDER", "PROFILE", "STATUS", "DETAIL"], [[printable(c) for c in row] for row in rows])
    print(f"Probed {len(report.results)} target(s) in {report.json['durationMs']} ms")
