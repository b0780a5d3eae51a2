"""The last steps of painting, for widgets that keep their own painted lines.

Textual paints a widget's lines through its styles cache (borders, padding, tint), and on every frame it asks
every widget on the screen for all of its lines, changed or not: a kept line costs a few microseconds there, a
changed one about sixty. The profile browser's table and details pane draw no border, padding or tint of their
own and keep each painted line themselves, so they skip that cache: what is left to do to their lines is what
Textual does last, here.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def finished_lines(widget: Widget, lines: Sequence[Strip], crop: Region, background: Color) -> list[Strip]:
    """`lines` (the rows of `crop`, at full width) through the app's line filters, cut to `crop`'s columns. A
    Strip keeps what each filter made of it, so a kept line costs a lookup per filter."""
    finished = list(lines)
    for line_filter in widget.get_line_filters():
        finished = [line.apply_filter(line_filter, background) for line in finished]
    start, end = crop.column_span
    return [line.crop(start, end) for line in finished]
