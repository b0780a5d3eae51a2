"""SPEC 7: secrets are never printed whole, never taken from argv, never logged. Checked on every command, in
human and --json form, on the error paths too, and on every file left behind outside the stores."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
FIXTURES = Path(__file__).parent.parent / "fixtures"
STORE = json.loads((FIXTURES / "coderclaw_store.json").read_text())
SECRET_FIELDS = ("key", "token", "access", "refresh", "cookie")
FIXTURE_SECRETS = [p[f] for p in STORE["profiles"].values() for f in SECRET_FIELDS if f in p]
PASTED = "FAKE-pasted-secret-for-tests-only-9999999999JJJJ"
PASTED_SETUP = "sk-ant-oat01-" + "FAKEpastedSETUP" * 6
ALL_SECRETS = FIXTURE_SECRETS + [PASTED, PASTED_SETUP]

COMMANDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "status": (("models", "status"), None),
    "status --json": (("models", "status", "--json"), None),
    "status --check": (("models", "status", "--check"), None),
    "status sub-agent": (("models", "status", "--agent", "research"), None),
    "status sub-agent --json": (("models", "status", "--json", "--agent", "research"), None),
    "list": (("models", "auth", "list"), None),
    "list --json": (("models", "auth", "list", "--json"), None),
    "list --provider --json": (("models", "auth", "list", "--provider", "openai-codex", "--json"), None),
    "order get": (("models", "auth", "order", "get", "--provider", "anthropic"), None),
    "order get --json": (("models", "auth", "order", "get", "--provider", "anthropic", "--json"), None),
    "order set": (("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default"), None),
    "order set unknown": (("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:nope"), None),
    "order set other provider": (
        ("models", "auth", "order", "set", "--provider", "anthropic", "openai-codex:dev@example.test"),
        None,
    ),
    "order clear": (("models", "auth", "order", "clear", "--provider", "anthropic"), None),
    "logout": (("models", "auth", "logout", "github-copilot:github"), None),
    "logout unknown": (("models", "auth", "logout", "anthropic:nope"), None),
    "logout inherited": (("models", "auth", "logout", "anthropic:default", "--agent", "research"), None),
    "token none usable": (("models", "auth", "token", "--provider", "openai"), None),
    "token wrong provider": (
        ("models", "auth", "token", "--provider", "openai", "--profile-id", "anthropic:default"),
        None,
    ),
    "token unknown type": (("models", "auth", "token", "--provider", "mystery"), None),
    "paste-token": (
        ("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:ci"),
        PASTED + "\n",
    ),
    "paste-token setup": (
        ("models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:me"),
        PASTED_SETUP,
    ),
    "paste-token code#state": (
        ("models", "auth", "paste-token", "--provider", "anthropic"),
        PASTED_SETUP + "#FAKEstate",
    ),
    "paste-token wrong prefix": (
        ("models", "auth", "paste-token", "--provider", "anthropic"),
        "sk-ant-api03-" + PASTED,
    ),
    "paste-token over api_key": (
        ("models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:default"),
        PASTED_SETUP,
    ),
    "paste-token bad duration": (
        ("models", "auth", "paste-token", "--provider", "openai", "--expires-in", "soon"),
        PASTED,
    ),
    "agents add": (("agents", "add", "ops", "--json"), None),
    "agents add main": (("agents", "add", "main"), None),
    "agents list": (("agents", "list"), None),
    "agents list --json": (("agents", "list", "--json"), None),
    "debug error": (("--debug", "models", "auth", "logout", "anthropic:nope"), None),
}


def assert_no_secret(text: str, where: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"{where} prints a whole secret ending …{secret[-4:]}"


def files_outside_the_stores(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("auth-profiles.json") and not p.name.startswith(".auth-profiles.json")
    ]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_output_holds_no_whole_secret(
    name: str, main_store: Path, config_file: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    args, stdin = COMMANDS[name]
    result = run_cli(*args, input=stdin)
    assert_no_secret(result.stdout, f"stdout of `{name}`")
    assert_no_secret(result.stderr, f"stderr of `{name}`")
    for path in files_outside_the_stores(tmp_path):
        assert_no_secret(path.read_text(errors="replace"), f"{path} after `{name}`")


@pytest.mark.parametrize(
    "args",
    [
        ("models", "status"),
        ("models", "auth", "list", "--json"),
        ("models", "auth", "token", "--provider", "anthropic"),
    ],
)
def test_corrupt_store_errors_do_not_quote_its_content(state_dir: Path, run_cli: RunCli, args: tuple[str, ...]) -> None:
    """A store cut off mid-file still holds whole secrets before the cut; the parse error must not quote them."""
    store = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    text = (FIXTURES / "coderclaw_store.json").read_text()
    store.write_text(text[: text.index('"openai-codex:dev')] + '"broken": {"token": "' + PASTED + '" ,,}')
    result = run_cli(*args)
    assert result.returncode != 0
    assert_no_secret(result.stdout + result.stderr, " ".join(args))


def test_token_prints_exactly_one_secret_and_nothing_else(main_store: Path, run_cli: RunCli) -> None:
    """The one command whose job is to print a secret: stdout is that secret alone, stderr is empty."""
    result = run_cli("models", "auth", "token", "--provider", "github-copilot")
    assert result.stdout == STORE["profiles"]["github-copilot:github"]["token"] + "\n"
    assert result.stderr == ""


def test_masked_secrets_are_prefix_ellipsis_last_four(main_store: Path, run_cli: RunCli) -> None:
    listing = json.loads(run_cli("models", "auth", "list", "--json").stdout)
    masked = {p["profileId"]: p["secret"] for p in listing["profiles"]}
    assert masked["anthropic:work"].startswith("sk-ant-oat01-") and masked["anthropic:work"].endswith("…BBBB")
    assert masked["github-copilot:github"].startswith("ghu_") and masked["github-copilot:github"].endswith("…CCCC")
    assert masked["mystery:default"] is None


def test_paste_token_takes_no_secret_from_argv(state_dir: Path, run_cli: RunCli) -> None:
    """There is no token argument: a token on the command line is refused and nothing is stored."""
    help_text = run_cli("models", "auth", "paste-token", "--help").stdout
    for option in ("--token", "--key", "--secret", "--value"):
        assert option not in help_text
    for args in (("--provider", "openai", PASTED), ("--provider", "openai", "--token", PASTED)):
        result = run_cli("models", "auth", "paste-token", *args, input="")
        assert result.returncode != 0
        assert not (state_dir / "agents" / "main" / "agent" / "auth-profiles.json").exists()


def test_a_secret_given_in_argv_is_not_echoed_back(state_dir: Path, run_cli: RunCli) -> None:
    """Refusing a token on the command line must not print it again (into CI logs, a shared terminal)."""
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", PASTED, input="")
    assert result.returncode != 0
    assert PASTED not in result.stdout + result.stderr


def test_nothing_is_logged_with_a_secret(main_store: Path, config_file: Path, tmp_path: Path, run_cli: RunCli) -> None:
    """Run the writing and reading commands with HOME and XDG dirs in tmp; any log file (platformdirs' user
    log dir or elsewhere) and every other file left behind holds no secret."""
    for name in (
        "paste-token",
        "paste-token setup",
        "status --json",
        "token none usable",
        "logout",
        "order set unknown",
    ):
        args, stdin = COMMANDS[name]
        run_cli(*args, input=stdin)
    run_cli("models", "auth", "token", "--provider", "anthropic")
    left = files_outside_the_stores(tmp_path)
    assert left, "expected at least the config"
    for path in left:
        assert_no_secret(path.read_text(errors="replace"), str(path))
