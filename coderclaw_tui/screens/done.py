"""The last screen: what was saved, and what to run next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer

from coderclaw_tui.flows.onboarding import SavedLogin, Step
from coderclaw_tui.screens.base import trail
from coderclaw_tui.widgets.plain import Plain


class DoneScreen(Screen[bool]):
    """Ids: `#saved`, `#next-steps`. Enter or q leaves (False); `p` opens the profile browser (True)."""

    CSS_PATH = "../styles/done.tcss"
    BINDINGS = [
        Binding("enter", "finish", "Finish", id="finish"),
        Binding("p", "profiles", "Profiles", id="profiles", tooltip="Browse, refresh and reorder every profile"),
    ]

    def __init__(self, saved: SavedLogin, *, offer_profiles: bool = False) -> None:
        super().__init__()
        self.saved = saved
        self.offer_profiles = offer_profiles

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.offer_profiles if action == "profiles" else True

    def action_profiles(self) -> None:
        self.dismiss(True)

    def compose(self) -> ComposeResult:
        yield Plain(trail(Step.DONE), id="trail")
        yield Plain("All set", classes="heading")
        yield Plain(self._summary(), id="saved")
        agent_flag = "" if self.saved.agent_id == "main" else f" --agent {self.saved.agent_id}"
        yield Plain(
            Content("\n").join(
                [
                    Content.styled("What now", "bold"),
                    Content.assemble(
                        ("  coderclaw models status" + agent_flag, "bold"), "   every profile, its state and expiry"
                    ),
                    Content.assemble(
                        ("  coderclaw profiles" + agent_flag, "bold"),
                        "        browse, refresh, reorder and remove profiles",
                    ),
                ]
            ),
            id="next-steps",
        )
        yield Footer()

    def _summary(self) -> str:
        saved = self.saved
        lines = []
        if saved.created_agent:
            lines.append(f"Added agent {saved.agent_id} to {saved.config_path}.")
        if saved.profile_id:
            lines.append(f"Saved {saved.profile_id} to {saved.store_path}.")
            lines.append(f"Warning: {saved.config_warning}" if saved.config_warning else f"Recorded it in {saved.config_path}.")
        else:
            lines.append(
                f"Agent {saved.agent_id} reads main's profiles; "
                f"log it in separately any time with --agent {saved.agent_id}."
            )
        return "\n".join(lines)

    def action_finish(self) -> None:
        self.dismiss(False)
