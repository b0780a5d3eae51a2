"""The wizard's text field: every printable key types, and Enter belongs to the screen."""

from __future__ import annotations

from textual.widgets import Input


class TextField(Input):
    """An Input that leaves Enter to its screen's `enter` binding, so the Footer shows what Enter does there
    ("Save", "Submit", ...) instead of nothing (Input's own Enter binding is hidden and would shadow it).

    The key still passes through this field's queue first, so Enter typed right after a burst of text acts on the
    whole text."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return False
        return super().check_action(action, parameters)
