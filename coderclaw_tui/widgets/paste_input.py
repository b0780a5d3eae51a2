"""An Input that keeps a multi-line paste whole: Textual's own keeps only the first line, which silently cuts
a setup-token or a redirect URL that a terminal wrapped (openclaw#5295)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.message import Message
from textual.widgets import Input


def join_wrapped(text: str) -> str:
    """Lines rejoined with the indentation around each break dropped, as a wrapped secret or URL needs."""
    return "".join(line.strip() for line in text.splitlines())


class PasteInput(Input):
    """Inserts a paste with its line breaks removed and posts `PasteInput.Pasted` with the raw text, so a
    caller that parses pastes itself (the redirect URL field) can act on exactly what was pasted.

    `command_keys` stay the screen's keys while the field is empty: a field that is focused so a paste lands
    in it should not swallow the keys that copy or open the URL. Once anything is typed, they type.
    """

    def __init__(self, *args: Any, command_keys: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_keys = frozenset(command_keys)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character is not None and character in self.command_keys and not self.value:
            return False
        return super().check_consume_key(key, character)

    class Pasted(Message):
        def __init__(self, paste_input: PasteInput, text: str) -> None:
            super().__init__()
            self.paste_input = paste_input
            self.text = text

        @property
        def control(self) -> PasteInput:
            return self.paste_input

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own handler would insert the first line again
        if not event.text:
            return
        joined = join_wrapped(event.text) if "\n" in event.text or "\r" in event.text else event.text
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(joined)
        else:
            self.replace(joined, *selection)
        self.post_message(self.Pasted(self, event.text))
