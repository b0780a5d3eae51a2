"""Esc goes back one step from every step, cancelling a running login (its port free at once); q and ctrl+c
leave without writing; new agents are created at the confirm step and nowhere before it."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import Input, OptionList
from wizard_helpers import (
    SIZE,
    MakeServices,
    confirm_and_check_disk,
    main_then_method,
    read_json,
    sign_in_screen_ready,
    text,
    wait_for,
    wait_for_screen,
)

from coderclaw_tui.app import INTERRUPTED, make_app
from coderclaw_tui.flows.onboarding import WizardStart
from coderclaw_tui.widgets.paste_input import PasteInput


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bindable(port: int) -> bool:
    """A strict bind, without SO_REUSEADDR, as any other program would try."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def footer_keys(pilot: object) -> set[str]:
    return {b.binding.action for b in pilot.app.screen.active_bindings.values() if b.binding.show}  # type: ignore[attr-defined]


async def test_escape_walks_back_through_every_step(make_services: MakeServices, state_dir: Path) -> None:
    app = make_app(make_services())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        assert "back" not in footer_keys(pilot)  # nothing before the first step
        await pilot.press("escape")
        assert type(app.screen).__name__ == "ChooseAgentScreen"

        await pilot.press("enter")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        assert "back" in footer_keys(pilot)
        await pilot.press(*"zzz")
        assert text(pilot, "#method-empty").startswith("Nothing matches")
        await pilot.press("escape")  # first Esc clears the filter
        assert app.screen.query_one("#method-filter", Input).value == ""
        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseAgentScreen")

        await pilot.press("enter")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press(*"openai api", "enter")
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        methods = app.screen.query_one("#methods", OptionList)
        assert methods.get_option_at_index(methods.highlighted).id == "openai/api-key"  # the earlier choice kept

        await pilot.press("enter")
        await wait_for_screen(pilot, "ApiKeyScreen")
        app.screen.query_one("#api-key", PasteInput).value = "sk-proj-0123456789abcdef"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ApiKeyScreen")
        assert app.screen.query_one("#api-key", PasteInput).value == "sk-proj-0123456789abcdef"  # kept, not lost

        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseAgentScreen")
        await pilot.press("q")
    assert app.return_value is None
    assert not state_dir.exists() or not any(state_dir.rglob("*.json"))  # nothing written


async def test_the_first_step_is_the_apps_first_screen_and_stays_under_the_later_steps(
    make_services: MakeServices,
) -> None:
    """The first step is not pushed over Textual's blank screen (a second screen to compose and style before the
    first paint); it cannot be popped, so once answered it stays under the later steps, and the flow coming back
    to the agent step shows a new one."""
    app = make_app(make_services(), WizardStart())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        first = app.screen
        assert app.screen_stack == [first]
        await pilot.press("enter")  # main
        await wait_for_screen(pilot, "ChooseMethodScreen")
        assert app.screen_stack[0] is first and len(app.screen_stack) == 2
        await pilot.press("escape")
        await wait_for_screen(pilot, "ChooseAgentScreen")
        again = app.screen
        assert again is not first and app.screen_stack == [first, again]
        await pilot.press("enter")  # answered again, by the new screen
        await wait_for_screen(pilot, "ChooseMethodScreen")
        assert app.screen_stack[0] is first and len(app.screen_stack) == 2


async def test_no_frame_shows_anything_but_a_step_between_two_steps(make_services: MakeServices) -> None:
    """Each step goes in the same moment as the next one comes: no frame of the screen under the steps is
    painted between them (a blank screen flashed at every step when each step popped itself before the next was
    pushed). Frames are seen where Textual hands them to the terminal."""
    app = make_app(make_services())
    painted: list[str] = []
    display = app._display  # Textual's last step before the terminal; no public hook sees every frame

    def record(screen: object, renderable: object) -> None:
        if renderable is not None and painted[-1:] != [type(screen).__name__]:
            painted.append(type(screen).__name__)
        display(screen, renderable)

    app._display = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await main_then_method(pilot, "openai api", "ApiKeyScreen")
        app.screen.query_one("#api-key", PasteInput).value = "sk-proj-0123456789abcdef"
        await pilot.press("enter")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
        await pilot.pause(0.1)
    assert painted == ["ChooseAgentScreen", "ChooseMethodScreen", "ApiKeyScreen", "ConfirmScreen", "DoneScreen"]


async def test_escape_cancels_a_running_login_and_frees_the_port(make_services: MakeServices) -> None:
    port = free_port()
    app = make_app(make_services(callback_port=port), WizardStart(agent_id="main", provider_id="openai-codex"))
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_screen_ready(pilot)
        assert not bindable(port)
        await pilot.press("escape")
        assert bindable(port)  # free the moment Esc is handled
        await wait_for_screen(pilot, "ChooseMethodScreen")


async def test_ctrl_c_during_a_login_quits_writes_nothing_and_frees_the_port(
    make_services: MakeServices, state_dir: Path
) -> None:
    port = free_port()
    app = make_app(
        make_services(callback_port=port, remote=True), WizardStart(agent_id="main", provider_id="openai-codex")
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "PkceLoginScreen")
        await wait_for(pilot, lambda: app.screen.url, "the authorize URL")
        await pilot.press(*"abc")  # typing into the paste field: q would type, ctrl+c still quits
        await pilot.press("ctrl+c")
    assert app.return_value is None
    assert bindable(port)
    assert not state_dir.exists() or not any(state_dir.rglob("*.json"))


async def test_new_agent_sharing_main_is_created_only_at_confirm(make_services: MakeServices, state_dir: Path) -> None:
    app = make_app(make_services())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        await pilot.press("down", "enter")  # "+ New agent…"
        assert isinstance(app.screen.focused, Input)
        await pilot.press(*"main")
        assert "reserved" in text(pilot, "#agent-id-note")
        app.screen.query_one("#agent-id", Input).value = "Research Bot"
        await pilot.pause()
        assert text(pilot, "#agent-id-note").startswith("Will be created as research-bot")
        await pilot.press("enter")
        assert app.screen.focused is app.screen.query_one("#agent-creds", OptionList)
        await pilot.press("enter")  # share main's credentials
        await wait_for_screen(pilot, "ConfirmScreen")
        assert not (state_dir / "coderclaw.json").exists()
        assert "reads main's profiles through" in text(pilot, "#identity")
        expected_entry = (
            f'agents.list[] += {{"id": "research-bot", "name": "Research Bot", '
            f'"workspace": "{state_dir}/workspace-research-bot", '
            f'"agentDir": "{state_dir}/agents/research-bot/agent"}}'
        )
        assert expected_entry in text(pilot, "#plan-config")
        await pilot.press("enter")
        await wait_for_screen(pilot, "DoneScreen")
    config = read_json(state_dir / "coderclaw.json")
    assert config["agents"]["list"] == [
        {"id": "main"},
        {
            "id": "research-bot",
            "name": "Research Bot",
            "workspace": f"{state_dir}/workspace-research-bot",
            "agentDir": f"{state_dir}/agents/research-bot/agent",
        },
    ]
    own_store = state_dir / "agents" / "research-bot" / "agent" / "auth-profiles.json"
    assert read_json(own_store) == {"version": 1, "profiles": {}}, "an empty store of its own, no copy of main's"


async def test_new_agent_logging_in_separately(make_services: MakeServices, state_dir: Path) -> None:
    app = make_app(make_services(env={"OPENAI_API_KEY": "sk-proj-envkey0123456789"}))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ChooseAgentScreen")
        await pilot.press("down", "enter", *"ops", "enter", "down", "enter")  # new agent "ops", log in separately
        await wait_for_screen(pilot, "ChooseMethodScreen")
        await pilot.press(*"openai api", "enter")
        await wait_for_screen(pilot, "ApiKeyScreen")
        await pilot.press("enter")  # the environment's key
        record = await confirm_and_check_disk(pilot, state_dir)
    assert app.wizard.saved.store_path == state_dir / "agents" / "ops" / "agent" / "auth-profiles.json"
    assert record["key"] == "sk-proj-envkey0123456789"
    assert [a["id"] for a in read_json(state_dir / "coderclaw.json")["agents"]["list"]] == ["main", "ops"]


INTERRUPTED_IN_LOOP_START = textwrap.dedent(
    """
    import asyncio.base_events, os, signal
    from coderclaw_tui.app import make_app
    from coderclaw_tui.flows.onboarding import WizardStart
    from coderclaw_tui.services import Services

    app = make_app(Services.from_env(dict(os.environ)), WizardStart())
    signal.signal(signal.SIGINT, app.interrupt_before_start)  # as run_wizard does
    made = asyncio.base_events.BaseEventLoop.__init__

    def interrupted_in_the_making(loop):
        os.kill(os.getpid(), signal.SIGINT)  # lands in this very constructor, before the loop has any attribute
        made(loop)

    asyncio.base_events.BaseEventLoop.__init__ = interrupted_in_the_making
    app.run(headless=True)
    print(app.return_code)
    """
)


def test_a_sigint_inside_asyncios_start_ends_the_app_as_it_loads_without_a_word_from_asyncio() -> None:
    """A SIGINT while the app starts lands wherever the interpreter is, here inside the event loop's constructor
    (one start in twenty in a real terminal): the app still ends as interrupted, and no half-made loop complains
    as it is freed ("Exception ignored ... no attribute '_debug'", "coroutine ... was never awaited")."""
    ran = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IN_LOOP_START], capture_output=True, text=True, timeout=60, check=False
    )
    assert (ran.returncode, ran.stdout.strip(), ran.stderr) == (0, str(INTERRUPTED), "")


async def test_an_interrupt_swallowed_before_the_app_ran_ends_it_at_once_as_interrupted(
    make_services: MakeServices,
) -> None:
    """A SIGINT that came while the app was starting, whose KeyboardInterrupt Python swallowed in a callback
    (the command went on drawing its first screen, and hung there): the app leaves as it loads, and the command
    ends as interrupted."""
    app = make_app(make_services(), WizardStart())
    app.interrupted = True
    async with app.run_test(size=SIZE):
        pass  # leaving the block waits for the app to end; the test's own ending sets no return code
    assert app.return_code == INTERRUPTED
