"""A live countdown that reads an injected clock, so a test that freezes the clock freezes what it shows."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.widgets import Static

from coderclaw_tui.core.credentials import duration_step, format_duration

SOON_MS = 60_000


def format_left(ms: int) -> str:
    """`m:ss` under an hour, where the seconds matter; the compact `5h 3m` / `9d 4h` beyond."""
    if ms >= 3_600_000:
        return format_duration(ms)
    seconds = max(0, ms // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def left_step(ms: int) -> int:
    """How far apart (ms) the texts `format_left` gives are around `ms`: a second under an hour."""
    return duration_step(ms) if ms >= 3_600_000 else 1000


class Countdown(Static):
    """`template` gets `{left}`; past the deadline it shows `expired` and posts `Countdown.Expired` once."""

    class Expired(Message):
        """The deadline passed while the countdown was on screen."""

    def __init__(
        self,
        clock: Callable[[], float],
        deadline_ms: int | None = None,
        *,
        template: str = "expires in {left}",
        expired: str = "expired",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._clock = clock
        self._deadline_ms = deadline_ms
        self._template = template
        self._expired_text = expired
        self._announced = False

    @property
    def deadline_ms(self) -> int | None:
        return self._deadline_ms

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)
        self.tick()

    def set_deadline(self, deadline_ms: int | None) -> None:
        self._deadline_ms = deadline_ms
        self._announced = False
        self.tick()

    def tick(self) -> None:
        self.display = self._deadline_ms is not None
        if self._deadline_ms is None:
            return
        left = self._deadline_ms - int(self._clock() * 1000)
        self.set_class(0 < left <= SOON_MS, "-soon")
        self.set_class(left <= 0, "-expired")
        if left > 0:
            self.update(self._template.format(left=format_left(left)))
            return
        self.update(self._expired_text)
        if not self._announced:
            self._announced = True
            self.post_message(self.Expired())
