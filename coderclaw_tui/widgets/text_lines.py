"""Plain text that is rewritten often and repaints only the lines that changed, as far as their text goes.

The profile browser's details pane is rewritten on every cursor move. As a Static, each move laid out and
wrapped all of its text again and repainted every line (half the cost of a keypress); most of its lines (the
store, the order, the hint) stay the same from one row to the next. Only the changed part of a line is marked
for repainting (as far as its text goes, not the pane's width), so fewer bytes go to the terminal.

Each painted line is kept and handed to Textual as it is (own_lines), with the padding either side; no border or
padding above and below, then.
"""

from __future__ import annotations

from itertools import zip_longest

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from coderclaw_tui.commands.output import printable_lines
from coderclaw_tui.widgets.own_lines import FinishedLines


class TextLines(Widget):
    """Shows `text` as Plain would (escaped, wrapped at words to the width), set with `update`. It draws its
    padding either side, but no border and no padding above or below: put those on a container around it."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._finished = FinishedLines()
        self.text = text
        self._lines: list[str] = []
        self._width = 0
        self._paint_for = (0, 0, 0)
        """What the kept lines were painted for: the width and the padding either side."""
        self._style: Style | None = None
        self._background = Color(0, 0, 0)
        self._painted: dict[int, tuple[str, Strip]] = {}
        """Each line's last painted strip, with the text it was painted for."""

    @property
    def content(self) -> str:
        """What is shown, as given (named as Static names it)."""
        return self.text

    def update(self, text: str) -> None:
        self.text = text
        self._rewrap(repaint_all=False)

    def on_resize(self) -> None:
        self._rewrap(repaint_all=True)

    def _rewrap(self, *, repaint_all: bool) -> None:
        width = self.size.width
        lines = wrap(printable_lines(self.text), width)  # what a store or config holds, shown escaped
        if repaint_all or width != self._width:
            self.refresh()
        else:
            changed = [
                Region(0, y, max(cell_len(old or ""), cell_len(new or "")), 1)
                for y, (old, new) in enumerate(zip_longest(self._lines, lines))
                if old != new
            ]
            if changed:
                self.refresh(*changed)
        self._lines, self._width = lines, width

    def notify_style_update(self) -> None:
        self._style = None
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The style is worked out once per change of style, not once per line or paint: it walks every
        ancestor's styles. A line is painted again only when its text, the width or the style changed."""
        padding = self.styles.padding
        paint_for = (self.size.width, padding.left, padding.right)
        if self._style is None or self._paint_for != paint_for:
            self._style, self._background = self.rich_style, self.background_colors[1]
            self._paint_for = paint_for
            self._painted.clear()
        lines = []
        for y in crop.line_range:
            text = self._lines[y] if y < len(self._lines) else ""
            kept = self._painted.get(y)
            if kept is None or kept[0] != text:
                kept = self._painted[y] = (text, self.render_line(y))
            lines.append(kept[1])
        return self._finished(self, lines, crop, self._background)

    def render_line(self, y: int) -> Strip:
        """Line `y` at the full width, its padding either side included."""
        style = self._style or Style.null()
        width, left, right = self._paint_for
        text = self._lines[y] if y < len(self._lines) else ""
        line = " " * left + set_cell_size(text, width) + " " * right  # wrapped to the width: cut only a wide char
        return Strip([Segment(line, style)], left + width + right)


def wrap(text: str, width: int) -> list[str]:
    """`text`'s lines, each wrapped at words to `width` as Textual wraps a Static's (only long lines need it)."""
    lines: list[str] = []
    for line in text.split("\n"):
        if width > 0 and cell_len(line) > width:
            lines.extend(part.plain for part in Content(line).wrap(width))
        else:
            lines.append(line)
    return lines
