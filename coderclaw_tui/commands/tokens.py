"""`models auth token` (print a usable secret for scripts) and `models auth paste-token` (store one from stdin)."""

from __future__ import annotations

import sys

from coderclaw_tui import paths
from coderclaw_tui.commands.output import print_line
from coderclaw_tui.core import credentials
from coderclaw_tui.core.errors import CoderclawError, UsageError
from coderclaw_tui.core.sink import ProfileEntry, StoreView, TokenSink

TYPE_CHECKING = False  # typing and argparse stay off the token's start-up; annotations are strings
if TYPE_CHECKING:
    import argparse


def choose_profile(
    view: StoreView, provider: str, profile_id: str | None, now_ms: int, retry_refresh: bool = False
) -> ProfileEntry:
    """The profile a script gets: the one named, else the first in order that works now (cooldowns last).

    When every candidate is blocked (refused refresh, unknown refresh outcome, expired for good), the first one's
    reason is raised with exit 5 and the command that fixes it.
    """
    if profile_id:
        entry = view.profiles.get(profile_id)
        if entry is None:
            raise UsageError(f"No profile {profile_id} for agent {view.agent_id}; see `coderclaw models auth list`.")
        if entry.provider != provider:
            raise UsageError(f"{profile_id} belongs to provider {entry.provider}, not {provider}.")
        candidates = [entry]
    else:
        candidates = [e for e in view.ordered_profiles(provider) if e.problem is None]
    ready, paused, blocked = [], [], []
    for entry in candidates:
        state = credentials.profile_state(entry.record, view.usage_stats.get(entry.profile_id), now_ms)
        if state.name == "refresh outcome unknown" and retry_refresh:
            ready.append(entry)
        elif state.blocking or state.name == "unusable":
            blocked.append((entry, state))
        else:
            (paused if state.name in ("cooldown", "disabled") else ready).append(entry)
    if ready or paused:
        return (ready or paused)[0]
    if view.problems:
        raise view.problems[0]
    if blocked:
        from coderclaw_tui.core.refresh import NeedsRelogin, RefreshOutcomeUnknown

        entry, state = blocked[0]
        if state.name == "refresh outcome unknown":
            raise RefreshOutcomeUnknown(entry.profile_id, provider, state.detail)
        raise NeedsRelogin(entry.profile_id, provider, state.detail or state.name)
    from coderclaw_tui.providers.catalogue import resolve_provider

    resolve_provider(provider)  # an id nobody knows gets the list of known ones instead of a dead-end command
    raise UsageError(f"No {provider} profile for agent {view.agent_id}; run `coderclaw models auth login --provider {provider}`.")


def run_token(args: argparse.Namespace) -> int:
    sink = TokenSink()
    agent_id = paths.normalize_agent_id(args.agent or paths.DEFAULT_AGENT_ID)
    view = sink.view(agent_id)
    provider = args.provider.strip().lower()
    if not view.provider_profiles(provider):  # an alias (`codex`) or an unknown id: only then is the catalogue needed
        from coderclaw_tui.providers.catalogue import builtin_provider_id

        provider = builtin_provider_id(args.provider)
    entry = choose_profile(view, provider, args.profile_id, sink.now_ms(), args.retry_refresh)
    record = entry.record
    if credentials.needs_refresh(record, sink.now_ms()):
        from coderclaw_tui.core.refresh import refresh_profile

        record = refresh_profile(sink, agent_id, entry, retry_refresh=args.retry_refresh)
    secret = credentials.secret_of(record)
    if not secret.isprintable():  # what a refresh just stored: never handed on, nor written to a terminal
        raise CoderclawError(f"The token {entry.profile_id} holds control characters and is not printed; log in again.")
    sys.stdout.write(secret + "\n")
    return 0


def run_paste_token(args: argparse.Namespace) -> int:
    from coderclaw_tui.core.logins import save_login
    from coderclaw_tui.core.secret_input import SecretInputError, parse_duration_ms
    from coderclaw_tui.flows.secret_entry import TokenPaste, paste_token_target

    provider, profile_id = paste_token_target(args.provider, args.profile_id)
    agent_id = paths.normalize_agent_id(args.agent or paths.DEFAULT_AGENT_ID)
    expires = None
    try:
        lifetime_ms = parse_duration_ms(args.expires_in) if args.expires_in else None
        if sys.stdin.isatty():
            from coderclaw_tui.commands.wizard import run_paste_token_wizard

            return run_paste_token_wizard(args, provider.id, agent_id, profile_id, lifetime_ms)
        if lifetime_ms is not None:
            expires = TokenSink().now_ms() + lifetime_ms
        token = TokenPaste(provider.id).normalize(sys.stdin.read())
    except SecretInputError as exc:
        raise UsageError(str(exc)) from None
    record: dict[str, object] = {"type": "token", "provider": provider.id, "token": token}
    if expires is not None:
        record["expires"] = expires
    sink = TokenSink()
    saved = save_login(sink, agent_id, profile_id, record)
    from coderclaw_tui.core import audit

    audit.log("login", command="paste-token", profile=saved.profile_id)
    print_line(f"Saved {saved.profile_id} ({provider.id}/token, {credentials.mask_secret(token)}) to {sink.store_path(agent_id)}.")
    if saved.config_warning:
        print_line(f"coderclaw: warning: {saved.config_warning}", sys.stderr)
    return 0
