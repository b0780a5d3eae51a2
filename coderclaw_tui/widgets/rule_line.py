"""A horizontal rule that keeps its one painted line.

Textual asks every widget on the screen for its lines on every frame, through its style cache; a bordered widget
standing in for a rule cost as much there, on each cursor move in the profile browser, as the details pane's
changed lines. This one hands back the line it kept (own_lines).
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from coderclaw_tui.widgets.own_lines import FinishedLines


class RuleLine(Widget):
    """A line of `─` across the widget's width, in its colour (as a solid top border draws it)."""

    DEFAULT_CSS = "RuleLine { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._finished = FinishedLines()
        self._painted: tuple[int, Strip, Color] | None = None
        """The line as last painted, with the width and the background it was painted for."""

    def notify_style_update(self) -> None:
        self._painted = None
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.size.width
        if self._painted is None or self._painted[0] != width:
            line = Strip([Segment("─" * width, self.rich_style)], width)
            self._painted = (width, line, self.background_colors[1])
        _, line, background = self._painted
        return self._finished(self, [line] * crop.height, crop, background)
