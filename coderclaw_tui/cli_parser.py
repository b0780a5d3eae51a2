"""The argparse parser of every command: help, completion, errors, and every command line the quick path
(`cli_quick`) leaves to it. Each command's function is imported only when it runs."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from coderclaw_tui.cli_options import (
    AGENT,
    DEBUG,
    QUICK_COMMANDS,
    STATE_DIR,
    WIZARD,
    Option,
    lazy_handler,
    noninteractive_options,
)

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any, NoReturn

SHELLS = ("bash", "zsh", "fish")
_NAMEABLE = re.compile(r"-[A-Za-z]|--[a-z][a-z0-9-]{0,39}|[a-z][a-z-]{0,23}")
"""What an argument error may repeat: an option (`--nosuch`) or a plain lower-case word (`statsu`). Anything else
(digits, `=`, `:`, `/`, capitals, length) could be a secret pasted in the wrong place, and is never echoed."""
NOT_SHOWN = "(not shown)"


def nameable(token: str) -> bool:
    return _NAMEABLE.fullmatch(token) is not None


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width: asked itself, it imports shutil (and bz2 and lzma
    through it), and argparse builds one for every option added, not only for help."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", _terminal_columns() - 2)
        super().__init__(prog, **kwargs)


def _terminal_columns() -> int:
    """As shutil.get_terminal_size: $COLUMNS, else the terminal's, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse, with errors that name a mistyped option but never echo an argument that could be a secret, and
    `--debug` taken before or after the subcommand (every parser has it; only the top level sets its default)."""

    def __init__(self, *args: Any, top: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        _add_options(self, (DEBUG._replace(settings={**DEBUG.settings, "default": False if top else argparse.SUPPRESS}),))

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            leaf: argparse.ArgumentParser = getattr(parsed, "parser", self)
            options = [o for o in (t.split("=", 1)[0] for t in extras if t.startswith("-")) if nameable(o)]
            if options:
                leaf.error(f"unknown option {options[0]}; see `{leaf.prog} --help`")
            leaf.error("unexpected argument (not shown); secrets are read from stdin, never from the command line")
        return parsed

    def error(self, message: str) -> NoReturn:
        """argparse quotes what it could not use (`invalid choice: 'sk-…'`): such a value is masked unless nameable."""
        message = _QUOTED.sub(_mask_quoted, message)
        message = _OPTION_VALUE.sub(rf"\1={NOT_SHOWN}", message)
        super().error(message)


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_OPTION_VALUE = re.compile(r"(--[\w-]+)=\S+")
"""`ambiguous option: --pro=<value> could match …` repeats the value given with `=`."""


def _mask_quoted(match: re.Match[str]) -> str:
    token = match.group(1) if match.group(1) is not None else match.group(2)
    return match.group(0) if nameable(token) else NOT_SHOWN


class _VersionAction(argparse.Action):
    """`--version`, reading the installed version only when asked (the parser is built on every call)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("coderclaw")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        sys.stdout.write(f"coderclaw {number}\n")
        parser.exit()


def _add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    for option in options:
        parser.add_argument(option.flag, **option.settings)


def _agent_flag(parser: argparse.ArgumentParser) -> None:
    _add_options(parser, AGENT)


def _state_dir_flag(parser: argparse.ArgumentParser) -> None:
    _add_options(parser, (STATE_DIR,))


Builder = Callable[[argparse.ArgumentParser], None]


def _wizard_flags(parser: argparse.ArgumentParser) -> None:
    _add_options(parser, WIZARD)


def _onboard(parser: argparse.ArgumentParser) -> None:
    """The quick path's data, with the non-interactive flags grouped in the help."""
    _add_options(parser, (*AGENT, *WIZARD))
    group = parser.add_argument_group("non-interactive (for scripts; secrets are read from stdin or the environment)")
    _add_options(group, noninteractive_options())  # type: ignore[arg-type]
    parser.set_defaults(handler=lazy_handler(*QUICK_COMMANDS[("onboard",)][1]))


def _profiles(parser: argparse.ArgumentParser) -> None:
    _agent_flag(parser)
    parser.add_argument("--sandbox", action="store_true", help="try it against the embedded issuer, with sample profiles")
    parser.set_defaults(handler=lazy_handler("wizard", "run_profiles"))


def _quick(words: tuple[str, ...]) -> Builder:
    """A command the quick path also reads: its options and function come from the same data."""
    options, (module, function) = QUICK_COMMANDS[words]

    def build(parser: argparse.ArgumentParser) -> None:
        _add_options(parser, options)
        parser.set_defaults(handler=lazy_handler(module, function))

    return build


def _login(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", required=True)
    parser.add_argument("--method", metavar="ID", help="the provider's login method (default: its first)")
    _agent_flag(parser)
    _wizard_flags(parser)
    parser.set_defaults(handler=lazy_handler("wizard", "run_login"))


def _setup_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", default="anthropic")
    parser.add_argument("--profile-id", help="default: anthropic:manual")
    _agent_flag(parser)
    parser.set_defaults(handler=lazy_handler("wizard", "run_setup_token"))


def _list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider")
    parser.add_argument("--json", action="store_true")
    _agent_flag(parser)
    parser.set_defaults(handler=lazy_handler("profiles_admin", "run_list"))


def _order(action: str) -> Callable[[argparse.ArgumentParser], None]:
    def build(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--provider", required=True)
        _agent_flag(parser)
        if action == "get":
            parser.add_argument("--json", action="store_true")
        if action == "set":
            parser.add_argument("profile_ids", nargs="+", metavar="PROFILE_ID")
        parser.set_defaults(handler=lazy_handler("profiles_admin", "run_order"))

    return build


def _logout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile_id", metavar="PROFILE_ID")
    _agent_flag(parser)
    parser.set_defaults(handler=lazy_handler("profiles_admin", "run_logout"))


def _paste_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", required=True)
    parser.add_argument("--profile-id")
    parser.add_argument("--expires-in", metavar="DURATION", help="e.g. 365d, 12h")
    _agent_flag(parser)
    parser.set_defaults(handler=lazy_handler("tokens", "run_paste_token"))


def _agents_add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent_id", metavar="ID")
    parser.add_argument("--name")
    parser.add_argument("--workspace")
    parser.add_argument("--json", action="store_true")
    _state_dir_flag(parser)
    parser.set_defaults(handler=lazy_handler("agents_cmd", "run_add"))


def _agents_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")
    _state_dir_flag(parser)
    parser.set_defaults(handler=lazy_handler("agents_cmd", "run_list"))


def _completion(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="e.g. `source <(coderclaw completion bash)`")
    parser.set_defaults(handler=lazy_handler("completion", "run"))


class Group:
    """A command that only holds subcommands: where argparse stores the one chosen, and the subcommands."""

    __slots__ = ("dest", "metavar", "commands")

    def __init__(self, dest: str, metavar: str, commands: dict[str, tuple[str, Builder | Group]]) -> None:
        self.dest, self.metavar, self.commands = dest, metavar, commands

COMMANDS = Group(
    "command",
    "COMMAND",
    {
        "onboard": ("the sign-in wizard (full screen)", _onboard),
        "profiles": ("browse, refresh, reorder and remove profiles (full screen)", _profiles),
        "models": (
            "model provider auth",
            Group(
                "models_command",
                "SUBCOMMAND",
                {
                    "status": ("every profile with its state and expiry", _quick(("models", "status"))),
                    "auth": (
                        "manage auth profiles",
                        Group(
                            "auth_command",
                            "SUBCOMMAND",
                            {
                                "login": ("the sign-in wizard, starting at one provider", _login),
                                "setup-token": ("paste the token `claude setup-token` prints (wizard)", _setup_token),
                                "list": ("list auth profiles", _list),
                                "order": (
                                    "the order profiles of a provider are tried in",
                                    Group("order_action", "get|set|clear", {a: ("", _order(a)) for a in ("get", "set", "clear")}),
                                ),
                                "logout": ("remove a profile", _logout),
                                "token": ("print a usable access token, refreshing it if needed", _quick(("models", "auth", "token"))),
                                "paste-token": ("store a token: the wizard on a terminal, else read from stdin", _paste_token),
                            },
                        ),
                    ),
                },
            ),
        ),
        "agents": (
            "agents and their directories",
            Group("agents_command", "SUBCOMMAND", {"add": ("add an agent", _agents_add), "list": ("list agents", _agents_list)}),
        ),
        "completion": ("print a shell completion script (bash, zsh or fish)", _completion),
    },
)
"""Every command. Only the branch a command line names gets its options built: the scriptable commands are
called often, and building every option of every command (the onboarding flags come from the provider data)
would cost more than parsing."""


def _add_group(parser: argparse.ArgumentParser, group: Group, words: list[str] | None) -> None:
    """Add `group`'s subcommands to `parser`. When `words` (the rest of the command line) names one of them, only
    that one is built: the others matter only to help and to the error for a mistyped name, which then get all."""
    # prog given, so argparse need not build a help formatter (which imports shutil, and through it bz2 and lzma)
    subparsers = parser.add_subparsers(dest=group.dest, metavar=group.metavar, prog=parser.prog)
    subparsers.required = True
    chosen = None if words is None else next((w for w in words if not w.startswith("-")), None)
    for name, (help_text, body) in group.commands.items():
        if chosen in group.commands and name != chosen:
            continue
        child = subparsers.add_parser(name, **({"help": help_text} if help_text else {}))
        if words is not None and name != chosen:
            continue
        if isinstance(body, Group):
            _add_group(child, body, None if words is None else words[words.index(name) + 1 :])
        else:
            body(child)
            child.set_defaults(parser=child)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`'s command (every command's options when `argv` is None, as completion needs)."""
    parser = _Parser(prog="coderclaw", description="Log in to AI model providers and stay logged in.", top=True)
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    _add_group(parser, COMMANDS, None if argv is None else list(argv))
    return parser

