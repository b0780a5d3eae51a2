"""The wizard's list of choices."""

from __future__ import annotations

from textual.widgets import OptionList


class ChoiceList(OptionList):
    """An OptionList that leaves Enter to its screen's `enter` binding, so the Footer says what Enter does
    ("Choose") instead of nothing (OptionList's own Enter binding is hidden and would shadow it). A mouse click
    still selects."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select":
            return False
        return super().check_action(action, parameters)
