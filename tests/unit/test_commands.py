"""SPEC 2, 6, 7 through the installed command: what a user or a script sees, and what lands on disk."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
FIXTURES = Path(__file__).parent.parent / "fixtures"
HOUR = 3600 * 1000
DAY = 24 * HOUR
SETUP_TOKEN = "sk-ant-oat01-" + "FAKEsetupTOKEN" * 6


def now_ms() -> int:
    return int(time.time() * 1000)


def agent_store(state_dir: Path, agent: str = "main") -> Path:
    return state_dir / "agents" / agent / "agent" / "auth-profiles.json"


def write_store(path: Path, profiles: dict[str, Any], **sections: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": profiles, **sections}, indent=2) + "\n")
    return path


def write_config(state_dir: Path, config: dict[str, Any]) -> Path:
    path = state_dir / "coderclaw.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def api_key(provider: str, key: str) -> dict[str, Any]:
    return {"type": "api_key", "provider": provider, "key": key}


def token(provider: str, value: str, expires: int | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"type": "token", "provider": provider, "token": value}
    if expires is not None:
        record["expires"] = expires
    return record


def oauth(provider: str, expires: int, refresh: str = "FAKE-refresh-0000", **extra: Any) -> dict[str, Any]:
    return {
        "type": "oauth",
        "provider": provider,
        "access": "FAKE-access-0000",
        "refresh": refresh,
        "expires": expires,
        **extra,
    }


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def status_json(run_cli: RunCli, *extra: str) -> dict[str, Any]:
    result = run_cli("models", "status", "--json", *extra)
    return json.loads(result.stdout)


def states(report: dict[str, Any]) -> dict[str, str]:
    return {p["profileId"]: p["state"] for p in report["profiles"]}


# models status and --check


def test_check_is_0_when_everything_is_ok_or_static(state_dir: Path, run_cli: RunCli) -> None:
    write_store(
        agent_store(state_dir),
        {
            "anthropic:default": api_key("anthropic", "sk-ant-api03-FAKE-0001"),
            "github-copilot:github": token("github-copilot", "ghu_FAKE-0001"),
            "openai-codex:default": oauth("openai-codex", now_ms() + 30 * DAY),
            "anthropic:year": token("anthropic", SETUP_TOKEN, now_ms() + 300 * DAY),
        },
    )
    result = run_cli("models", "status", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert states(status_json(run_cli)) == {
        "anthropic:default": "static",
        "anthropic:year": "ok",
        "github-copilot:github": "static",
        "openai-codex:default": "ok",
    }


def test_the_fixture_store_and_config_check_clean(main_store: Path, config_file: Path, run_cli: RunCli) -> None:
    """CoderClaw's own files, with an unknown-type entry in them, are healthy: the entry is kept but not offered."""
    result = run_cli("models", "status", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    report = status_json(run_cli)
    assert (
        report["profiles"][[p["profileId"] for p in report["profiles"]].index("mystery:default")]["state"] == "unusable"
    )
    listing = run_cli("models", "auth", "list")
    assert "not offered: unknown type 'session_cookie'" in listing.stdout


def test_check_is_2_when_a_token_expires_within_24h(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"anthropic:soon": token("anthropic", SETUP_TOKEN, now_ms() + 3 * HOUR)})
    result = run_cli("models", "status", "--check")
    assert result.returncode == 2, result.stdout
    assert "expiring" in result.stdout
    assert "in 2h 59m" in result.stdout or "in 3h" in result.stdout


def test_check_is_1_when_a_token_is_expired_without_refresh(state_dir: Path, run_cli: RunCli) -> None:
    write_store(
        agent_store(state_dir),
        {
            "anthropic:old": token("anthropic", SETUP_TOKEN, now_ms() - HOUR),
            "openai:k": api_key("openai", "sk-FAKE-0001"),
        },
    )
    result = run_cli("models", "status", "--check")
    assert result.returncode == 1
    assert states(status_json(run_cli))["anthropic:old"] == "expired"


def test_check_is_1_for_an_expired_oauth_without_refresh_token(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"openai-codex:default": oauth("openai-codex", now_ms() - HOUR, refresh="")})
    assert run_cli("models", "status", "--check").returncode == 1
    assert states(status_json(run_cli))["openai-codex:default"] == "expired"


def test_check_is_1_when_a_profile_needs_relogin(state_dir: Path, run_cli: RunCli) -> None:
    write_store(
        agent_store(state_dir),
        {"openai-codex:default": oauth("openai-codex", now_ms() + DAY * 3, needsRelogin="refresh_token_reused")},
    )
    result = run_cli("models", "status", "--check")
    assert result.returncode == 1
    assert "needs re-login" in result.stdout
    assert "coderclaw models auth login --provider openai-codex" in result.stdout


def test_check_is_1_when_a_provider_in_config_has_no_profile(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"anthropic:default": api_key("anthropic", "sk-ant-api03-FAKE-0001")})
    write_config(state_dir, {"auth": {"profiles": {"openai:default": {"provider": "openai", "mode": "api_key"}}}})
    result = run_cli("models", "status", "--check")
    assert result.returncode == 1
    assert "coderclaw models auth login --provider openai" in result.stdout
    assert status_json(run_cli)["missingProvidersInUse"] == ["openai"]


def test_expired_oauth_with_refresh_token_says_so_instead_of_ok(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"openai-codex:default": oauth("openai-codex", now_ms() - HOUR)})
    result = run_cli("models", "status", "--check")
    assert result.returncode == 0, "a refreshable token is not a problem for --check"
    assert "expired (refreshable)" in result.stdout
    assert states(status_json(run_cli)) == {"openai-codex:default": "expired (refreshable)"}


def test_oauth_counts_as_expired_60s_early(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"openai-codex:default": oauth("openai-codex", now_ms() + 30_000)})
    assert states(status_json(run_cli)) == {"openai-codex:default": "expired (refreshable)"}


def test_unrefreshable_oauth_expiring_within_24h_warns(state_dir: Path, run_cli: RunCli) -> None:
    """An OAuth access token with no refresh token dies at `expires` like a static token: 3 h left is a
    warning (exit 2), not "ok". (With a refresh token a short life is routine and stays quiet.)"""
    write_store(
        agent_store(state_dir),
        {
            "openai-codex:norefresh": oauth("openai-codex", now_ms() + 3 * HOUR, refresh=""),
            "openai-codex:refreshable": oauth("openai-codex", now_ms() + 3 * HOUR),
        },
    )
    report = status_json(run_cli)
    assert states(report)["openai-codex:refreshable"] == "ok"
    assert states(report)["openai-codex:norefresh"] == "expiring"
    assert run_cli("models", "status", "--check").returncode == 2


def test_status_json_shape(state_dir: Path, main_store: Path, run_cli: RunCli) -> None:
    report = status_json(run_cli)
    assert set(report) >= {  # CoderClaw's own keys come beside these (tests/unit/test_compat_json.py)
        "stateDir",
        "agentId",
        "agentDir",
        "storePath",
        "profiles",
        "missingProvidersInUse",
        "problems",
        "checkExitCode",
    }
    assert report["agentId"] == "main"
    assert report["agentDir"] == str(main_store.parent)
    assert report["storePath"] == str(main_store)
    assert report["problems"] == [] and report["missingProvidersInUse"] == [] and report["checkExitCode"] == 0
    keys = {
        "profileId",
        "provider",
        "type",
        "identity",
        "secret",
        "expires",
        "remainingMs",
        "state",
        "detail",
        "ownerAgent",
        "storePath",
    }
    assert all(set(p) == keys for p in report["profiles"])
    codex = next(p for p in report["profiles"] if p["profileId"] == "openai-codex:dev@example.test")
    assert codex["identity"] == "dev@example.test" and codex["type"] == "oauth" and codex["expires"] == 4102444800000
    assert codex["secret"].startswith("eyJ") and "…" in codex["secret"] and codex["secret"].endswith("DDDD")
    anthropic = [p["profileId"] for p in report["profiles"] if p["provider"] == "anthropic"]
    assert anthropic == ["anthropic:work", "anthropic:default"], "the store's explicit order is the display order"


def test_check_exit_code_in_json_matches_the_real_one(state_dir: Path, run_cli: RunCli) -> None:
    write_store(agent_store(state_dir), {"anthropic:soon": token("anthropic", SETUP_TOKEN, now_ms() + HOUR)})
    result = run_cli("models", "status", "--json", "--check")
    assert json.loads(result.stdout)["checkExitCode"] == result.returncode == 2


def test_status_with_nothing_says_how_to_start(run_cli: RunCli) -> None:
    result = run_cli("models", "status")
    assert result.returncode == 0
    assert "coderclaw onboard" in result.stdout



@pytest.mark.parametrize("store_text", ["{not json", None])
def test_status_collects_garbage_again_once_it_has_printed(
    state_dir: Path, store_text: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Status pauses the cyclic collector while it reads and prints thousands of profiles; the process (or a
    caller running it in-process) gets it back, whether the command succeeded or failed."""
    import gc

    from coderclaw_tui.cli import main

    path = write_store(agent_store(state_dir), {"openai:main": api_key("openai", "sk-FAKE-" + "k" * 30)})
    if store_text is not None:
        path.write_text(store_text)
    assert gc.isenabled()
    code = main(["models", "status"])
    out, err = capsys.readouterr()
    assert gc.isenabled()
    assert (code, "openai:main" in out) == ((1, False) if store_text else (0, True)), err


# Sub-agents read through to main


@pytest.fixture
def two_agents(state_dir: Path) -> tuple[Path, Path]:
    main = write_store(
        agent_store(state_dir),
        {
            "anthropic:default": api_key("anthropic", "sk-ant-api03-FAKE-MAINKEY-0001"),
            "openai:shared": token("openai", "FAKE-main-shared-token-0001"),
        },
        order={"anthropic": ["anthropic:default"]},
    )
    work = write_store(
        agent_store(state_dir, "work"),
        {
            "openai:shared": token("openai", "FAKE-work-shared-token-0002"),
            "github-copilot:github": token("github-copilot", "ghu_FAKE-work-0002"),
        },
    )
    write_config(state_dir, {"agents": {"list": [{"id": "main"}, {"id": "work"}]}})
    return main, work


def test_sub_agent_overrides_main_key_by_key(two_agents: tuple[Path, Path], run_cli: RunCli) -> None:
    main, work = two_agents
    report = status_json(run_cli, "--agent", "work")
    owners = {p["profileId"]: p["ownerAgent"] for p in report["profiles"]}
    assert owners == {"anthropic:default": "main", "openai:shared": "work", "github-copilot:github": "work"}
    token_out = run_cli("models", "auth", "token", "--provider", "openai", "--agent", "work")
    assert token_out.stdout == "FAKE-work-shared-token-0002\n"
    assert run_cli("models", "auth", "token", "--provider", "openai").stdout == "FAKE-main-shared-token-0001\n"


def test_inherited_profile_is_shown_as_from_main(two_agents: tuple[Path, Path], run_cli: RunCli) -> None:
    human = run_cli("models", "status", "--agent", "work").stdout
    assert "anthropic:default  [from main]" in human
    assert "openai:shared  [from" not in human
    listing = json.loads(run_cli("models", "auth", "list", "--json", "--agent", "work").stdout)
    assert {p["profileId"]: p["ownerAgent"] for p in listing["profiles"]}["anthropic:default"] == "main"


def test_logout_of_an_inherited_profile_is_refused(two_agents: tuple[Path, Path], run_cli: RunCli) -> None:
    main, work = two_agents
    before = (main.read_bytes(), work.read_bytes())
    result = run_cli("models", "auth", "logout", "anthropic:default", "--agent", "work")
    assert result.returncode != 0
    assert "--agent main" in one_line(result.stderr)
    assert (main.read_bytes(), work.read_bytes()) == before


def test_nothing_is_ever_copied_into_a_sub_agent_store(
    two_agents: tuple[Path, Path], state_dir: Path, run_cli: RunCli
) -> None:
    """Reads leave a store-less sub-agent (a folder CoderClaw made) without a store; its first write holds only
    what was asked, never main's credentials (a copied refresh token forks the token family)."""
    fresh = agent_store(state_dir, "fresh")
    fresh.parent.mkdir(parents=True)
    for args in (
        ("models", "status", "--agent", "fresh"),
        ("models", "auth", "list", "--agent", "fresh"),
        ("models", "auth", "token", "--provider", "anthropic", "--agent", "fresh"),
        ("models", "auth", "order", "get", "--provider", "anthropic", "--agent", "fresh"),
    ):
        assert run_cli(*args).returncode == 0, args
        assert not fresh.exists(), args
    assert (
        run_cli("models", "auth", "token", "--provider", "anthropic", "--agent", "fresh").stdout
        == "sk-ant-api03-FAKE-MAINKEY-0001\n"
    )
    result = run_cli(
        "models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default", "--agent", "fresh"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(fresh.read_text()) == {
        "version": 1,
        "profiles": {},
        "order": {"anthropic": ["anthropic:default"]},
    }
    assert "MAINKEY" not in fresh.read_text()


# order


def test_order_set_refuses_unknown_ids(main_store: Path, run_cli: RunCli) -> None:
    before = main_store.read_bytes()
    result = run_cli("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:work", "anthropic:nope")
    assert result.returncode != 0
    assert "anthropic:nope" in one_line(result.stderr)
    assert main_store.read_bytes() == before


def test_order_set_refuses_ids_of_another_provider(main_store: Path, run_cli: RunCli) -> None:
    before = main_store.read_bytes()
    result = run_cli("models", "auth", "order", "set", "--provider", "anthropic", "github-copilot:github")
    assert result.returncode != 0
    assert "github-copilot:github" in one_line(result.stderr) and "github-copilot" in result.stderr
    assert main_store.read_bytes() == before


def test_order_get_json_is_coderclaws_shape(main_store: Path, run_cli: RunCli) -> None:
    out = json.loads(run_cli("models", "auth", "order", "get", "--provider", "anthropic", "--json").stdout)
    assert out == {
        "agentId": "main",
        "agentDir": str(main_store.parent),
        "provider": "anthropic",
        "authStorePath": str(main_store),
        "order": ["anthropic:work", "anthropic:default"],
    }


# paste-token


def test_paste_token_reads_stdin_and_strips_line_breaks(state_dir: Path, run_cli: RunCli) -> None:
    half = len(SETUP_TOKEN) // 2
    wrapped = SETUP_TOKEN[:half] + "\r\n" + SETUP_TOKEN[half:] + "\n"
    result = run_cli("models", "auth", "paste-token", "--provider", "anthropic", input=wrapped)
    assert result.returncode == 0, result.stderr
    stored = json.loads(agent_store(state_dir).read_text())["profiles"]
    assert stored == {"anthropic:manual": {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN}}


def test_paste_token_expires_in(state_dir: Path, run_cli: RunCli) -> None:
    before = now_ms()
    result = run_cli(
        "models", "auth", "paste-token", "--provider", "openai", "--expires-in", "365d", input="FAKE-tok-1\n"
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(agent_store(state_dir).read_text())["profiles"]["openai:manual"]
    assert before + 365 * DAY <= record["expires"] <= now_ms() + 365 * DAY


@pytest.mark.parametrize(
    ("pasted", "why"),
    [
        ("ac_FAKEcode123#FAKEstate456", "code#state"),
        (SETUP_TOKEN + "#state", "code#state"),
        ("sk-ant-oat01-tooShort", "too short"),
        ("sk-ant-api03-" + "x" * 90, "starting with sk-ant-oat01-"),
        ("   \n", "empty"),
    ],
    ids=["code-state", "token-with-hash", "short", "wrong-prefix", "empty"],
)
def test_paste_token_refuses_bad_anthropic_tokens_and_stores_nothing(
    state_dir: Path, run_cli: RunCli, pasted: str, why: str
) -> None:
    result = run_cli("models", "auth", "paste-token", "--provider", "anthropic", input=pasted)
    assert result.returncode != 0
    assert why in one_line(result.stderr)
    assert not agent_store(state_dir).exists()
    assert not (state_dir / "coderclaw.json").exists()


def test_paste_token_refuses_overwriting_another_type(main_store: Path, config_file: Path, run_cli: RunCli) -> None:
    before = (main_store.read_bytes(), config_file.read_bytes())
    result = run_cli(
        "models",
        "auth",
        "paste-token",
        "--provider",
        "anthropic",
        "--profile-id",
        "anthropic:default",
        input=SETUP_TOKEN,
    )
    assert result.returncode != 0
    assert "already holds an API key" in one_line(result.stderr)
    assert (main_store.read_bytes(), config_file.read_bytes()) == before


def test_paste_token_refuses_a_profile_id_of_another_provider(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli(
        "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "anthropic:x", input="FAKE-1"
    )
    assert result.returncode != 0
    assert "openai:" in one_line(result.stderr)
    assert not agent_store(state_dir).exists()


@pytest.mark.parametrize(
    ("provider", "pasted", "stored"),
    [
        ("openai", 'export OPENAI_API_KEY="sk-FAKE-exported-0001";\n', "sk-FAKE-exported-0001"),
        ("openai", "OPENAI_API_KEY='sk-FAKE-assigned-0002'", "sk-FAKE-assigned-0002"),
        ("anthropic", f'export CLAUDE_CODE_OAUTH_TOKEN="{SETUP_TOKEN}"', SETUP_TOKEN),
    ],
    ids=["export-double-quotes", "assignment-single-quotes", "setup-token-export"],
)
def test_paste_token_stores_the_value_of_a_pasted_shell_assignment(
    state_dir: Path, run_cli: RunCli, provider: str, pasted: str, stored: str
) -> None:
    """The same clean-up as the wizard's paste field (SPEC 5): `token` then prints the secret, not the shell line."""
    result = run_cli("models", "auth", "paste-token", "--provider", provider, input=pasted)
    assert result.returncode == 0, result.stderr
    assert json.loads(agent_store(state_dir).read_text())["profiles"][f"{provider}:manual"]["token"] == stored
    printed = run_cli("models", "auth", "token", "--provider", provider)
    assert printed.stdout == stored + "\n"


@pytest.mark.parametrize(
    ("provider", "says"),
    [
        ("nosuch", 'Unknown provider "nosuch". Known providers: openai-codex, openai, anthropic, chutes,'),
        ("github-copilot", "GitHub Copilot has no token to paste (it offers: GitHub device login); run `coderclaw"),
        ("codex", "OpenAI Codex (ChatGPT subscription) has no token to paste (it offers: Sign in with ChatGPT, ChatGPT device code)"),
    ],
    ids=["unknown", "device-code-only", "oauth-only-alias"],
)
def test_paste_token_refuses_providers_without_a_token_to_paste(
    state_dir: Path, run_cli: RunCli, provider: str, says: str
) -> None:
    result = run_cli("models", "auth", "paste-token", "--provider", provider, input="FAKE-tok-1")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("coderclaw: " + says)
    assert not state_dir.exists()


@pytest.mark.parametrize(
    "profile_id",
    ["openai:my key", "openai:", "openai", "openai:a\tb", "openai:\x1b]0;x\x07", "openai:\u202egnp", "openai:" + "k" * 122],
    ids=["space", "empty-name", "no-colon", "tab", "escape-sequence", "bidi-override", "129-characters"],
)
def test_paste_token_refuses_a_profile_id_against_the_rule_and_says_the_rule(
    state_dir: Path, run_cli: RunCli, profile_id: str
) -> None:
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", profile_id, input="FAKE-1")
    assert result.returncode == 2
    message = one_line(result.stderr)
    assert message == (
        "coderclaw: That --profile-id cannot be used: profile ids are openai:<name>, at most 128 characters, "
        "with no spaces or control characters."
    )
    assert not state_dir.exists()


def test_paste_token_takes_a_profile_id_of_exactly_128_characters(state_dir: Path, run_cli: RunCli) -> None:
    profile_id = "openai:" + "k" * 121
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", profile_id, input="FAKE-1")
    assert result.returncode == 0, result.stderr
    assert list(json.loads(agent_store(state_dir).read_text())["profiles"]) == [profile_id]


# token


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--provider", "anthropic"),
            "sk-ant-oat01-FAKE-setup-token-for-tests-only-1111111111111111111111111111111111-BBBB",
        ),
        (
            ("--provider", "anthropic", "--profile-id", "anthropic:default"),
            "sk-ant-api03-FAKE-apikey-for-tests-only-0000000000000000000000000000-AAAA",
        ),
        (("--provider", "github-copilot"), "ghu_FAKEcopilotTokenForTestsOnly2222222222CCCC"),
        (("--provider", "openai-codex"), "eyJhbGciOiJub25lIn0.FAKE-codex-access-for-tests-only-3333333333.DDDD"),
    ],
    ids=["first-in-order", "named-api-key", "static-token", "fresh-oauth"],
)
def test_token_prints_the_usable_secret_for_scripts(
    main_store: Path, run_cli: RunCli, args: tuple[str, ...], expected: str
) -> None:
    result = run_cli("models", "auth", "token", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected + "\n"
    assert result.stderr == ""


def test_token_skips_an_expired_token_for_the_next_usable_one(state_dir: Path, run_cli: RunCli) -> None:
    write_store(
        agent_store(state_dir),
        {
            "openai:old": token("openai", "FAKE-old-0001", now_ms() - HOUR),
            "openai:good": api_key("openai", "sk-FAKE-good-0002"),
        },
        order={"openai": ["openai:old", "openai:good"]},
    )
    assert run_cli("models", "auth", "token", "--provider", "openai").stdout == "sk-FAKE-good-0002\n"


@pytest.mark.parametrize(
    "profiles",
    [
        {},
        {"openai:old": token("openai", "FAKE-old-0001", 1_000_000)},
        {"openai:dead": oauth("openai", 4102444800000, needsRelogin="invalid_grant")},
        {"openai:odd": {"type": "session_cookie", "provider": "openai", "cookie": "FAKE-c"}},
    ],
    ids=["none", "expired-token", "needs-relogin", "unknown-type"],
)
def test_token_fails_with_the_login_command_when_none_is_usable(
    state_dir: Path, run_cli: RunCli, profiles: dict[str, Any]
) -> None:
    write_store(agent_store(state_dir), profiles)
    result = run_cli("models", "auth", "token", "--provider", "openai")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "`coderclaw models auth login --provider openai`" in one_line(result.stderr)


def test_token_refuses_a_profile_of_another_provider(main_store: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "token", "--provider", "openai-codex", "--profile-id", "anthropic:default")
    assert result.returncode != 0 and result.stdout == ""
    assert "anthropic" in one_line(result.stderr)


# logout


def test_logout_unknown_profile_is_one_sentence(main_store: Path, run_cli: RunCli) -> None:
    before = main_store.read_bytes()
    result = run_cli("models", "auth", "logout", "anthropic:nope")
    assert result.returncode != 0
    assert "anthropic:nope" in one_line(result.stderr)
    assert main_store.read_bytes() == before


# agents


def test_agents_add_refuses_reserved_main(state_dir: Path, run_cli: RunCli) -> None:
    for raw in ("main", "MAIN", " Main "):
        result = run_cli("agents", "add", raw)
        assert result.returncode != 0
        assert "reserved" in one_line(result.stderr)
    assert not (state_dir / "coderclaw.json").exists()


def test_agents_add_writes_main_first_then_the_agent(state_dir: Path, run_cli: RunCli) -> None:
    result = run_cli("agents", "add", "Ops Team", "--name", "Ops", "--json")
    assert result.returncode == 0, result.stderr
    agent_dir = state_dir / "agents" / "ops-team" / "agent"
    assert json.loads(result.stdout) == {
        "agentId": "ops-team",
        "name": "Ops",
        "workspace": str(state_dir / "workspace-ops-team"),
        "agentDir": str(agent_dir),
    }
    config = json.loads((state_dir / "coderclaw.json").read_text())
    assert config["agents"]["list"] == [
        {"id": "main"},
        {
            "id": "ops-team",
            "name": "Ops",
            "workspace": str(state_dir / "workspace-ops-team"),
            "agentDir": str(agent_dir),
        },
    ]
    assert agent_dir.is_dir()
    store = agent_store(state_dir, "ops-team")
    assert store.read_text() == '{\n  "version": 1,\n  "profiles": {}\n}\n', "its own empty store: no copy of main's"
    assert store.stat().st_mode & 0o777 == 0o600


def test_agents_add_refuses_a_duplicate(state_dir: Path, run_cli: RunCli) -> None:
    assert run_cli("agents", "add", "ops").returncode == 0
    config = (state_dir / "coderclaw.json").read_bytes()
    result = run_cli("agents", "add", "OPS", "--workspace", "/elsewhere")
    assert result.returncode != 0
    assert "already exists" in one_line(result.stderr)
    assert (state_dir / "coderclaw.json").read_bytes() == config


def test_agents_list_from_the_json5_config(
    main_store: Path, config_file: Path, state_dir: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    listed = json.loads(run_cli("agents", "list", "--json").stdout)
    assert [a["agentId"] for a in listed] == ["main", "research"]
    assert listed[0]["profiles"] == 6
    research = listed[1]
    assert research["agentDir"] == str(tmp_path / "home" / "elsewhere" / "research" / "agent")
    assert research["name"] == "Research" and research["configured"] is True
    human = run_cli("agents", "list").stdout
    assert "research" in human and "Research" in human


def test_explicit_agent_dir_from_config_is_where_its_store_lives(
    config_file: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--agent", "research", input="FAKE-r-1")
    assert result.returncode == 0, result.stderr
    store = tmp_path / "home" / "elsewhere" / "research" / "agent" / "auth-profiles.json"
    assert json.loads(store.read_text())["profiles"]["openai:manual"]["token"] == "FAKE-r-1"


# Legacy import


def test_legacy_oauth_json_appears_as_default_oauth_profiles_for_main(state_dir: Path, run_cli: RunCli) -> None:
    legacy = state_dir / "credentials" / "oauth.json"
    legacy.parent.mkdir(parents=True)
    content = json.dumps(
        {
            "openai-codex": {
                "access": "FAKE-legacy-access-1",
                "refresh": "FAKE-legacy-refresh-1",
                "expires": 4102444800000,
                "accountId": "acct-1",
            },
            "anthropic": {
                "access": "FAKE-legacy-access-2",
                "refresh": "FAKE-legacy-refresh-2",
                "expires": 4102444800000,
            },
        }
    )
    legacy.write_text(content)
    listing = json.loads(run_cli("models", "auth", "list", "--json").stdout)
    assert {(p["profileId"], p["type"], p["ownerAgent"]) for p in listing["profiles"]} == {
        ("openai-codex:default", "oauth", "main"),
        ("anthropic:default", "oauth", "main"),
    }
    assert run_cli("models", "auth", "token", "--provider", "openai-codex").stdout == "FAKE-legacy-access-1\n"

    result = run_cli("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default")
    assert result.returncode == 0, result.stderr
    stored = json.loads(agent_store(state_dir).read_text())["profiles"]
    assert stored["openai-codex:default"] == {
        "type": "oauth",
        "provider": "openai-codex",
        "access": "FAKE-legacy-access-1",
        "refresh": "FAKE-legacy-refresh-1",
        "expires": 4102444800000,
        "accountId": "acct-1",
    }
    assert stored["anthropic:default"]["refresh"] == "FAKE-legacy-refresh-2"
    assert legacy.read_text() == content, "oauth.json is import-only and never deleted"


def test_legacy_oauth_json_is_not_seeded_into_a_sub_agent(state_dir: Path, run_cli: RunCli) -> None:
    legacy = state_dir / "credentials" / "oauth.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"openai-codex": {"access": "FAKE-a", "refresh": "FAKE-r", "expires": 4102444800000}}))
    assert run_cli("agents", "add", "work").returncode == 0
    assert json.loads(agent_store(state_dir, "work").read_text())["profiles"] == {}
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--agent", "work", input="FAKE-w-1")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(agent_store(state_dir, "work").read_text())["profiles"]) == {"openai:manual"}


def test_legacy_auth_json_is_migrated_on_the_first_write(state_dir: Path, run_cli: RunCli) -> None:
    agent_dir = agent_store(state_dir).parent
    agent_dir.mkdir(parents=True)
    (agent_dir / "auth.json").write_text(
        json.dumps(
            {"anthropic": {"type": "api_key", "key": "sk-ant-api03-FAKE-legacy-0001"}, "junk": "not a credential"}
        )
    )
    assert run_cli("models", "auth", "token", "--provider", "anthropic").stdout == "sk-ant-api03-FAKE-legacy-0001\n"
    assert not agent_store(state_dir).exists(), "reading alone does not write"
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="FAKE-new-1")
    assert result.returncode == 0, result.stderr
    assert json.loads(agent_store(state_dir).read_text())["profiles"] == {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE-legacy-0001"},
        "openai:manual": {"type": "token", "provider": "openai", "token": "FAKE-new-1"},
    }
