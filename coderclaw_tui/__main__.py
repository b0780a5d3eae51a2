"""`python -m coderclaw_tui` is the same as the `coderclaw` command."""

from coderclaw_tui.cli import console

console()
