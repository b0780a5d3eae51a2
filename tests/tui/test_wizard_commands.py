"""The wizard's commands: arguments resolved before Textual starts, a clear refusal without a terminal, the
`--sandbox` wiring, and `paste-token` opening the wizard only on a terminal."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from coderclaw_tui import app as app_module
from coderclaw_tui import cli
from coderclaw_tui.commands import wizard
from coderclaw_tui.core.agents import add_agent
from coderclaw_tui.flows.onboarding import SavedLogin, WizardStart

RunCli = Any  # the root conftest's `run_cli` fixture: the installed command as a subprocess


def test_unknown_provider_lists_the_known_ones_and_exits_2(run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "login", "--provider", "nope")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        'coderclaw: Unknown provider "nope". Known providers: openai-codex, openai, anthropic,'
    )


def test_unknown_method_is_refused_before_the_screen(run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "login", "--provider", "openai-codex", "--method", "magic")
    assert result.returncode == 2
    assert 'has no login method "magic"; choose one of: oauth, device-code.' in result.stderr


def test_the_wizard_needs_a_terminal(run_cli: RunCli, state_dir: Path) -> None:
    result = run_cli("onboard")
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "paste-token" in result.stderr
    assert not state_dir.exists()


class FakeApp:
    """Stands in for the Textual app: records the Services and start it was built with, and the SIGINT handler
    in place while it runs."""

    built: list[tuple[Any, WizardStart]] = []
    handlers: list[object] = []

    def __init__(self, services: Any, start: WizardStart) -> None:
        FakeApp.built.append((services, start))
        self.return_code = 0

    def interrupt_before_start(self, signum: int, frame: object) -> None:
        self.interrupted = True

    def run(self) -> SavedLogin:
        FakeApp.handlers.append(signal.getsignal(signal.SIGINT))
        services, _ = FakeApp.built[-1]
        state = Path(services.env["CODERCLAW_STATE_DIR"])
        return SavedLogin(
            "main", "openai-codex:x", state / "agents/main/agent/auth-profiles.json", state / "coderclaw.json", False
        )


@pytest.fixture
def fake_terminal_app(monkeypatch: pytest.MonkeyPatch) -> type[FakeApp]:
    FakeApp.built = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)  # what paste-token looks at
    monkeypatch.setattr(wizard, "_require_terminal", lambda command: None)
    monkeypatch.setattr(app_module, "make_app", FakeApp)
    monkeypatch.setattr(wizard, "configure_logging", lambda: None)
    return FakeApp


def test_sandbox_points_every_flow_at_the_embedded_issuer_and_a_temp_state(
    fake_terminal_app: type[FakeApp],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state_dir: Path,
) -> None:
    monkeypatch.setenv("CODERCLAW_CONFIG_PATH", "/somewhere/real/coderclaw.json")
    assert cli.main(["onboard", "--sandbox", "--no-browser"]) == 0
    # While the app runs, its own SIGINT handler (which asyncio leaves in place); Python's again after.
    assert fake_terminal_app.handlers[-1] not in (signal.default_int_handler, signal.SIG_DFL)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    services, start = fake_terminal_app.built[0]
    assert start == WizardStart()
    issuer_url = services.env["CODERCLAW_OPENAI_CODEX_ISSUER"]
    assert issuer_url.startswith("http://127.0.0.1:")
    for provider in ("GITHUB_COPILOT", "QWEN_PORTAL", "MINIMAX_PORTAL", "CHUTES", "GOOGLE_GEMINI_CLI"):
        assert services.env[f"CODERCLAW_{provider}_ISSUER"] == issuer_url
    assert services.sandbox is not None and services.no_browser
    sandbox_state = Path(services.env["CODERCLAW_STATE_DIR"])
    assert sandbox_state != state_dir and "coderclaw-sandbox-" in sandbox_state.name
    assert "CODERCLAW_CONFIG_PATH" not in services.env  # the sandbox can never write the real config
    out = capsys.readouterr().out
    assert f"Sandbox state is in {sandbox_state}" in out


def test_login_starts_at_the_provider_for_main(fake_terminal_app: type[FakeApp], tmp_path: Path) -> None:
    assert cli.main(["models", "auth", "login", "--provider", "codex", "--state-dir", str(tmp_path / "s")]) == 0
    services, start = fake_terminal_app.built[0]
    assert start == WizardStart(agent_id="main", provider_id="openai-codex")
    assert services.env["CODERCLAW_STATE_DIR"] == str(tmp_path / "s")
    assert services.sandbox is None


def test_setup_token_starts_at_the_paste_step(fake_terminal_app: type[FakeApp]) -> None:
    add_agent("work")
    assert cli.main(["models", "auth", "setup-token", "--agent", "work"]) == 0
    _, start = fake_terminal_app.built[0]
    assert start == WizardStart(
        agent_id="work", provider_id="anthropic", method_id="token", profile_id="anthropic:manual"
    )


def test_setup_token_is_anthropic_only(fake_terminal_app: type[FakeApp], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "auth", "setup-token", "--provider", "openai"]) == 2
    assert "setup-token is Anthropic's" in capsys.readouterr().err
    assert fake_terminal_app.built == []


def test_paste_token_on_a_terminal_opens_the_wizard(fake_terminal_app: type[FakeApp]) -> None:
    args = ["models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:ci", "--expires-in", "2d"]
    assert cli.main(args) == 0
    _, start = fake_terminal_app.built[0]
    assert start == WizardStart(
        agent_id="main",
        provider_id="openai",
        method_id="token",
        profile_id="openai:ci",
        expires_in_ms=2 * 86_400_000,
    )


@pytest.mark.parametrize(
    ("provider", "profile_id", "says"),
    [
        ("nosuch", None, "Known providers: openai-codex, openai, anthropic,"),
        ("github-copilot", None, "has no token to paste (it offers: GitHub device login)"),
        ("openai", "openai:my key", "profile ids are openai:<name>, at most 128 characters"),
    ],
    ids=["unknown-provider", "no-token-method", "id-with-space"],
)
def test_paste_token_on_a_terminal_refuses_what_the_piped_form_refuses(
    fake_terminal_app: type[FakeApp], capsys: pytest.CaptureFixture[str], provider: str, profile_id: str | None, says: str
) -> None:
    args = ["models", "auth", "paste-token", "--provider", provider]
    assert cli.main(args + (["--profile-id", profile_id] if profile_id else [])) == 2
    assert says in capsys.readouterr().err
    assert fake_terminal_app.built == []
