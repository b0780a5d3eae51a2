"""The onboarding wizard's step sequence, with no UI in it.

The screens only collect answers; this controller decides which step comes next and what Esc goes back to.
What the confirm step writes is `flows.confirm_plan`'s.

The first screen (the agent) needs only this module's types, so what the later steps need (the catalogue, the
login results, their specs) is imported when they come: start-up to the first screen is measured. The answers
are NamedTuples, as the catalogue's data is: a frozen dataclass costs about a millisecond to define.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from coderclaw_tui import paths
from coderclaw_tui.core.errors import StoreCorrupt

if TYPE_CHECKING:
    from coderclaw_tui.core.sink import TokenSink
    from coderclaw_tui.flows.events import LoginResult
    from coderclaw_tui.providers.catalogue import AuthMethod, Provider
    from coderclaw_tui.providers.specs import OAuthClient


class Back(enum.Enum):
    """What a step returns when the user pressed Esc."""

    BACK = "back"


BACK = Back.BACK


class Step(enum.Enum):
    AGENT = "agent"
    METHOD = "method"
    PREPARE = "prepare"
    """Before an OAuth login starts: its warning acknowledged, the client id the user brings confirmed."""
    LOGIN = "login"
    CONFIRM = "confirm"
    DONE = "done"


class WizardStart(NamedTuple):
    """Where the CLI asks the wizard to begin; every field left None is asked on screen."""

    agent_id: str | None = None
    provider_id: str | None = None
    method_id: str | None = None
    profile_id: str | None = None
    """A full `<provider>:<name>` the paste step proposes (`paste-token --profile-id`)."""
    expires_in_ms: int | None = None
    """A pasted token's lifetime (`paste-token --expires-in`)."""


class AgentChoice(NamedTuple):
    """The agent the login is for; `create` adds it to the config at the confirm step."""

    agent_id: str
    create: bool = False
    name: str | None = None
    share_main: bool = False
    """A new agent that reads main's profiles through instead of logging in itself."""


class MethodChoice(NamedTuple):
    provider: Provider
    method: AuthMethod


class Prepared(NamedTuple):
    """What the prepare step settled: the OAuth client to use (None: the method's own)."""

    client: OAuthClient | None = None


def needs_prepare(method: AuthMethod) -> bool:
    """A method with a warning to acknowledge or a client id the user brings gets a step before its login."""
    from coderclaw_tui.providers.specs import DeviceSpec, PkceSpec

    spec = method.spec
    asks = isinstance(spec, (PkceSpec, DeviceSpec)) and spec.client.ask
    return bool(method.warning) or asks


class SavedLogin(NamedTuple):
    """What the wizard wrote, for the last screen and the CLI's closing line."""

    agent_id: str
    profile_id: str | None
    store_path: Path
    config_path: Path
    created_agent: bool
    config_warning: str | None = None
    """The profile was saved but the config could not be updated (the store is the truth)."""


def start_provider(start: WizardStart) -> Provider:
    """The catalogue's provider; for `paste-token`, as the piped form takes it (the same check, the same refusals)."""
    from coderclaw_tui.flows.secret_entry import paste_token_provider
    from coderclaw_tui.providers.catalogue import resolve_provider

    assert start.provider_id is not None
    if start.method_id == "token":
        return paste_token_provider(start.provider_id)
    return resolve_provider(start.provider_id)


class Onboarding:
    """Answers so far and the current step; `answer()` moves on, or back when given `BACK`."""

    def __init__(self, start: WizardStart) -> None:
        self.start = start
        self.agent = AgentChoice(paths.normalize_agent_id(start.agent_id)) if start.agent_id else None
        self.method: MethodChoice | None = None
        if start.provider_id:
            provider = start_provider(start)
            self.method = MethodChoice(provider, provider.method(start.method_id))
        self.login: LoginResult | None = None
        self.client: OAuthClient | None = None
        self.saved: SavedLogin | None = None
        if self.agent is None:
            self.step = Step.AGENT
        else:
            self.step = Step.METHOD if self.method is None else self._login_step()

    def _login_step(self) -> Step:
        assert self.method is not None
        return Step.PREPARE if needs_prepare(self.method.method) else Step.LOGIN

    def can_go_back(self) -> bool:
        return self.step not in (Step.AGENT, Step.DONE)

    def answer(self, result: object) -> Step:
        from coderclaw_tui.flows.events import LoginResult

        if result is BACK:
            self._go_back()
        elif self.step is Step.AGENT and isinstance(result, AgentChoice):
            self.agent = result
            self.step = Step.CONFIRM if result.share_main else Step.METHOD
        elif self.step is Step.METHOD and isinstance(result, MethodChoice):
            self.method, self.client, self.login = result, None, None
            self.step = self._login_step()
        elif self.step is Step.PREPARE and isinstance(result, Prepared):
            self.client, self.step = result.client, Step.LOGIN
        elif self.step is Step.LOGIN and isinstance(result, LoginResult):
            self.login, self.step = result, Step.CONFIRM
        elif self.step is Step.CONFIRM and isinstance(result, SavedLogin):
            self.saved, self.step = result, Step.DONE
        else:
            raise TypeError(f"step {self.step.value} cannot take {type(result).__name__}")
        return self.step

    def restart_at_agent(self) -> None:
        """The chosen agent cannot be used (its store was left unreadable): ask again."""
        self.agent, self.login, self.step = None, None, Step.AGENT

    def _go_back(self) -> None:
        """Answers given so far are kept: back from Confirm, the sign-in step shows the finished login (Enter goes
        on with it); back at the agent step, a new agent's typed id is still there. Only choosing another method
        drops the login."""
        if self.step is Step.METHOD:
            self.step = Step.AGENT
        elif self.step is Step.PREPARE:
            self.step = Step.METHOD
        elif self.step is Step.LOGIN:
            self.step = self._login_step() if self._login_step() is Step.PREPARE else Step.METHOD
        elif self.step is Step.CONFIRM:
            self.step = Step.AGENT if self.agent and self.agent.share_main else Step.LOGIN

    def suggested_profile_name(self) -> str:
        """The name the paste step proposes: `--profile-id`'s, else blank (which means `default`)."""
        if self.start.profile_id and self.method and self.start.profile_id.startswith(f"{self.method.provider.id}:"):
            return self.start.profile_id.split(":", 1)[1]
        return ""


def target_store_problem(sink: TokenSink, agent_id: str) -> StoreCorrupt | None:
    """The agent's own store, if it exists and does not parse: a login could never be saved there."""
    try:
        sink.load(paths.normalize_agent_id(agent_id))
    except StoreCorrupt as exc:
        return exc
    return None
