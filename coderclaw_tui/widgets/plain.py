"""Text that is shown exactly as given."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class Plain(Static):
    """A Static that never reads markup: paths, URLs, ids and error messages can hold `[` and must show as-is."""

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        super().__init__(content, markup=False, **kwargs)
