"""A Footer that rebuilds only when what it shows changes.

Textual's Footer rebuilds itself (its dozen keys unmounted and mounted again, about 30 ms) once for every
`refresh_bindings`, including several queued before one frame and those after which it would show the same
keys (a reload, a focus change). In the profile browser that was six rebuilds right after the table first
showed, and the first keys pressed waited behind them.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    BLANK = True
    """The keys paint the Footer; its own lines are its background, painted in one step (see `blank`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signalled: tuple[object, ...] | None = None
        self._composed: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        """A rebuild is asked for only when the keys differ from those of the last one asked for."""
        shown = shown_keys(screen)
        if shown == self._signalled:
            return
        if screen.app.app_focus:  # without focus the Footer does not rebuild: it must once focus is back
            self._signalled = shown
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        """Rebuilt only when what it would show differs from what it shows, worked out as it rebuilds: of
        several rebuilds queued before one frame the first does the work, and a change that leaves the keys
        as they were costs nothing."""
        shown = (self.compact, self.show_command_palette, self.combine_groups, shown_keys(self.screen))
        if shown == self._composed:
            return
        self._composed = shown
        await super().recompose()


def shown_keys(screen: Screen) -> tuple[object, ...]:
    """What a Footer shows of `screen`'s bindings: each shown key with its binding, whether it is enabled and
    its tooltip (the command palette's key is shown too)."""
    palette = screen.app.COMMAND_PALETTE_BINDING
    return tuple(
        (key, active.binding, active.enabled, active.tooltip)
        for key, active in screen.active_bindings.items()
        if active.binding.show or key == palette
    )
