"""Step 1: which agent the login is for, an existing one or a new one (created at the confirm step)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widget import AwaitMount
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from coderclaw_tui import paths
from coderclaw_tui.commands.output import printable
from coderclaw_tui.core.agents import AgentInfo, list_agents
from coderclaw_tui.core.errors import CoderclawError
from coderclaw_tui.flows.onboarding import AgentChoice, Step
from coderclaw_tui.screens.base import WizardScreen
from coderclaw_tui.widgets.choice_list import ChoiceList
from coderclaw_tui.widgets.plain import Plain
from coderclaw_tui.widgets.text_field import TextField

if TYPE_CHECKING:
    from coderclaw_tui.services import Services

NEW_AGENT = "new"
SHARE = "share"
SEPARATE = "separate"


class ChooseAgentScreen(WizardScreen[AgentChoice]):
    """Ids: `#agents` (one option per agent, `agent:<id>`, and `new`), then for a new agent `#agent-id`
    (Input), `#agent-id-note`, and `#agent-creds` with options `share` / `separate`."""

    STEP = Step.AGENT
    CSS_PATH = "../styles/choose_agent.tcss"
    BINDINGS = [Binding("enter", "choose", "Choose", id="choose")]

    def __init__(self, services: Services, current: AgentChoice | None = None) -> None:
        super().__init__(services, can_go_back=False)
        self.current = current
        self.known: dict[str, AgentInfo] = {}
        self._form_mounted: AwaitMount | None = None

    def heading(self) -> str:
        return "Which agent is this login for?"

    def compose_body(self) -> ComposeResult:
        yield Plain("Each agent keeps its own auth store; other agents read main's profiles through.", classes="hint")
        yield Plain(self.services.state_dir_note, id="state-dir", classes="hint")
        yield ChoiceList(id="agents")

    def new_agent_form(self) -> Vertical:
        """Mounted (hidden) just after the first paint: start-up waits for that paint, not for this form."""
        return Vertical(
            Label("New agent id"),
            TextField(placeholder="e.g. research", id="agent-id"),
            Plain("", id="agent-id-note"),
            Label("Credentials for the new agent", id="agent-creds-label"),
            ChoiceList(
                Option("Share main's credentials (read-through, nothing copied)", id=SHARE),
                Option("Log in separately (its own profile)", id=SEPARATE),
                id="agent-creds",
            ),
            id="new-agent",
        )

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_new_agent_form)
        agents = self.query_one("#agents", OptionList)
        try:
            infos = list_agents(self.services.env)
        except CoderclawError as exc:
            self.notify(exc.message, severity="error")
            infos = list_agents(self.services.env, config={})
        for info in infos:
            self.known[info.agent_id] = info
            agents.add_option(Option(self._describe(info), id=f"agent:{info.agent_id}"))
        agents.add_option(Option(Content.styled("+ New agent…", "bold"), id=NEW_AGENT))
        if self.current is not None and f"agent:{self.current.agent_id}" in {o.id for o in agents.options}:
            agents.highlighted = agents.get_option_index(f"agent:{self.current.agent_id}")
        else:
            agents.highlighted = 0
        agents.focus()
        if self.current is not None and self.current.create:
            agents.highlighted = agents.get_option_index(NEW_AGENT)
            self._reopen_new_agent(self.current.name or self.current.agent_id)

    @work(exclusive=True, group="new-agent-form")
    async def _reopen_new_agent(self, typed: str) -> None:
        """Back from a later step: the new agent's form again, with the id as it was typed."""
        if (mounting := self._mount_new_agent_form()) is None:
            return
        await mounting
        self.open_new_agent_form()
        self.query_one("#agent-id", Input).value = typed

    def _describe(self, info: AgentInfo) -> Content:
        label = printable(info.agent_id + (f" ({info.name})" if info.name else ""))  # the name is the config's
        try:
            view = self.services.sink.view(info.agent_id)
        except (CoderclawError, OSError) as exc:
            return Content.assemble((f"{label:<23} ", "bold"), (printable(getattr(exc, "message", str(exc))), "dim"))
        own = sum(1 for e in view.profiles.values() if e.owner_agent == info.agent_id)
        inherited = len(view.profiles) - own
        if info.agent_id == paths.DEFAULT_AGENT_ID:
            count = f"{own} profile{'s' if own != 1 else ''} (default agent)"
        else:
            count = f"{own} own, {inherited} from main"
        if view.problems:
            count += " · a store is unreadable"
        if view.own_store_missing:
            count += " · no store of its own: choosing it gives it an empty one"
        return Content.assemble((f"{label:<23} ", "bold"), (count, "dim"))

    @property
    def adding(self) -> bool:
        form = self.query("#new-agent")
        return bool(form) and form.first().display

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.adding
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        """Esc leaves the new-agent form; there is no step before this one."""
        self.query_one("#new-agent").display = False
        self.query_one("#agents", OptionList).focus()
        self.refresh_bindings()

    def action_choose(self) -> None:
        """Enter acts on whatever has focus: an agent, the new id, or the credentials choice."""
        focused = self.focused
        if isinstance(focused, Input):
            self._submit_new_id(focused.value)
        elif isinstance(focused, OptionList) and focused.highlighted is not None:
            self._choose(focused, focused.get_option_at_index(focused.highlighted).id or "")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A mouse click on an option."""
        event.stop()
        self._choose(event.option_list, event.option.id or "")

    def _choose(self, option_list: OptionList, option_id: str) -> None:
        if option_list.id == "agents":
            if option_id == NEW_AGENT:
                self.open_new_agent_form()
            else:
                agent_id = option_id.removeprefix("agent:")
                self._give_own_store(agent_id)
                self.dismiss(AgentChoice(agent_id))
        elif option_list.id == "agent-creds":
            raw = self.query_one("#agent-id", Input).value.strip()
            agent_id = paths.normalize_agent_id(raw)
            name = raw if raw and raw != agent_id else None
            self.dismiss(AgentChoice(agent_id, create=True, name=name, share_main=option_id == SHARE))

    def _give_own_store(self, agent_id: str) -> None:
        """An agent with no store of its own gets an empty one now, as its row says: left without, CoderClaw would
        fill it with a copy of main's, refresh tokens included, before this login is saved."""
        try:
            if self.services.sink.view(agent_id).own_store_missing:
                self.services.sink.ensure_store(agent_id)
        except (CoderclawError, OSError) as exc:
            self.notify(getattr(exc, "message", str(exc)), severity="warning")

    def _mount_new_agent_form(self) -> AwaitMount | None:
        """None while the body cannot take it: the screen is going away (Ctrl-C right after start-up)."""
        body = self.query_one("#body")
        if self._form_mounted is None and body.is_attached:
            self._form_mounted = body.mount(self.new_agent_form())
        return self._form_mounted

    def open_new_agent_form(self) -> None:
        """Shown and focused in the same step as the key that asked for it, so keys typed right after Enter land in
        the id field; only a key that beats the first paint has to wait for the form to finish mounting."""
        if self._form_mounted is None or not self.query("#agent-id"):
            self._open_when_mounted()
            return
        self.query_one("#new-agent").display = True
        self.query_one("#agent-creds").display = False
        self.query_one("#agent-creds-label").display = False
        self.query_one("#agent-id", Input).focus()
        self.refresh_bindings()

    @work(exclusive=True, group="new-agent-form")
    async def _open_when_mounted(self) -> None:
        if (mounting := self._mount_new_agent_form()) is None:
            return
        await mounting
        self.open_new_agent_form()

    def _new_id_problem(self, raw: str) -> str | None:
        agent_id = paths.normalize_agent_id(raw)
        if not raw.strip():
            return "Type an id for the new agent."
        if agent_id == paths.DEFAULT_AGENT_ID:
            return f'"{paths.DEFAULT_AGENT_ID}" is the default agent and reserved; choose another id.'
        if agent_id in self.known:
            return f'Agent "{agent_id}" already exists; pick it from the list above.'
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        note = self.query_one("#agent-id-note", Static)
        problem = self._new_id_problem(event.value)
        note.set_class(problem is not None and bool(event.value.strip()), "-error")
        if problem:
            note.update(problem if event.value.strip() else "")
        else:
            agent_id = paths.normalize_agent_id(event.value)
            typed = event.value.strip()
            changed = "" if agent_id == typed else f" (normalised from {typed!r}: ids are lower-case, a-z 0-9 _ -)"
            note.update(
                f"Will be created as {agent_id}{changed}, with its store in "
                f"{self.services.sink.store_path(agent_id).parent}."
            )
        self.query_one("#agent-creds").display = False
        self.query_one("#agent-creds-label").display = False

    def _submit_new_id(self, raw: str) -> None:
        problem = self._new_id_problem(raw)
        if problem:
            note = self.query_one("#agent-id-note", Static)
            note.update(problem)
            note.add_class("-error")
            return
        self.query_one("#agent-creds-label").display = True
        creds = self.query_one("#agent-creds", OptionList)
        creds.display = True
        creds.highlighted = 0
        creds.focus()
