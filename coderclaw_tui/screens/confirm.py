"""The confirm step: exactly what will be written where, and the only place the wizard writes."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from coderclaw_tui import paths
from coderclaw_tui.core.credentials import mask_secret
from coderclaw_tui.core.errors import CoderclawError, StoreCorrupt
from coderclaw_tui.core.logins import ProfileCollision
from coderclaw_tui.flows.confirm_plan import ConfirmPlan, commit, plan_confirm
from coderclaw_tui.flows.events import LoginResult
from coderclaw_tui.flows.onboarding import AgentChoice, SavedLogin, Step
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.screens.dialogs import CorruptStoreDialog
from coderclaw_tui.widgets.countdown import Countdown
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    from coderclaw_tui.services import Services

SECRET_FIELDS = ("access", "refresh", "token", "key")


def masked_record(record: dict[str, Any]) -> str:
    """The credential as it will be stored, one line, with every secret masked."""
    shown = {k: mask_secret(v) if k in SECRET_FIELDS and isinstance(v, str) else v for k, v in record.items()}
    return json.dumps(shown, ensure_ascii=False)


def patch_paths(patch: dict[str, Any], depth: int = 3) -> list[str]:
    """Where a config patch writes, as dotted paths cut at `depth` (no values: a custom key may be among them)."""
    found: list[str] = []
    for key, value in patch.items():
        if isinstance(value, dict) and value and depth > 1:
            found += [f"{key}.{rest}" for rest in patch_paths(value, depth - 1)]
        else:
            found.append(key)
    return found


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Give the profile a name (the part after the colon)."
    if any(ch.isspace() for ch in name.strip()):
        return "Profile names cannot contain spaces."
    return None


class ConfirmScreen(WizardScreen[SavedLogin]):
    """Ids: `#identity`, `#credential-expiry` (Countdown), `#profile-name` (Input: the name after
    `<provider>:`), `#collision`, `#plan-store` (path, masked record) and `#plan-config` (path, entries),
    `#save-error`.
    Enter saves (in a worker thread) and dismisses with the `SavedLogin`."""

    STEP = Step.CONFIRM
    CSS_PATH = "../styles/confirm.tcss"
    BINDINGS = [Binding("enter", "save", "Save", id="save", tooltip="Write exactly what is shown")]

    def __init__(self, services: Services, agent: AgentChoice, login: LoginResult | None) -> None:
        super().__init__(services)
        self.agent = agent
        self.login = login
        self.plan: ConfirmPlan | None = None
        self.saving = False
        self.asked_move_aside = False

    def heading(self) -> str:
        return "Check, then save"

    def compose_body(self) -> ComposeResult:
        yield Plain(self._identity_text(), id="identity")
        yield Countdown(
            self.services.clock,
            id="credential-expiry",
            template=self._expiry_template(),
            expired="The access token has already expired.",
        )
        if self.names_profile:
            yield Label("Profile id")
            with Horizontal(id="profile-row"):
                yield Plain(f"{self.login.provider}:", id="profile-prefix")
                yield TextField(value=self.login.suggested_profile_id.split(":", 1)[1], id="profile-name")
        yield Plain("", id="collision")
        with Vertical(id="plan"):
            yield Plain("What Enter will write", classes="plan-title")
            with Horizontal(classes="plan-row"):
                yield Plain("Store", classes="plan-label")
                yield Plain("", id="plan-store", classes="plan-value")
            with Horizontal(classes="plan-row"):
                yield Plain("Config", classes="plan-label")
                yield Plain("", id="plan-config", classes="plan-value")
        yield Plain("", id="save-error", classes="problem")

    def _identity_text(self) -> str:
        agent = f"agent {self.agent.agent_id}" + (" (new)" if self.agent.create else "")
        if self.login is None:
            return f"Adding {agent}, which reads main's profiles through; no login is stored for it."
        kind = {"oauth": "OAuth login", "token": "token", "api_key": "API key"}.get(
            str(self.login.credential.get("type")), "credential"
        )
        who = f" as {self.login.identity}" if self.login.identity else ""
        note = f"\n{self.login.note}" if self.login.note else ""
        return f"{self.login.provider} {kind}{who}, for {agent}.{note}"

    def _expiry_template(self) -> str:
        if self.login is not None and self.login.credential.get("type") == "oauth":
            return "The access token expires in {left}; coderclaw refreshes it when needed."
        return "This token expires in {left} and cannot be refreshed."

    def on_mount(self) -> None:
        if self.login is not None:
            self.query_one("#credential-expiry", Countdown).set_deadline(self.login.expires_ms)
        if self.names_profile:
            self.query_one("#profile-name", Input).focus()
        self.replan()

    @property
    def names_profile(self) -> bool:
        """A login whose secret goes to the store gets a profile id to name (a custom provider's does not)."""
        return self.login is not None and self.login.saves_profile

    @property
    def requested_id(self) -> str | None:
        if self.login is None:
            return None
        if not self.login.saves_profile:
            return self.login.suggested_profile_id
        return f"{self.login.provider}:{self.query_one('#profile-name', Input).value.strip()}"

    def replan(self) -> None:
        """Recompute (read-only) what saving would write, after any change to the name or the store."""
        error = self.query_one("#save-error", Static)
        self.plan = None
        if self.names_profile:
            problem = name_problem(self.query_one("#profile-name", Input).value)
            if problem:
                error.update(problem)
                self._render_plan()
                return
        try:
            self.plan = plan_confirm(self.services.sink, self.agent, self.login, self.requested_id)
        except StoreCorrupt as exc:
            self._offer_move_aside(exc)
        except CoderclawError as exc:
            error.update(exc.message)
        except OSError as exc:
            error.update(
                f"Could not read {exc.filename or 'the auth store'} ({exc.strerror}); nothing can be saved there."
            )
        else:
            error.update("")
        self._render_plan()

    def _render_plan(self) -> None:
        plan = self.plan
        collision = self.query_one("#collision", Static)
        collision.update("")
        self.query_one("#plan").display = plan is not None
        self.refresh_bindings()
        if plan is None:
            return
        store: list[str] = [str(plan.store_path)]
        if plan.login is not None and plan.placement is not None:
            placement = plan.placement
            if placement.collision:
                collision.update(
                    f"{self.requested_id} already holds {placement.collision}; it is kept, and this login will be "
                    f"saved as {placement.profile_id} (or type another name)."
                )
            if placement.requested_id:
                effect = (
                    f"updates the same account's {placement.profile_id} in place, not a new {placement.requested_id}"
                )
            elif not placement.replaces:
                effect = "a new profile"
            elif plan.login.identity:
                effect = "updates the same identity's profile in place"
            else:  # a key or token carries no identity: say what happens, not that it is the same
                effect = "replaces what this id holds now, a credential of the same kind"
            if plan.login.saves_profile:
                store += [f'profiles["{placement.profile_id}"] = {masked_record(plan.login.credential)}', f"({effect})"]
            else:
                store.append("nothing: CoderClaw keeps this provider's key in the config")
        else:
            store.append("an empty store of its own: the agent reads main's profiles through, nothing is copied")
        config: list[str] = [str(plan.config_path)]
        if plan.agent_entry is not None:
            config.append(f"agents.list[] += {json.dumps(plan.agent_entry, ensure_ascii=False)}")
        login = plan.login
        if login is not None and login.config_patch:
            config += [f"{path} (merged)" for path in patch_paths(login.config_patch)]
        if login is not None and login.env_file is not None:
            config.append(f"{paths.env_file_path(self.services.env)}: {login.env_file[0]}={mask_secret(login.env_file[1])}")
        if plan.profile_entry is not None and plan.placement is not None and (login is None or login.saves_profile):
            entry = json.dumps(plan.profile_entry, ensure_ascii=False)
            config.append(f'auth.profiles["{plan.placement.profile_id}"] = {entry}')
            if plan.moves_to_front and plan.login is not None:
                config.append(f'auth.order["{plan.login.provider}"]: {plan.placement.profile_id} moves to the front')
        self.query_one("#plan-store", Static).update("\n".join(store))
        self.query_one("#plan-config", Static).update("\n".join(config))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.replan()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.plan is not None and not self.saving
        return super().check_action(action, parameters)

    def action_save(self) -> None:
        if self.plan is None or self.saving:
            return
        self.saving = True
        self.refresh_bindings()
        self.save(self.plan)

    @work(exclusive=True, exit_on_error=False, group="save")
    async def save(self, plan: ConfirmPlan) -> None:
        error = self.query_one("#save-error", Static)
        try:
            saved = await asyncio.to_thread(commit, self.services.sink, plan)
        except ProfileCollision as exc:
            self.saving = False
            name = self.query_one("#profile-name", Input)
            with name.prevent(Input.Changed):
                name.value = exc.free_id.split(":", 1)[1]
            self.replan()
            error.update(
                f"Another program saved {exc.profile_id} meanwhile; review the new name and press Enter again."
            )
            return
        except StoreCorrupt as exc:
            self.saving = False
            self._offer_move_aside(exc)
            return
        except (CoderclawError, OSError) as exc:
            self.saving = False
            error.update(getattr(exc, "message", None) or f"Could not write ({exc}); nothing was saved.")
            self.refresh_bindings()
            return
        self.dismiss(saved)

    def _offer_move_aside(self, problem: StoreCorrupt) -> None:
        """Ask once; after a "no" the message stays and nothing can be saved."""
        self.query_one("#save-error", Static).update(problem.message)
        if self.asked_move_aside:
            return
        self.asked_move_aside = True

        def decided(move: bool | None) -> None:
            if not move:
                return
            self.asked_move_aside = False
            try:
                moved = self.services.sink.move_aside(self.agent.agent_id)
            except (OSError, CoderclawError) as exc:
                self.notify(f"Could not move {problem.path} aside ({exc}); fix it by hand.", severity="error")
                return
            self.notify(f"Moved the unreadable store to {moved}; starting fresh.", title="Nothing deleted")
            self.replan()

        self.app.push_screen(CorruptStoreDialog(problem), decided)
