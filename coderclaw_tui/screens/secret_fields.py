"""What the secret-entry steps (a pasted token, an API key) share: the profile-name field with the line that says
which id it makes, and the live line under a secret field."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label, Static

from coderclaw_tui.core.secret_input import slug_profile_name
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField


def compose_profile_name(initial: str = "") -> ComposeResult:
    """The name field of the secret-entry steps, and the line under it saying which id it makes."""
    yield Label("Profile name (blank = default)")
    yield TextField(value=initial, placeholder="default", id="profile-name")
    yield Plain("", id="profile-preview", classes="hint")


def show_profile_preview(screen: Screen[Any], provider_id: str, name: str) -> None:
    screen.query_one("#profile-preview", Static).update(
        f"Saved as {provider_id}:{slug_profile_name(name)} after you confirm."
    )


def show_problem(widget: Static, problem: str | None, ok_text: str) -> None:
    """The live line under a secret field: what is wrong, or a masked confirmation of what was read."""
    widget.set_class(problem is not None, "-error")
    widget.set_class(problem is None and bool(ok_text), "-ok")
    widget.update(problem or ok_text)
