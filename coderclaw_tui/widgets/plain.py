"""Text that is shown exactly as given."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class Plain(Static):
    """A Static that never reads markup: paths, URLs, ids and error messages can hold `[` and must show as-is."""

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        super().__init__(content, markup=False, **kwargs)


def fold_path(path: str, width: int) -> str:
    """`path` over as many lines as it needs, each ending at a `/`, never inside a name (unless one name alone is
    wider than the line)."""
    *dirs, name = path.split("/")
    lines: list[str] = []
    line = ""
    for segment in [f"{d}/" for d in dirs] + [name]:
        if line and len(line) + len(segment) > width:
            lines.append(line)
            line = segment
        else:
            line += segment
    return "\n".join([*lines, line])
