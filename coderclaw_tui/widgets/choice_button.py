"""A dialog's answer button."""

from __future__ import annotations

from textual.widgets import Button


class ChoiceButton(Button):
    """A Button that leaves Enter to its screen's `enter` binding, so the Footer says what Enter does instead of
    nothing (Button's own Enter binding is hidden and would shadow it). A click still presses it."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "press":
            return False
        return super().check_action(action, parameters)
