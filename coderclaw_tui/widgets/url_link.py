"""A URL shown whole, however many lines it wraps over, and clickable from any of them."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.style import Style
from textual.widgets import Static


class UrlLink(Static, can_focus=True):
    """Every wrapped line carries the same OSC 8 hyperlink to the full URL, so a terminal's own link click works
    on any line; Enter or a mouse click posts `UrlLink.Activated` for the app to open it its own way."""

    BINDINGS = [Binding("enter", "activate", "Open URL", id="open-url")]

    class Activated(Message):
        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    def __init__(self, url: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.url = ""
        self.can_open = True
        """False where opening cannot reach the user (a remote session): Enter is then left to the screen."""
        self.set_url(url)

    def set_url(self, url: str) -> None:
        """Shown only while it holds a URL: an empty box would offer nothing to open or copy."""
        self.url = url
        self.display = bool(url)
        self.update(Content(url).stylize(Style(link=url)) if url else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "activate":
            return self.can_open and bool(self.url)
        return True

    def on_click(self) -> None:
        self.action_activate()

    def action_activate(self) -> None:
        if self.url and self.can_open:
            self.post_message(self.Activated(self.url))
