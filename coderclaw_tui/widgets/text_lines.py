"""Plain text that is rewritten often and repaints only the lines that changed.

The profile browser's details pane is rewritten on every cursor move. As a Static, each move laid out and
wrapped all of its text again and repainted every line (half the cost of a keypress); most of its lines (the
store, the order, the hint) stay the same from one row to the next.
"""

from __future__ import annotations

from itertools import zip_longest

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from coderclaw_tui.commands.output import printable_lines


class TextLines(Widget):
    """Shows `text` as Plain would (escaped, wrapped at words to the width), set with `update`."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self._lines: list[str] = []
        self._width = 0
        self._style: Style | None = None

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
            changed = [y for y, (old, new) in enumerate(zip_longest(self._lines, lines)) if old != new]
            if changed:
                self.refresh(*(Region(0, y, width, 1) for y in changed))
        self._lines, self._width = lines, width

    def notify_style_update(self) -> None:
        self._style = None
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The style is worked out once per change of style, not once per line or paint: it walks every
        ancestor's styles."""
        if self._style is None:
            self._style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        style = self._style or Style.null()
        text = self._lines[y] if y < len(self._lines) else ""
        return Strip([Segment(text, style)], cell_len(text)).crop_extend(0, self.size.width, style)


def wrap(text: str, width: int) -> list[str]:
    """`text`'s lines, each wrapped at words to `width` as Textual wraps a Static's (only long lines need it)."""
    lines: list[str] = []
    for line in text.split("\n"):
        if width > 0 and cell_len(line) > width:
            lines.extend(part.plain for part in Content(line).wrap(width))
        else:
            lines.append(line)
    return lines
