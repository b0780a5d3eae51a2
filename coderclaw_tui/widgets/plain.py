"""Text that is shown exactly as given."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from coderclaw_tui.commands.output import printable_lines


class Plain(Static):
    """A Static that never reads markup: paths, URLs, ids and error messages can hold `[` and must show as-is.
    Text given as a string is shown line by line as `printable` shows it (an ESC read from a store or a server
    as `\\x1b`), as the scriptable commands show it."""

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        super().__init__(_escaped(content), markup=False, **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(_escaped(content), layout=layout)


def _escaped(content: Any) -> Any:
    """A string's lines each escaped (its line breaks are the caller's); anything else, built here, as it is."""
    return printable_lines(content) if isinstance(content, str) else content


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
