"""The options of the commands started most often (`models auth token`, `models status`, `onboard`), as data.

argparse builds them from this data (`cli_parser`), and so does the quick path (`cli_quick`), which reads such a
command line without importing argparse: one list, so the two can never disagree about a name or a default.
Nothing here imports argparse.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Handler = Callable[[Any], int]


class Option(namedtuple("Option", "flag settings")):
    """One option: its flag and the keyword arguments argparse's `add_argument` gets for it."""

    @property
    def dest(self) -> str:
        return str(self.settings.get("dest", self.flag[2:].replace("-", "_")))

    @property
    def is_switch(self) -> bool:
        """A flag without a value (`--json`)."""
        return self.settings.get("action") == "store_true"

    @property
    def is_plain_value(self) -> bool:
        """An option taking one string as it is (`--provider X`): the quick path reads it; any other kind (a type,
        choices, a list) is left to argparse, which checks it and words the error."""
        return not set(self.settings) & {"action", "type", "nargs", "choices", "const"}

    @property
    def default(self) -> object:
        return self.settings.get("default", False if self.is_switch else None)


def positive_int(what: str) -> Callable[[str], int]:
    """An argparse `type` taking a whole number above zero; the error names `what` it counts."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0:
            import argparse

            raise argparse.ArgumentTypeError(f"must be a positive whole number ({what})")
        return value

    return parse


def lazy_handler(module: str, function: str) -> Handler:
    """The command's function, imported from `coderclaw_tui.commands.<module>` only when it runs."""

    def handler(args: Any) -> int:
        # __import__ with a fromlist returns the module itself; importlib would cost an import of its own
        command = __import__(f"coderclaw_tui.commands.{module}", fromlist=[function])
        return int(getattr(command, function)(args))

    return handler


DEBUG = Option("--debug", {"action": "store_true", "help": "show tracebacks on errors"})
STATE_DIR = Option(
    "--state-dir",
    {"metavar": "DIR", "help": "use DIR as the state dir (with --sandbox: keep the sandbox's state there)"},
)
"""Every command takes it (SPEC 1); `main` hands it on as $CODERCLAW_STATE_DIR, so it reaches every path."""
AGENT = (Option("--agent", {"metavar": "ID", "help": "agent id (default: main)"}), STATE_DIR)

TOKEN = (
    Option("--provider", {"required": True}),
    Option("--profile-id", {}),
    Option(
        "--retry-refresh",
        {
            "action": "store_true",
            "help": "send the stored refresh token again after a refresh whose outcome is unknown (it may be spent)",
        },
    ),
    *AGENT,
)

PROBE = (
    Option("--probe", {"action": "store_true", "help": "check each credential live with a free request (never a model call)"}),
    Option("--probe-provider", {"metavar": "ID", "help": "probe only this provider"}),
    Option(
        "--probe-profile",
        {"metavar": "ID", "action": "append", "help": "probe only this profile (repeatable, or comma-separated)"},
    ),
    Option(
        "--probe-timeout",
        {"metavar": "MS", "type": positive_int("milliseconds"), "help": "total time per probe (default 8000)"},
    ),
    Option(
        "--probe-concurrency",
        {"metavar": "N", "type": positive_int("probes at once"), "help": "probes at once (default 2)"},
    ),
    Option("--refresh", {"action": "store_true", "help": "with --probe: refresh expired OAuth tokens first (under the usual locks)"}),
)

STATUS = (
    Option("--json", {"action": "store_true"}),
    Option("--check", {"action": "store_true", "help": "exit 1 if something needs fixing, 2 if a token expires within 24 h"}),
    *AGENT,
    *PROBE,
)

WIZARD = (
    Option("--no-browser", {"action": "store_true", "help": "never open a browser; show the URL and take a paste"}),
    Option("--sandbox", {"action": "store_true", "help": "log in against an embedded test issuer, into a temporary state dir"}),
)


def noninteractive_options() -> tuple[Option, ...]:
    """CoderClaw's `onboard --non-interactive` flags, from the provider data. A secret flag takes `-` (read stdin)
    or nothing: a value on the command line is refused by the command, without repeating it."""
    from coderclaw_tui.providers.auth_choices import FIELD_VALUES, KEY_CHOICES

    secret: dict[str, Any] = {"nargs": "?", "const": "-", "metavar": "-"}
    options = [
        Option("--non-interactive", {"action": "store_true", "help": "no wizard: log in from the flags below"}),
        Option("--accept-risk", {"action": "store_true", "help": "required with --non-interactive"}),
        Option("--auth-choice", {"metavar": "CHOICE", "help": "CoderClaw's auth choice (default: from the key flag given)"}),
        Option("--token", {**secret, "help": "read the setup-token from stdin"}),
        Option("--token-provider", {"metavar": "ID", "help": "with --auth-choice token: anthropic"}),
        Option("--token-profile-id", {"metavar": "ID", "help": "default: anthropic:default"}),
        Option("--token-expires-in", {"metavar": "DURATION", "help": "e.g. 365d, 12h"}),
        Option("--json", {"action": "store_true", "help": "print what was saved as JSON"}),
    ]
    for choice in KEY_CHOICES:
        options.append(Option(f"--{choice.flag}", {**secret, "help": f"read the {choice.provider} key from stdin"}))
        for flag, _ in choice.fields:
            values = {"choices": list(FIELD_VALUES[flag])} if flag in FIELD_VALUES else {}
            options.append(Option(f"--{flag}", {"metavar": "VALUE", **values}))
    return tuple(options)


def onboard_options() -> tuple[Option, ...]:
    return (*AGENT, *WIZARD, *noninteractive_options())


QUICK_COMMANDS = {
    ("models", "auth", "token"): (TOKEN, ("tokens", "run_token")),
    ("models", "status"): (STATUS, ("status", "run")),
    ("onboard",): (onboard_options, ("noninteractive", "run_onboard")),
}
"""The commands the quick path reads: their words, options (or the function that lists them, when they come from
the provider data), and the function that runs them. The words are also what argparse stores for the chosen
subcommands (`command`, `models_command`, `auth_command`)."""
SUBCOMMAND_DESTS = ("command", "models_command", "auth_command")
