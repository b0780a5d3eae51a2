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


class FinishedLines:
    """A widget's lines through the app's line filters, cut to the crop's columns; one per widget.

    What it made of each line is kept, by the line, while the filters, the background and the columns stay the
    same: a frame hands in mostly the lines of the frame before, and finishing a line again (a lookup in the
    Strip's caches per filter, and one for the crop) cost more than all the rest of handing it back."""

    def __init__(self) -> None:
        self._for: tuple[object, ...] = ()
        self._made: dict[int, tuple[Strip, Strip]] = {}
        """By the id of a line handed in: that line (so its id stays its own) and what was made of it."""

    def __call__(self, widget: Widget, lines: Sequence[Strip], crop: Region, background: Color) -> list[Strip]:
        """`lines` (the rows of `crop`, at full width) as the terminal is to get them."""
        filters = tuple(widget.get_line_filters())
        start, end = crop.column_span
        context = (filters, background, start, end)
        if context != self._for:
            self._for, self._made = context, {}
        made, finished = self._made, []
        for line in lines:
            kept = made.get(id(line))
            if kept is None or kept[0] is not line:
                segments = list(line)
                for line_filter in filters:  # on the segments: a Strip per filter would start seven caches each
                    segments = line_filter.apply(segments, background)
                kept = made[id(line)] = (line, Strip(segments, line.cell_length).crop(start, end))
            finished.append(kept[1])
        if len(made) > 2 * len(lines):  # lines no longer handed in, let go
            self._made = {id(line): made[id(line)] for line in lines}
        return finished
