"""`onboard`, `models auth login`, `models auth setup-token` and a terminal `paste-token`: the wizard's commands.

Each resolves its arguments before Textual starts (so a wrong provider fails fast, with exit 2), runs the app
with the program's log in a file (never the terminal), and prints one closing line about what was saved.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderclaw_tui import paths
from coderclaw_tui.core.errors import UsageError
from coderclaw_tui.flows.onboarding import WizardStart

if TYPE_CHECKING:
    import argparse

    from coderclaw_tui.app import ProfilesStart
    from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer

SANDBOX_DEVICE_INTERVAL = 2
SANDBOX_SETUP_TOKEN = "sk-ant-oat01-sandbox-" + "0" * 70
"""Looks like a setup-token, works nowhere: the sandbox's stand-in for `claude setup-token` output."""
SANDBOX_API_KEY = "sk-sandbox-" + "0" * 40
LOCATION_OVERRIDES = (
    "CODERCLAW_CONFIG_PATH",
    "CODERCLAW_AGENT_DIR",
    "PI_CODING_AGENT_DIR",
    "CODERCLAW_OAUTH_DIR",
    "CODERCLAW_HOME",
)
"""Cleared in the sandbox, so nothing it writes can land in the real state."""


def configure_logging() -> Path | None:
    """The program's log goes to its private file; the terminal belongs to the TUI."""
    from coderclaw_tui.core.audit import open_log_file

    return open_log_file()


def _require_terminal(command: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            f"`coderclaw {command}` is an interactive wizard and needs a terminal; "
            "to store a token from a script, pipe it to `coderclaw models auth paste-token --provider <id>`."
        )


def run_onboard(args: argparse.Namespace) -> int:
    return run_wizard(args, WizardStart(agent_id=args.agent), "onboard")


def run_login(args: argparse.Namespace) -> int:
    from coderclaw_tui.providers.catalogue import resolve_provider  # `onboard` opens before it is needed

    provider = resolve_provider(args.provider)
    provider.method(args.method)  # an unknown method fails here, before the screen opens
    start = WizardStart(agent_id=args.agent or paths.DEFAULT_AGENT_ID, provider_id=provider.id, method_id=args.method)
    return run_wizard(args, start, "models auth login")


def run_setup_token(args: argparse.Namespace) -> int:
    from coderclaw_tui.core.profile_ids import check_profile_id
    from coderclaw_tui.providers.catalogue import resolve_provider

    provider = resolve_provider(args.provider)
    if provider.id != "anthropic":
        raise UsageError(
            f"setup-token is Anthropic's (`claude setup-token`); for {provider.id} use "
            f"`coderclaw models auth login --provider {provider.id}`."
        )
    start = WizardStart(
        agent_id=args.agent or paths.DEFAULT_AGENT_ID,
        provider_id=provider.id,
        method_id="token",
        profile_id=check_profile_id((args.profile_id or f"{provider.id}:manual").strip(), provider.id),
    )
    return run_wizard(args, start, "models auth setup-token")


def run_paste_token_wizard(
    args: argparse.Namespace, provider_id: str, agent_id: str, profile_id: str, expires_in_ms: int | None
) -> int:
    """`paste-token` on a terminal: the wizard's paste step, with the provider and profile id the piped form
    checked (`flows.secret_entry.paste_token_target`)."""
    start = WizardStart(
        agent_id=agent_id,
        provider_id=provider_id,
        method_id="token",
        profile_id=profile_id,
        expires_in_ms=expires_in_ms,
    )
    return run_wizard(args, start, "models auth paste-token")


def run_profiles(args: argparse.Namespace) -> int:
    from coderclaw_tui.app import ProfilesStart

    agent = paths.normalize_agent_id(args.agent) if args.agent else None
    return run_wizard(args, ProfilesStart(agent), "profiles")


def seed_sandbox(env: dict[str, str], sandbox: SandboxIssuer) -> None:
    """An empty sandbox state gets a work and a personal ChatGPT login (real, short-lived, refreshable against
    the sandbox), a subscription token and an API key, so the profile browser has something to show."""
    from coderclaw_tui.core.logins import save_login
    from coderclaw_tui.core.sink import TokenSink
    from coderclaw_tui.providers.token_response import parse_token_response

    sink = TokenSink(env=env)
    if sink.view().profiles:
        return
    for email, account in (("ada@work.example", "acct_work_0001"), ("ada@home.example", "acct_home_0002")):
        answer = sandbox.mint_tokens(email=email, account_id=account)
        fields = parse_token_response(answer, now_ms=sink.now_ms(), openai_jwt=True)
        save_login(sink, "main", f"openai-codex:{email}", {"type": "oauth", "provider": "openai-codex", **fields})
    save_login(sink, "main", "anthropic:default", {"type": "token", "provider": "anthropic", "token": SANDBOX_SETUP_TOKEN})
    save_login(sink, "main", "openai:default", {"type": "api_key", "provider": "openai", "key": SANDBOX_API_KEY})


def program_command() -> str:
    """How to run this program again, as typed in a shell: `coderclaw` when that is what PATH finds, else its
    real path (a venv's `.venv/bin/coderclaw`) or `python -m coderclaw_tui`."""
    argv0 = sys.argv[0]
    if argv0.endswith("__main__.py"):
        return f"{shlex.quote(sys.executable)} -m coderclaw_tui"
    on_path = shutil.which("coderclaw")
    if on_path and os.path.realpath(on_path) == os.path.realpath(argv0):
        return "coderclaw"
    return shlex.quote(argv0) if os.sep in argv0 else "coderclaw"


def holds_files(directory: str) -> bool:
    return any(path.is_file() for path in Path(directory).rglob("*"))


def run_wizard(args: argparse.Namespace, start: WizardStart | ProfilesStart, command: str) -> int:
    _require_terminal(command)
    configure_logging()
    from coderclaw_tui.app import INTERRUPTED, make_app
    from coderclaw_tui.services import Services

    env = dict(os.environ)
    sandbox_flag = getattr(args, "sandbox", False)
    state_dir = getattr(args, "state_dir", None)
    made_state_dir = False
    program = program_command()
    with ExitStack() as stack:
        extra: dict[str, Any] = {"no_browser": bool(getattr(args, "no_browser", False)), "command": program}
        if sandbox_flag:
            from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer, sandbox_env
            from coderclaw_tui.providers.catalogue import all_providers

            sandbox = stack.enter_context(SandboxIssuer(device_interval=SANDBOX_DEVICE_INTERVAL))
            for name in LOCATION_OVERRIDES:
                env.pop(name, None)
            env.update(sandbox_env(sandbox.base_url, [p.id for p in all_providers()]))
            if not state_dir:
                state_dir, made_state_dir = tempfile.mkdtemp(prefix="coderclaw-sandbox-"), True
            extra.update(sandbox=sandbox)
        if state_dir:
            env["CODERCLAW_STATE_DIR"] = str(Path(state_dir).expanduser())
            extra["state_dir"] = env["CODERCLAW_STATE_DIR"]
        if sandbox_flag and not isinstance(start, WizardStart):
            seed_sandbox(env, sandbox)
        app = make_app(Services.from_env(env, **extra), start)
        stack.callback(signal.signal, signal.SIGINT, signal.signal(signal.SIGINT, app.interrupt_before_start))
        saved = app.run()
    from coderclaw_tui.commands.output import printable
    from coderclaw_tui.core import audit

    if saved is not None and saved.profile_id:
        audit.log("login", command=command, profile=saved.profile_id, store=str(saved.store_path))
        print(f"Saved {printable(saved.profile_id)} to {printable(saved.store_path)}.")
        if saved.config_warning:
            print(f"coderclaw: warning: {printable(saved.config_warning)}", file=sys.stderr)
    elif saved is not None:
        print(f"Added agent {printable(saved.agent_id)}; it reads main's profiles.")
    elif app.return_code in (0, None) and isinstance(start, WizardStart):
        audit.log("cancel", command=command)
        print("Nothing was saved.")
    if sandbox_flag and made_state_dir and saved is None and not holds_files(env["CODERCLAW_STATE_DIR"]):
        shutil.rmtree(env["CODERCLAW_STATE_DIR"], ignore_errors=True)  # nothing in it to look at
    elif sandbox_flag:
        state = shlex.quote(env["CODERCLAW_STATE_DIR"])
        print(printable(f"Sandbox state is in {state}; look at it with {program} models status --state-dir {state}"))
    if app.return_code == INTERRUPTED:
        raise KeyboardInterrupt  # as a Ctrl-C anywhere in a command: its sentence, and 130
    if app.return_code:
        return app.return_code
    return 0 if saved is not None or not isinstance(start, WizardStart) else 1
