"""Aligned tables and stable JSON for the scriptable commands, and the escaping every human line goes through.

Strings read from a store, a config or a server may hold terminal control sequences (clear screen, OSC 52
clipboard writes, a forged title), carriage returns, newlines or bidi overrides that reorder what is shown.
Human output shows them escaped (`\\x1b`, `\\u202e`); `--json` output carries the exact values, since JSON
escapes control characters itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from coderclaw_tui.core.jsonio import dumps_indented

TYPE_CHECKING = False  # typing stays off the scriptable commands' start-up; annotations are strings
if TYPE_CHECKING:
    from typing import Any, TextIO

UNSAFE = (
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)
"""What a human line shows escaped. Every one of these is a character `str.isprintable` refuses, so a printable
string skips the pattern (compiling it costs more than a fresh token's other work: `re` compiles it on first need and keeps it)."""
JSON_UNSAFE = "[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
"""What JSON may carry raw but a terminal would act on; written as `\\uXXXX`, which parses to the same value. All
are outside ASCII but DEL."""

def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """`value` as text that cannot drive the terminal: control, format and bidi characters shown escaped."""
    text = str(value)
    return text if text.isprintable() else re.sub(UNSAFE, _escape_char, text)


def printable_lines(text: str) -> str:
    """Each line of `text` as `printable` shows it: its own line breaks kept (a screen's text spans lines)."""
    return "\n".join(map(printable, text.split("\n")))


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Indented JSON, with what a terminal would act on written as `\\uXXXX` (the same value once parsed)."""
    text = dumps_indented(data)
    if _may_drive_a_terminal(text):
        text = re.sub(JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)
    (out or sys.stdout).write(text + "\n")


def _may_drive_a_terminal(json_text: str) -> bool:
    """Whether JSON text may hold a JSON_UNSAFE character. Each of them is one `str.isprintable` refuses, and JSON
    text holds no other unprintable character but its line breaks unless a string does; so printable text (a
    masked secret's `…` is not ASCII, but printable) skips the pattern, which costs twice as much to run."""
    if json_text.isascii():
        return "\x7f" in json_text
    return not json_text.replace("\n", "").isprintable()


def print_line(text: str, out: TextIO | None = None) -> None:
    """One human line, escaped."""
    (out or sys.stdout).write(printable(text) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Columns padded to their widest cell; the last column is not padded (no trailing spaces). Cells escaped.
    Written in one piece, with whole rows checked at once: status of thousands of profiles prints this."""
    table = [row if "".join(row).isprintable() else [printable(c) for c in row] for row in [headers, *rows]]
    widths = [max(map(len, column)) for column in zip(*(row[:-1] for row in table))]
    lines = ["  ".join([*map(str.ljust, row[:-1], widths), row[-1]]).rstrip() for row in table]
    (out or sys.stdout).write("\n".join(lines) + "\n")
