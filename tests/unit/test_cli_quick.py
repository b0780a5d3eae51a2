"""Issue 12: `models auth token`, `models status` and `onboard` are read without argparse (cli_quick). Whatever the quick path
accepts, argparse must read the same way; whatever it cannot be sure of, it leaves to argparse."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.cli_parser import build_parser
from coderclaw_tui.cli_quick import quick_parse
from coderclaw_tui.commands.output import JSON_UNSAFE, UNSAFE

WORDS = [("models", "auth", "token"), ("models", "status"), ("onboard",)]
VOCABULARY = [
    "--provider", "--provider=anthropic", "anthropic", "openai-codex", "--profile-id", "anthropic:work",
    "--profile-id=", "--retry-refresh", "--agent", "main", "--agent=work", "--state-dir", "/tmp/state dir",
    "--state-dir=", "--debug", "--json", "--check", "--probe", "--probe-timeout", "5", "--probe-timeout=0",
    "--probe-profile", "--refresh", "-1", "-", "--", "-h", "--help", "--prov", "--json=1", "x=y", "", "--nosuch",
    "sk-ant-oat01-secret", "auth", "token", "status",
    "--no-browser", "--sandbox", "--non-interactive", "--accept-risk", "--auth-choice", "openai-api-key",
    "--openai-api-key", "--custom-base-url", "http://127.0.0.1:9/v1", "--custom-compatibility", "anthropic",
    "--token-provider", "--token-expires-in", "365d", "--anthropic-api-key=-",
]


def _argparse(argv: list[str]) -> dict[str, object] | None:
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):  # usage, help
            parsed = build_parser(argv).parse_args(argv)
    except SystemExit:
        return None
    return {k: v for k, v in vars(parsed).items() if k not in ("handler", "parser")}


def _quick(argv: list[str]) -> dict[str, object] | None:
    parsed = quick_parse(argv)
    return None if parsed is None else {k: v for k, v in vars(parsed).items() if k != "handler"}


def _target(handler: object) -> list[object]:
    """Which module and function a lazy handler runs."""
    return sorted(str(cell.cell_contents) for cell in handler.__closure__)  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(words=st.sampled_from(WORDS), rest=st.lists(st.sampled_from(VOCABULARY), max_size=7))
def test_what_the_quick_path_accepts_argparse_reads_the_same(words: tuple[str, ...], rest: list[str]) -> None:
    argv = [*words, *rest]
    quick = _quick(argv)
    if quick is not None:
        assert _argparse(argv) == quick, argv


@pytest.mark.parametrize(
    "argv",
    [
        ["models", "auth", "token", "--provider", "anthropic"],
        ["models", "auth", "token", "--provider=anthropic", "--profile-id", "anthropic:work", "--retry-refresh"],
        ["models", "auth", "token", "--agent", "work", "--provider", "openai-codex", "--state-dir", "/tmp/s", "--debug"],
        ["models", "auth", "token", "--provider", "anthropic", "--provider", "openai"],
        ["models", "auth", "token", "--provider", ""],
        ["models", "status"],
        ["models", "status", "--json", "--check", "--agent=work"],
        ["models", "status", "--probe", "--probe-provider", "anthropic"],
        ["onboard"],
        ["onboard", "--agent", "work", "--no-browser"],
        ["onboard", "--sandbox", "--state-dir=/tmp/s"],
        ["onboard", "--non-interactive", "--accept-risk", "--auth-choice", "custom-api-key", "--custom-base-url", "u"],
    ],
    ids=" ".join,
)
def test_the_common_command_lines_take_the_quick_path(argv: list[str]) -> None:
    """Non-vacuous: the lines scripts use are read by the quick path, to the same result, running the same code."""
    quick = quick_parse(argv)
    assert quick is not None
    assert _quick(argv) == _argparse(argv)
    full = build_parser(argv).parse_args(argv)
    assert _target(quick.handler) == _target(full.handler)


@pytest.mark.parametrize(
    "argv",
    [
        ["models", "auth", "token"],  # --provider is required: argparse says so
        ["models", "auth", "token", "--provider"],
        ["models", "auth", "token", "--provider", "--debug"],
        ["models", "auth", "token", "--prov", "anthropic"],  # an abbreviation: argparse's to resolve
        ["models", "auth", "token", "--provider", "anthropic", "-h"],
        ["models", "auth", "token", "--provider", "anthropic", "sk-ant-oat01-secret"],
        ["models", "status", "--json=1"],
        ["models", "status", "--probe-timeout", "5"],  # a typed value: argparse checks it
        ["models", "status", "--", "--json"],
        ["--debug", "models", "status"],
        ["models", "auth", "list"],
        ["onboard", "--anthropic-api-key", "-"],  # a secret flag's optional value: argparse's rule
        ["onboard", "--custom-compatibility", "openai"],  # choices: argparse checks them
    ],
    ids=" ".join,
)
def test_what_the_quick_path_is_unsure_of_goes_to_argparse(argv: list[str]) -> None:
    assert quick_parse(argv) is None


def test_a_line_left_to_argparse_gets_its_usage_error(main_store, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Through the real entry point (that the quick path imports no argparse is in test_import_weight)."""
    missing = run_cli("models", "auth", "token")
    assert missing.returncode == 2 and "the following arguments are required: --provider" in missing.stderr
    typo = run_cli("models", "status", "--jsno")
    assert typo.returncode == 2 and "unknown option --jsno" in typo.stderr
    assert run_cli("models", "auth", "token", "--provider", "anthropic").returncode == 0


def test_every_character_a_human_line_escapes_is_one_isprintable_refuses() -> None:
    """`printable` skips the pattern for a string `str.isprintable` accepts; that is only right while every
    character the pattern escapes is one isprintable refuses (and every one JSON output escapes is not ASCII)."""
    unsafe, json_unsafe = re.compile(UNSAFE), re.compile(JSON_UNSAFE)
    escaped = [chr(c) for c in range(0x110000) if unsafe.match(chr(c))]
    assert len(escaped) > 2000  # the surrogates alone are 2048
    assert not any(ch.isprintable() for ch in escaped)
    assert all(not ch.isascii() or ch == "\x7f" for ch in map(chr, range(0x110000)) if json_unsafe.match(ch))

