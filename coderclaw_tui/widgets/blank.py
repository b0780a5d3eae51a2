"""Containers that paint nothing of their own.

Each frame, Textual repaints every widget whose container overlaps what changed, line by line through its style
cache, even those that did not change: in the profile browser a cursor move repainted the title bar, the status
line and the Footer. A container marked BLANK paints its lines in one step, and what it holds is repainted only
when what changed is inside it.
"""

from __future__ import annotations

from textual.containers import Horizontal, Vertical


class BlankRow(Horizontal):
    """A Horizontal with no background, border or padding of its own."""

    BLANK = True


class BlankColumn(Vertical):
    """A Vertical with no background, border or padding of its own."""

    BLANK = True
