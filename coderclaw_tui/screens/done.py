"""The last screen: what was saved, and what to run next."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content

from coderclaw_tui.flows.onboarding import SavedLogin, Step
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.widgets.plain import Plain

if TYPE_CHECKING:
    from coderclaw_tui.services import Services


class DoneScreen(WizardScreen[bool]):
    """Ids: `#saved`, `#next-steps`. Enter, Esc or q leaves (False); `p` opens the profile browser (True)."""

    STEP = Step.DONE
    CSS_PATH = "../styles/done.tcss"
    BINDINGS = [
        Binding("enter", "finish", "Finish", id="finish"),
        Binding("escape", "finish", "Finish", show=False),
        Binding("p", "profiles", "Profiles", id="profiles", tooltip="Browse, refresh and reorder every profile"),
    ]

    def __init__(self, services: Services, saved: SavedLogin, *, offer_profiles: bool = False) -> None:
        super().__init__(services, can_go_back=False)
        self.saved = saved
        self.offer_profiles = offer_profiles

    def heading(self) -> str:
        return "All set"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "profiles":
            return self.offer_profiles
        return super().check_action(action, parameters)

    def action_profiles(self) -> None:
        self.dismiss(True)

    def compose_body(self) -> ComposeResult:
        yield Plain(self._summary(), id="saved")
        agent_flag = "" if self.saved.agent_id == "main" else f" --agent {self.saved.agent_id}"
        command, state_dir = self.services.command, self.services.state_dir
        status, profiles = f"{command} models status{agent_flag}", f"{command} profiles{agent_flag}"
        if state_dir is not None:  # a bare command would look in the default state dir
            status += f" --state-dir {shlex.quote(state_dir)}"
            profiles += f" --state-dir {shlex.quote(state_dir)}"
        yield Plain(
            Content("\n").join(
                [
                    Content.styled("What now", "bold"),
                    Content.assemble(("  " + status, "bold")),
                    Content.styled("      every profile, its state and expiry", "dim"),
                    Content.assemble(("  " + profiles, "bold")),
                    Content.styled("      browse, refresh, reorder and remove them", "dim"),
                ]
            ),
            id="next-steps",
        )

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
