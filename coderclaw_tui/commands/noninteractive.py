"""`coderclaw onboard --non-interactive --accept-risk`: a script logs in with CoderClaw's flags, no terminal needed.

The auth choice is CoderClaw's (`--auth-choice`, or inferred from the one key flag given). Secrets never come from
argv: a key flag takes `-` and reads stdin, or is left out and the provider's environment variable is used. The
login is built and saved exactly as the wizard does it (`flows.secret_entry` for the credential,
`flows.confirm_plan.plan_confirm`/`commit` for the store and the config). Textual is never imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from coderclaw_tui import paths
from coderclaw_tui.core.errors import CoderclawError, UsageError
from coderclaw_tui.providers.auth_choices import (
    FIELD_VALUES,
    KEY_CHOICES,
    REFUSED,
    SKIP_CHOICE,
    TOKEN_CHOICE,
    TOKEN_PROVIDERS,
    KeyChoice,
)

if TYPE_CHECKING:
    import argparse

MAX_SECRET_CHARS = 16_384
TOKEN_FLAGS = ("token", "token-provider", "token-profile-id", "token-expires-in")
OTHER_FLAGS = ("accept-risk", "auth-choice", "json")


def _dest(flag: str) -> str:
    return flag.replace("-", "_")


def _given(args: argparse.Namespace, flags: Sequence[str]) -> list[str]:
    return [f for f in flags if getattr(args, _dest(f), None) not in (None, False)]


def _choice_flags(choice: KeyChoice) -> list[str]:
    return [choice.flag, *(flag for flag, _ in choice.fields)]


def _all_flags() -> list[str]:
    return [*OTHER_FLAGS, *TOKEN_FLAGS, *(f for c in KEY_CHOICES for f in _choice_flags(c))]


def run_onboard(args: argparse.Namespace) -> int:
    """`onboard`: the wizard, unless `--non-interactive`; its flags without it are refused rather than ignored."""
    if not args.non_interactive:
        given = _given(args, _all_flags())
        if given:
            raise UsageError(f"--{given[0]} is for non-interactive onboarding; add --non-interactive --accept-risk.")
        from coderclaw_tui.commands.wizard import run_onboard as run_wizard_onboard

        return run_wizard_onboard(args)
    _refuse_secrets_in_argv(args)
    if not args.accept_risk:
        raise UsageError(
            "Non-interactive onboarding requires explicit risk acknowledgement; "
            "re-run with: coderclaw onboard --non-interactive --accept-risk ..."
        )
    if args.sandbox:
        raise UsageError("--sandbox runs the wizard against a test issuer; leave it out with --non-interactive.")
    env = dict(os.environ)
    if args.state_dir:
        env["CODERCLAW_STATE_DIR"] = str(os.path.expanduser(args.state_dir))
    choice = _auth_choice(args)
    if choice in REFUSED:
        raise UsageError(REFUSED[choice])
    if choice == SKIP_CHOICE:
        _refuse_strays(args, choice, [])
        print("Nothing to log in to (--auth-choice skip); nothing was written.")
        return 0
    if choice == TOKEN_CHOICE:
        _refuse_strays(args, choice, TOKEN_FLAGS)
        return _onboard_token(args, env)
    key_choice = _key_choice(choice)
    _refuse_strays(args, choice, _choice_flags(key_choice))
    return _onboard_key(args, env, key_choice)


def _auth_choice(args: argparse.Namespace) -> str:
    """`--auth-choice`, else the choice of the one key flag given (CoderClaw's inference), else `token` for `--token`."""
    if args.auth_choice:
        return args.auth_choice.strip()
    flags = _given(args, [c.flag for c in KEY_CHOICES])
    if len(flags) > 1:
        listed = ", ".join(f"--{f}" for f in flags)
        raise UsageError(f"Multiple API key flags were given ({listed}); use one, or pass --auth-choice.")
    if flags:
        return next(c.choice for c in KEY_CHOICES if c.flag == flags[0])
    if args.token is not None:
        return TOKEN_CHOICE
    raise UsageError(
        "Say what to log in with: --auth-choice CHOICE, or one key flag such as --anthropic-api-key - "
        "(the key on stdin); coderclaw has no default provider."
    )


def _key_choice(choice: str) -> KeyChoice:
    """The table's row for `choice`, or `<provider>-api-key` for any catalogue provider that takes an API key."""
    for row in KEY_CHOICES:
        if choice.lower() == row.choice.lower():
            return row
    from coderclaw_tui.providers.catalogue import BUILTIN_PROVIDERS, find_provider

    rows = {c.provider: c for c in KEY_CHOICES}
    if choice.endswith("-api-key"):
        provider = find_provider(choice.removesuffix("-api-key"))
        if provider is not None and _takes_key(provider):
            return rows.get(provider.id) or KeyChoice(provider.id, choice, "")
    known = [*(c.choice for c in KEY_CHOICES), TOKEN_CHOICE, SKIP_CHOICE]
    extra = [f"{p.id}-api-key" for p in BUILTIN_PROVIDERS if p.id not in rows and _takes_key(p)]
    raise UsageError(f'Unknown --auth-choice "{choice}". Choices: {", ".join(known + extra)}.')


def _takes_key(provider: Any) -> bool:
    return any(m.kind == "api-key" for m in provider.methods)


def _refuse_strays(args: argparse.Namespace, choice: str, allowed: Sequence[str]) -> None:
    """A flag the chosen login does not use is an error: it would otherwise be silently dropped."""
    stray = [f for f in _given(args, [*TOKEN_FLAGS, *(f for c in KEY_CHOICES for f in _choice_flags(c))]) if f not in allowed]
    if stray:
        raise UsageError(f"--{stray[0]} does not go with --auth-choice {choice}.")


def _refuse_secrets_in_argv(args: argparse.Namespace) -> None:
    """Before anything else: a secret flag given a value (not `-`) is refused, without repeating the value."""
    from coderclaw_tui.providers.catalogue import find_provider

    for flag, provider in (("token", None), *((c.flag, c.provider) for c in KEY_CHOICES)):
        value = getattr(args, _dest(flag), None)
        if value is None or value == "-":
            continue
        found = find_provider(provider) if provider else None
        instead = f", or leave the flag out and set {found.env_vars[0]}" if found and found.env_vars else ""
        raise UsageError(
            f"--{flag} never takes the secret on the command line (other users can see it and shells keep it); "
            f"pipe it in with --{flag} -{instead}."
        )


def _read_secret(flag: str) -> str:
    """The secret from stdin, for `--flag -` (values on the command line were refused already)."""
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(f"--{flag} - reads the secret from stdin, but stdin is a terminal; pipe it in (--{flag} - < file).")
    text = sys.stdin.read(MAX_SECRET_CHARS + 1)
    if len(text) > MAX_SECRET_CHARS:
        raise UsageError(f"What arrived on stdin for --{flag} - is far too long to be a secret; pipe only the secret.")
    if not text.strip():
        raise CoderclawError(f"Nothing arrived on stdin for --{flag} -; pipe the secret in.")
    return text


def _agent(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """An agent the config or the state dir knows; non-interactive onboarding never creates one."""
    from coderclaw_tui.core.agents import require_known_agent

    return require_known_agent(args.agent or paths.DEFAULT_AGENT_ID, env)


def _onboard_token(args: argparse.Namespace, env: dict[str, str]) -> int:
    from coderclaw_tui.core.profile_ids import check_profile_id, profile_id_rule
    from coderclaw_tui.core.secret_input import SecretInputError, parse_duration_ms
    from coderclaw_tui.core.sink import TokenSink
    from coderclaw_tui.flows.secret_entry import TokenPaste
    from coderclaw_tui.providers.catalogue import builtin_provider_id

    if not args.token_provider:
        raise UsageError("--auth-choice token needs --token-provider anthropic.")
    provider = builtin_provider_id(args.token_provider)
    if provider not in TOKEN_PROVIDERS:
        raise UsageError("Only --token-provider anthropic is supported for --auth-choice token.")
    if args.token is None:
        raise UsageError("--auth-choice token needs --token - with the setup-token on stdin.")
    profile_id = (args.token_profile_id or f"{provider}:default").strip()
    try:
        check_profile_id(profile_id, provider)
    except UsageError:
        raise UsageError(f"That --token-profile-id cannot be used: {profile_id_rule(provider)}.") from None
    agent_id = _agent(args, env)
    sink = TokenSink(env=env)
    expires = None
    if args.token_expires_in:
        try:
            expires = sink.now_ms() + parse_duration_ms(args.token_expires_in)
        except SecretInputError as exc:
            raise UsageError(f"Invalid --token-expires-in: {exc}") from None
    login = TokenPaste(provider).finish(_read_secret("token"), expires_ms=expires)
    return _save(args, sink, agent_id, TOKEN_CHOICE, login, profile_id, explicit_id=bool(args.token_profile_id), source="stdin")


def _onboard_key(args: argparse.Namespace, env: dict[str, str], choice: KeyChoice) -> int:
    from coderclaw_tui.core.sink import TokenSink
    from coderclaw_tui.flows.secret_entry import ApiKeyEntry
    from coderclaw_tui.providers.catalogue import find_provider

    provider = find_provider(choice.provider)
    if provider is None or not _takes_key(provider):
        raise UsageError(f"--auth-choice {choice.choice} needs the {choice.provider} provider, which this coderclaw does not have.")
    missing = [flag for flag in choice.required if not getattr(args, _dest(flag), None)]
    if missing:
        raise UsageError(f"--auth-choice {choice.choice} needs " + " and ".join(f"--{f}" for f in missing) + ".")
    entry = ApiKeyEntry(provider, env)
    raw = getattr(args, _dest(choice.flag), None) if choice.flag else None
    fields = {name: FIELD_VALUES.get(flag, {}).get(value, value) for flag, name in choice.fields if (value := getattr(args, _dest(flag), None))}
    agent_id = _agent(args, env)
    sink = TokenSink(env=env)
    if raw is not None:
        text: str | None = _read_secret(choice.flag)
        source = "stdin"
    elif (offer := entry.env_offer()) is not None:
        text, source = None, f"env:{offer.variable}"
    elif not entry.spec.key_required:
        text, source = "", "none"
    else:
        existing = _existing_key_profile(sink, agent_id, provider.id)
        if existing is not None:
            return _unchanged(args, choice.choice, provider.id, existing)
        names = " or ".join(provider.env_vars) or "a key variable"
        flag = f"--{choice.flag} - (the key on stdin), or " if choice.flag else ""
        raise CoderclawError(f"Missing {flag}{names} in the environment (or an existing {provider.id} API-key profile).")
    login = entry.finish(text, fields=fields)
    return _save(args, sink, agent_id, choice.choice, login, None, explicit_id=False, source=source)


def _existing_key_profile(sink: Any, agent_id: str, provider: str) -> str | None:
    view = sink.view(agent_id)
    return next((e.profile_id for e in view.ordered_profiles(provider) if e.kind == "api_key" and e.problem is None), None)


def _unchanged(args: argparse.Namespace, choice: str, provider: str, profile_id: str) -> int:
    if args.json:
        from coderclaw_tui.commands.output import print_json

        print_json({"authChoice": choice, "provider": provider, "profileId": profile_id, "changed": False})
    else:
        print(f"{profile_id} already holds a {provider} API key, and no new one was given; nothing was changed.")
    return 0


def _save(
    args: argparse.Namespace,
    sink: Any,
    agent_id: str,
    choice: str,
    login: Any,
    profile_id: str | None,
    *,
    explicit_id: bool,
    source: str,
) -> int:
    """Plan and commit exactly as the wizard's confirm step does; a collision with a named id writes nothing."""
    from coderclaw_tui.core.credentials import mask_secret, secret_of
    from coderclaw_tui.flows.confirm_plan import commit, plan_confirm
    from coderclaw_tui.flows.onboarding import AgentChoice

    plan = plan_confirm(sink, AgentChoice(agent_id), login, profile_id)
    assert plan.placement is not None
    wanted = profile_id or login.suggested_profile_id if login.saves_profile else None
    if plan.placement.collision and explicit_id:
        raise CoderclawError(
            f"{wanted} already holds {plan.placement.collision}; nothing was written. "
            f"Name another with --token-profile-id (for example {plan.placement.profile_id})."
        )
    saved = commit(sink, plan)
    record = login.credential
    report = {
        "agentId": agent_id,
        "authChoice": choice,
        "provider": login.provider,
        "profileId": saved.profile_id,
        "mode": record.get("type"),
        "secret": mask_secret(secret_of(record)),
        "source": source,
        "storePath": str(saved.store_path),
        "configPath": str(saved.config_path),
        "changed": True,
        "renamedFrom": wanted if saved.profile_id != wanted else None,
        "envFile": str(paths.env_file_path(sink.env)) if login.env_file else None,
        "configWarning": saved.config_warning,
    }
    if args.json:
        from coderclaw_tui.commands.output import print_json

        print_json(report)
        return 0
    from coderclaw_tui.commands.output import print_line

    if report["renamedFrom"]:  # the collision names what the store holds there (an email): escaped
        print_line(f"{wanted} holds {plan.placement.collision}, so this login was saved as {saved.profile_id}.")
    if saved.profile_id and saved.config_warning:
        print(f"Saved {saved.profile_id} ({login.provider}/{report['mode']}, {report['secret']}) to {saved.store_path}.")
        print_line(f"coderclaw: warning: {saved.config_warning}", sys.stderr)
    elif saved.profile_id:
        print(f"Saved {saved.profile_id} ({login.provider}/{report['mode']}, {report['secret']}) to {saved.store_path}; {saved.config_path} lists it.")
    else:
        print(f"Saved the {login.provider} endpoint to {saved.config_path}, which keeps its key, as CoderClaw does.")
    if report["envFile"]:
        print(f"Also saved {login.env_file[0]} to {report['envFile']}, where CoderClaw reads it.")
    return 0
