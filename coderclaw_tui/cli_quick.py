"""The quick path: `models auth token`, `models status` and `onboard` command lines read without argparse.

Scripts run these many times a minute, and argparse with its translations costs more than the command's own
work. The quick path takes only a command line it understands completely (the command's words, then its
switches and plain-valued options, each at most as argparse would read it); anything else, including help, a
mistyped option, a missing required option or a value that looks like an option, returns None and argparse
reads the line and words the error. tests/unit/test_cli_quick.py checks both give the same result.
"""

from __future__ import annotations

from types import SimpleNamespace

from coderclaw_tui.cli_options import DEBUG, QUICK_COMMANDS, SUBCOMMAND_DESTS, lazy_handler


def quick_parse(argv: list[str] | tuple[str, ...]) -> SimpleNamespace | None:
    """What argparse would make of `argv`, when the quick path can tell for sure; else None."""
    for words, (options, (module, function)) in QUICK_COMMANDS.items():
        if tuple(argv[: len(words)]) == words:
            listed = options() if callable(options) else options
            return _options(argv[len(words) :], (*listed, DEBUG), words, lazy_handler(module, function))
    return None


def _options(rest: list[str] | tuple[str, ...], options: tuple, words: tuple[str, ...], handler: object) -> SimpleNamespace | None:
    by_flag = {option.flag: option for option in options}
    values: dict[str, object] = {option.dest: option.default for option in options}
    given: set[str] = set()
    index = 0
    while index < len(rest):
        flag, has_inline, inline = rest[index].partition("=")
        option = by_flag.get(flag)
        if option is None:  # a positional, `--`, `-h`, an abbreviation or a typo: argparse's to judge
            return None
        if option.is_switch and not has_inline:
            values[option.dest] = True
        elif option.is_plain_value and has_inline:
            values[option.dest] = inline
        elif option.is_plain_value and index + 1 < len(rest) and not rest[index + 1].startswith("-"):
            index += 1
            values[option.dest] = rest[index]
        else:
            return None
        given.add(flag)
        index += 1
    if any(option.settings.get("required") and option.flag not in given for option in options):
        return None
    return SimpleNamespace(**dict(zip(SUBCOMMAND_DESTS, words)), **values, handler=handler)
