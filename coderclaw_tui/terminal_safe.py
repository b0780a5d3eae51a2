"""The last guard between the full-screen app and the terminal: no control, format or bidi character in any text
a widget renders reaches the terminal.

Screens show strings read from stores, the config and servers (profile ids, emails, agent names, device codes).
Rich drops BEL and CR from text but passes ESC, C1 controls and bidi overrides through, so an email holding
`ESC ] 52 ; c ; …` would write the user's clipboard and one holding `ESC ] 0 ; …` would retitle their terminal.
Screens show such strings escaped where they put them (`printable`); this filter, which Textual applies to
every rendered line of every widget, removes whatever one of them missed. Rich counts these characters as zero
cells wide, so removing them keeps every line exactly as wide as laid out; a lone surrogate (one cell) becomes
U+FFFD (one cell), and the zero-width joiner stays (below).
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from coderclaw_tui.commands.output import UNSAFE

ZERO_WIDTH_JOINER = "\u200d"
"""Kept: Rich lays out the characters around it as one cell (an emoji sequence), so removing it would widen the
line, and a terminal does nothing with it. (`printable` still shows it escaped.)"""


def _replacement(match: re.Match[str]) -> str:
    char = match.group()
    if char == ZERO_WIDTH_JOINER:
        return char
    return "\ufffd" if "\ud800" <= char <= "\udfff" else ""


def terminal_safe_text(text: str) -> str:
    """`text` without the characters a terminal would act on, each line as many cells wide as before."""
    return re.sub(UNSAFE, _replacement, text)  # compiled on first need, and kept by re: most runs never need it


class TerminalSafe(LineFilter):
    """Removes terminal-driving characters from rendered segments (styles and control segments untouched)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.text.isprintable() for segment in segments):  # isprintable refuses every UNSAFE character
            return segments
        safe = []
        for segment in segments:
            if segment.text.isprintable():
                safe.append(segment)
                continue
            text = terminal_safe_text(segment.text)
            if text:  # Textual treats an empty, non-control segment as invalid
                safe.append(Segment(text, segment.style, segment.control))
        return safe


TERMINAL_SAFE = TerminalSafe()
