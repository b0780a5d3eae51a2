"""A text field that keeps a multi-line paste whole: Textual's Input keeps only the first line, which silently
cuts a setup-token or a redirect URL that a terminal wrapped (openclaw#5295)."""

from __future__ import annotations

from textual import events
from textual.message import Message

from coderclaw_tui.widgets.text_field import TextField


def join_wrapped(text: str) -> str:
    """Lines rejoined with the indentation around each break dropped, as a wrapped secret or URL needs."""
    return "".join(line.strip() for line in text.splitlines())


class PasteInput(TextField):
    """Inserts a paste with its line breaks removed and posts `PasteInput.Pasted` with the raw text and what the
    field held before, so a caller that parses pastes itself (the redirect URL field) can act on exactly what was
    pasted, or on the whole field when the paste finishes what was already there."""

    class Pasted(Message):
        def __init__(self, paste_input: PasteInput, text: str, before: str) -> None:
            super().__init__()
            self.paste_input = paste_input
            self.text = text
            self.before = before
            """The field's value just before this paste landed."""

        @property
        def control(self) -> PasteInput:
            return self.paste_input

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own handler would insert the first line again
        if not event.text:
            return
        before = self.value
        joined = join_wrapped(event.text) if "\n" in event.text or "\r" in event.text else event.text
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(joined)
        else:
            self.replace(joined, *selection)
        self.post_message(self.Pasted(self, event.text, before))
