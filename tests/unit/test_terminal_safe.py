"""The full-screen app's last guard (terminal_safe): every character `printable` would escape is removed from
rendered lines, and removing it never changes a line's width (Rich lays those characters out as zero cells)."""

from __future__ import annotations

import io
import json
import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from coderclaw_tui.commands.output import JSON_UNSAFE, UNSAFE, print_json
from coderclaw_tui.terminal_safe import TERMINAL_SAFE, ZERO_WIDTH_JOINER, terminal_safe_text

BLACK = Color(0, 0, 0)
UNSAFE_CHARS = [chr(c) for c in range(0x110000) if re.fullmatch(UNSAFE, chr(c))]


def test_every_unsafe_character_goes_and_the_width_stays() -> None:
    for ch in UNSAFE_CHARS:
        text = f"a{ch}b"
        safe = terminal_safe_text(text)
        assert not re.search(UNSAFE, safe.replace(ZERO_WIDTH_JOINER, "")), repr(ch)
        assert cell_len(safe) == cell_len(text), f"{ch!r}: {cell_len(text)} cells became {cell_len(safe)}"


def test_plain_lines_pass_as_they_are() -> None:
    line = [Segment("openai:work  ", Style(bold=True)), Segment("user@example.test  ok  in 5m"), Segment("")]
    assert TERMINAL_SAFE.apply(line, BLACK) is line


def test_hostile_segments_are_cleaned_and_keep_their_style() -> None:
    bold = Style(bold=True)
    line = [
        Segment("id ", bold),
        Segment("\x1b]52;c;cHduZWQ=\x07", bold),
        Segment("\x1b\u202e", bold),  # nothing left: the segment goes
        Segment("x\x1b[2Jy\x9b31mz\u202eq", None),
        Segment("", None, [(1,)]),  # a control segment (cursor move) is Textual's own, untouched
    ]
    assert TERMINAL_SAFE.apply(line, BLACK) == [
        Segment("id ", bold),
        Segment("]52;c;cHduZWQ=", bold),
        Segment("x[2Jy31mzq", None),
        Segment("", None, [(1,)]),
    ]


def test_json_output_escapes_what_would_drive_a_terminal_and_nothing_else() -> None:
    """`--json` output skips its escaping pattern for printable text, which is sound only while every character
    the pattern escapes is one `str.isprintable` refuses; the output then parses back to the exact values."""
    json_unsafe = [chr(c) for c in range(0x110000) if re.fullmatch(JSON_UNSAFE, chr(c))]
    assert json_unsafe and not any(ch.isprintable() for ch in json_unsafe)
    for ch in json_unsafe:
        values = {"mask": "sk-…wxyz", "id": f"a{ch}b", "line\n": "tab\t"}
        out = io.StringIO()
        print_json(values, out)
        assert ch not in out.getvalue(), repr(ch)
        assert json.loads(out.getvalue()) == values
    printable_only = {"mask": "sk-…wxyz", "name": "Zoë"}
    out = io.StringIO()
    print_json(printable_only, out)
    assert out.getvalue() == json.dumps(printable_only, indent=2, ensure_ascii=False) + "\n"
