"""`coderclaw onboard --non-interactive --accept-risk` (SPEC 7, reference §11), run the way scripts run it: a
subprocess whose stdin is a pipe, never a terminal. What lands on disk, what is printed, the exit code."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_commands import RunCli, agent_store, api_key, now_ms, token, write_store

from coderclaw_tui.providers.auth_choices import KEY_CHOICES, REFUSED, KeyChoice
from coderclaw_tui.providers.catalogue import find_provider

pytestmark = pytest.mark.usefixtures("no_provider_keys")

ONBOARD = ("onboard", "--non-interactive", "--accept-risk")
SETUP_TOKEN = "sk-ant-oat01-" + "FAKEsetupTOKEN" * 6
DAY = 24 * 3600 * 1000
PLAIN_ROWS = [c for c in KEY_CHOICES if not c.fields and find_provider(c.provider) is not None]
"""Every key flag whose provider the catalogue has and that needs nothing but the key."""


def secret_for(row: KeyChoice) -> str:
    return f"FAKE-{row.provider}-secret-0123456789"


def stored(state_dir: Path, agent: str = "main") -> dict[str, Any]:
    path = agent_store(state_dir, agent)
    return json.loads(path.read_text())["profiles"] if path.exists() else {}


def config(state_dir: Path) -> dict[str, Any]:
    path = state_dir / "coderclaw.json"
    return json.loads(path.read_text()) if path.exists() else {}


def refused(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("row", PLAIN_ROWS, ids=lambda r: r.flag)
def test_each_key_flag_reads_its_key_from_stdin(state_dir: Path, run_cli: RunCli, row: KeyChoice) -> None:
    secret = secret_for(row)
    result = run_cli(*ONBOARD, f"--{row.flag}", "-", "--json", input=f'export X="{secret}";\n')
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    profile_id = f"{row.provider}:default"
    assert report["authChoice"] == row.choice and report["profileId"] == profile_id and report["source"] == "stdin"
    assert stored(state_dir)[profile_id] == api_key(row.provider, secret)
    assert config(state_dir)["auth"]["profiles"][profile_id] == {"provider": row.provider, "mode": "api_key"}
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize("row", PLAIN_ROWS, ids=lambda r: r.flag)
def test_without_the_flag_the_providers_env_var_is_used(state_dir: Path, run_cli: RunCli, row: KeyChoice) -> None:
    provider = find_provider(row.provider)
    assert provider is not None and provider.env_vars
    secret = secret_for(row)
    result = run_cli(*ONBOARD, "--auth-choice", row.choice, env={provider.env_vars[0]: secret})
    assert result.returncode == 0, result.stderr
    assert stored(state_dir)[f"{row.provider}:default"] == api_key(row.provider, secret)
    assert f"Saved {row.provider}:default" in result.stdout and secret not in result.stdout


@pytest.mark.parametrize("row", KEY_CHOICES, ids=lambda r: r.flag)
def test_a_secret_on_the_command_line_is_refused_without_repeating_it(state_dir: Path, run_cli: RunCli, row: KeyChoice) -> None:
    secret = secret_for(row)
    for argv in ((f"--{row.flag}", secret), (f"--{row.flag}={secret}",)):
        message = refused(run_cli(*ONBOARD, *argv))
        assert f"--{row.flag} never takes the secret on the command line" in message
        assert f"--{row.flag} -" in message and secret not in message
    assert not agent_store(state_dir).exists()


def test_the_refusal_names_the_env_var_that_works(run_cli: RunCli) -> None:
    message = refused(run_cli(*ONBOARD, "--anthropic-api-key", "sk-ant-api03-FAKE"))
    assert message.endswith("pipe it in with --anthropic-api-key -, or leave the flag out and set ANTHROPIC_API_KEY.")
    assert "FAKE" not in message


def test_token_choice_stores_a_setup_token_from_stdin(state_dir: Path, run_cli: RunCli) -> None:
    before = now_ms()
    result = run_cli(
        *ONBOARD, "--auth-choice", "token", "--token-provider", "anthropic", "--token", "-",
        "--token-profile-id", "anthropic:ci", "--token-expires-in", "30d",
        input=SETUP_TOKEN[:40] + "\n" + SETUP_TOKEN[40:] + "\n",
    )
    assert result.returncode == 0, result.stderr
    record = stored(state_dir)["anthropic:ci"]
    assert record["token"] == SETUP_TOKEN and record["type"] == "token"
    assert before + 30 * DAY <= record["expires"] <= now_ms() + 30 * DAY
    assert config(state_dir)["auth"]["profiles"]["anthropic:ci"] == {"provider": "anthropic", "mode": "token"}
    assert SETUP_TOKEN not in result.stdout


def test_token_choice_defaults_to_anthropic_default_and_is_inferred_from_token(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli(*ONBOARD, "--token-provider", "anthropic", "--token", input=SETUP_TOKEN)
    assert result.returncode == 0, result.stderr
    assert stored(state_dir)["anthropic:default"] == token("anthropic", SETUP_TOKEN)


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "message"),
    [
        (("--auth-choice", "token", "--token", "-"), SETUP_TOKEN, 2, "--auth-choice token needs --token-provider anthropic."),
        (("--auth-choice", "token", "--token-provider", "openai", "--token", "-"), SETUP_TOKEN, 2, "Only --token-provider anthropic"),
        (("--auth-choice", "token", "--token-provider", "anthropic"), SETUP_TOKEN, 2, "needs --token - with the setup-token on stdin"),
        (("--auth-choice", "token", "--token-provider", "anthropic", "--token", SETUP_TOKEN), "", 2, "--token never takes the secret"),
        (("--auth-choice", "token", "--token-provider", "anthropic", "--token", "-"), "sk-ant-api03-nope", 1, "Expected a token starting with sk-ant-oat01-"),
        (("--auth-choice", "token", "--token-provider", "anthropic", "--token", "-", "--token-expires-in", "soon"), SETUP_TOKEN, 2, "Invalid --token-expires-in"),
        (("--auth-choice", "token", "--token-provider", "anthropic", "--token", "-", "--token-profile-id", "openai:x"), SETUP_TOKEN, 2, "--token-profile-id cannot be used"),
        (("--auth-choice", "token", "--token-provider", "anthropic", "--token", "-"), "", 1, "Nothing arrived on stdin for --token -"),
    ],
)
def test_token_choice_refusals(state_dir: Path, run_cli: RunCli, argv: tuple[str, ...], stdin: str, code: int, message: str) -> None:
    line = refused(run_cli(*ONBOARD, *argv, input=stdin), code)
    assert message in line and SETUP_TOKEN not in line
    assert not agent_store(state_dir).exists()


@pytest.mark.parametrize("choice", sorted(REFUSED))
def test_choices_that_need_a_person_are_refused_in_one_sentence(state_dir: Path, run_cli: RunCli, choice: str) -> None:
    assert refused(run_cli(*ONBOARD, "--auth-choice", choice)) == f"coderclaw: {REFUSED[choice]}"
    assert not state_dir.exists() or not any(state_dir.rglob("*.json"))


def test_browser_choices_name_the_interactive_command(run_cli: RunCli) -> None:
    message = refused(run_cli(*ONBOARD, "--auth-choice", "openai-codex"))
    assert message.endswith("run `coderclaw models auth login --provider openai-codex` in a terminal instead.")
    message = refused(run_cli(*ONBOARD, "--auth-choice", "github-copilot"))
    assert "coderclaw models auth login --provider github-copilot" in message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("onboard", "--non-interactive", "--anthropic-api-key", "-"), "requires explicit risk acknowledgement"),
        (("onboard", "--anthropic-api-key", "-"), "--anthropic-api-key is for non-interactive onboarding; add --non-interactive --accept-risk."),
        ((*ONBOARD,), "Say what to log in with: --auth-choice CHOICE"),
        ((*ONBOARD, "--openai-api-key", "-", "--gemini-api-key", "-"), "Multiple API key flags were given (--openai-api-key, --gemini-api-key)"),
        ((*ONBOARD, "--auth-choice", "apiKey", "--openai-api-key", "-"), "--openai-api-key does not go with --auth-choice apiKey."),
        ((*ONBOARD, "--auth-choice", "skip", "--token", "-"), "--token does not go with --auth-choice skip."),
        ((*ONBOARD, "--auth-choice", "nosuch"), 'Unknown --auth-choice "nosuch". Choices: apiKey,'),
        ((*ONBOARD, "--anthropic-api-key", "-", "--agent", "ghost"), "No agent ghost; known agents: main."),
        ((*ONBOARD, "--sandbox", "--anthropic-api-key", "-"), "--sandbox runs the wizard"),
    ],
)
def test_usage_errors(state_dir: Path, run_cli: RunCli, argv: tuple[str, ...], message: str) -> None:
    assert message in refused(run_cli(*argv, input="sk-ant-api03-FAKEkey"))
    assert not agent_store(state_dir).exists()


def test_key_choice_infers_from_its_flag_and_skip_writes_nothing(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli(*ONBOARD, "--gemini-api-key", "-", "--json", input="AIzaFAKEgeminiKEY0001")
    assert result.returncode == 0 and json.loads(result.stdout)["authChoice"] == "gemini-api-key"
    result = run_cli(*ONBOARD, "--auth-choice", "skip")
    assert result.returncode == 0 and "nothing was written" in result.stdout


def test_catalogue_providers_without_a_coderclaw_flag_take_their_env_var(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli(*ONBOARD, "--auth-choice", "mistral-api-key", env={"MISTRAL_API_KEY": "FAKEmistralKEY0001"})
    assert result.returncode == 0, result.stderr
    assert stored(state_dir)["mistral:default"] == api_key("mistral", "FAKEmistralKEY0001")
    line = refused(run_cli(*ONBOARD, "--auth-choice", "groq-api-key"), 1)
    assert line == "coderclaw: Missing GROQ_API_KEY in the environment (or an existing groq API-key profile)."


def test_missing_key_names_both_forms_and_an_existing_profile_is_kept(state_dir: Path, run_cli: RunCli) -> None:
    line = refused(run_cli(*ONBOARD, "--auth-choice", "apiKey"), 1)
    assert "Missing --anthropic-api-key - (the key on stdin), or ANTHROPIC_API_KEY in the environment" in line
    store = write_store(agent_store(state_dir), {"anthropic:default": api_key("anthropic", "sk-ant-api03-FAKEkept0001")})
    before = store.read_bytes()
    result = run_cli(*ONBOARD, "--auth-choice", "apiKey")
    assert result.returncode == 0 and "nothing was changed" in result.stdout
    assert store.read_bytes() == before


def test_someone_elses_profile_is_never_overwritten(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"anthropic:default": token("anthropic", SETUP_TOKEN)})
    result = run_cli(*ONBOARD, "--anthropic-api-key", "-", input="sk-ant-api03-FAKEnewKEY0001")
    assert result.returncode == 0, result.stderr
    assert "saved as anthropic:default-2" in result.stdout
    profiles = stored(state_dir)
    assert profiles["anthropic:default"] == token("anthropic", SETUP_TOKEN)
    assert profiles["anthropic:default-2"] == api_key("anthropic", "sk-ant-api03-FAKEnewKEY0001")
    line = refused(run_cli(*ONBOARD, "--token-provider", "anthropic", "--token", "-", "--token-profile-id", "anthropic:default-2", input=SETUP_TOKEN), 1)
    assert "anthropic:default-2 already holds" in line and "nothing was written" in line
    assert stored(state_dir) == profiles


def test_an_agent_gets_the_login_in_its_own_store(state_dir: Path, run_cli: RunCli) -> None:
    assert run_cli("agents", "add", "work").returncode == 0
    result = run_cli(*ONBOARD, "--agent", "work", "--openrouter-api-key", "-", input="sk-or-FAKEkey0001")
    assert result.returncode == 0, result.stderr
    assert stored(state_dir, "work")["openrouter:default"] == api_key("openrouter", "sk-or-FAKEkey0001")
    assert "openrouter:default" not in stored(state_dir)


def test_stdin_that_is_a_terminal_is_refused(state_dir: Path) -> None:
    """`-` means stdin; a terminal there would mean a prompt, which a non-interactive run never shows."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "coderclaw_tui", *ONBOARD, "--anthropic-api-key", "-"],
            stdin=terminal, capture_output=True, text=True, timeout=60, env={**os.environ},
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2 and "stdin is a terminal" in result.stderr
    assert not agent_store(state_dir).exists()


def test_never_imports_textual(run_cli: RunCli) -> None:
    script = (
        "import contextlib, io, sys\n"
        "from coderclaw_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['onboard', '--non-interactive', '--accept-risk', '--anthropic-api-key', '-'])\n"
        "print(code, 'textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], input="sk-ant-api03-FAKEkey0001", capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["0", "False"], result.stderr


def test_cloudflare_gateway_needs_its_ids_and_stores_them_as_metadata(state_dir: Path, run_cli: RunCli) -> None:
    line = refused(run_cli(*ONBOARD, "--cloudflare-ai-gateway-api-key", "-", "--cloudflare-ai-gateway-account-id", "acct1"))
    assert line == "coderclaw: --auth-choice cloudflare-ai-gateway-api-key needs --cloudflare-ai-gateway-gateway-id."
    result = run_cli(
        *ONBOARD, "--cloudflare-ai-gateway-api-key", "-",
        "--cloudflare-ai-gateway-account-id", "acct1", "--cloudflare-ai-gateway-gateway-id", "gw1",
        input="FAKEcloudflareKEY0001",
    )
    assert result.returncode == 0, result.stderr
    assert stored(state_dir)["cloudflare-ai-gateway:default"] == {
        **api_key("cloudflare-ai-gateway", "FAKEcloudflareKEY0001"), "metadata": {"accountId": "acct1", "gatewayId": "gw1"}
    }
    gateway = config(state_dir)["models"]["providers"]["cloudflare-ai-gateway"]
    assert gateway["baseUrl"] == "https://gateway.ai.cloudflare.com/v1/acct1/gw1/anthropic"
    assert "FAKEcloudflareKEY0001" not in json.dumps(config(state_dir)), "the key stays in the auth store"


def test_custom_provider_goes_to_the_config_as_coderclaw_keeps_it(state_dir: Path, run_cli: RunCli) -> None:
    line = refused(run_cli(*ONBOARD, "--auth-choice", "custom-api-key", "--custom-model-id", "m1"))
    assert line == "coderclaw: --auth-choice custom-api-key needs --custom-base-url."
    result = run_cli(
        *ONBOARD, "--custom-api-key", "-", "--custom-base-url", "http://127.0.0.1:9/v1/", "--custom-model-id", "m1",
        "--custom-provider-id", "lab", "--custom-compatibility", "anthropic", "--json",
        input="FAKEcustomKEY0001",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["profileId"] is None and report["authChoice"] == "custom-api-key"
    lab = config(state_dir)["models"]["providers"]["lab"]
    assert lab["baseUrl"] == "http://127.0.0.1:9/v1" and lab["api"] == "anthropic-messages" and lab["apiKey"] == "FAKEcustomKEY0001"
    assert stored(state_dir) == {}
    assert "FAKEcustomKEY0001" not in result.stdout
    keyless = run_cli(*ONBOARD, "--auth-choice", "custom-api-key", "--custom-base-url", "http://127.0.0.1:8/v1", "--custom-model-id", "m2")
    assert keyless.returncode == 0, keyless.stderr
    assert "apiKey" not in config(state_dir)["models"]["providers"]["custom"]


def test_a_custom_endpoint_keeps_its_models_and_key_when_logged_in_again(state_dir: Path, run_cli: RunCli) -> None:
    """CoderClaw keeps an existing custom provider's models (the new one added, or updated by id) and its apiKey
    when the new one is blank; the same id for the same base URL is the same endpoint, no suffix."""
    flags = ("--auth-choice", "custom-api-key", "--custom-base-url", "http://127.0.0.1:9/v1", "--custom-provider-id", "lab")
    first = run_cli(*ONBOARD, *flags, "--custom-model-id", "m1", "--custom-api-key", "-", input="FAKEcustomKEY0001")
    assert first.returncode == 0, first.stderr
    again = run_cli(*ONBOARD, *flags, "--custom-model-id", "m2")
    assert again.returncode == 0, again.stderr
    same_model = run_cli(*ONBOARD, *flags, "--custom-model-id", "m1")
    assert same_model.returncode == 0, same_model.stderr
    providers = config(state_dir)["models"]["providers"]
    assert set(providers) == {"lab"}
    assert [m["id"] for m in providers["lab"]["models"]] == ["m1", "m2"]
    assert providers["lab"]["apiKey"] == "FAKEcustomKEY0001"
    assert config(state_dir)["agents"]["defaults"]["model"]["primary"] == "lab/m1"


def test_openai_key_also_lands_in_the_env_file_coderclaw_reads(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli(*ONBOARD, "--openai-api-key", "-", "--json", input="sk-proj-FAKEopenaiKEY0001")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["envFile"] == str(state_dir / ".env")
    assert (state_dir / ".env").read_text() == "OPENAI_API_KEY=sk-proj-FAKEopenaiKEY0001\n"
    assert "sk-proj-FAKEopenaiKEY0001" not in result.stdout
