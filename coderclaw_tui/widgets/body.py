"""The scrolling part of a wizard step."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll


class Body(VerticalScroll, inherit_bindings=False, can_focus=False):
    """Scrolls when the terminal is too small, but takes no arrow keys: Up and Down belong to the screen's list
    (a focused filter field passes them up through here). PageUp/PageDown and the mouse still scroll it."""

    BINDINGS = [
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]
