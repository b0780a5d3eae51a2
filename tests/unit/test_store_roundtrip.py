"""SPEC 2 and 6: a store and a config written by CoderClaw survive every command of ours unchanged except for
what the command was asked to change, byte for byte where CoderClaw would notice, and stay private on disk."""

from __future__ import annotations

import copy
import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import json5
import pytest

from coderclaw_tui.core.models import AuthProfileStore, OAuthCredential, ProfileUsageStats, credential_adapter
from coderclaw_tui.core.store import parse_store

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
FIXTURES = Path(__file__).parent.parent / "fixtures"
STORE_BYTES = (FIXTURES / "coderclaw_store.json").read_bytes()
ORIGINAL: dict[str, Any] = json.loads(STORE_BYTES)
CONFIG_BYTES = (FIXTURES / "coderclaw_config.json5").read_bytes()
CONFIG: dict[str, Any] = json5.loads(CONFIG_BYTES.decode())
TOP_KEYS = ["version", "profiles", "order", "lastGood", "usageStats", "x-coderclaw-future"]
NEW_TOKEN = "FAKE-openai-ci-token-for-tests-only-8888888888IIII"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def key_orders(value: Any, where: str = "$") -> list[tuple[str, list[str]]]:
    """Every object's key order, recursively: dict equality alone would not notice a reordering."""
    if isinstance(value, dict):
        out = [(where, list(value))]
        for key, child in value.items():
            out += key_orders(child, f"{where}.{key}")
        return out
    if isinstance(value, list):
        return [o for i, child in enumerate(value) for o in key_orders(child, f"{where}[{i}]")]
    return []


def test_fixture_is_exactly_what_coderclaw_writes() -> None:
    """Guards the other tests: `JSON.stringify(store, null, 2) + "\\n"` (no ASCII escaping) reproduces the file."""
    assert STORE_BYTES.decode("utf-8") == json.dumps(ORIGINAL, indent=2, ensure_ascii=False) + "\n"
    assert list(ORIGINAL) == TOP_KEYS
    assert {p["type"] for p in ORIGINAL["profiles"].values()} == {"api_key", "token", "oauth", "session_cookie"}


# Commands that only read


@pytest.mark.parametrize(
    "args",
    [
        ("models", "status"),
        ("models", "status", "--json"),
        ("models", "status", "--check"),
        ("models", "auth", "list"),
        ("models", "auth", "list", "--json", "--provider", "anthropic"),
        ("models", "auth", "order", "get", "--provider", "anthropic"),
        ("models", "auth", "token", "--provider", "github-copilot"),
        ("agents", "list", "--json"),
    ],
    ids=lambda a: " ".join(a),
)
def test_reading_commands_leave_store_and_config_bytes_alone(
    main_store: Path, config_file: Path, run_cli: RunCli, args
) -> None:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert main_store.read_bytes() == STORE_BYTES
    assert config_file.read_bytes() == CONFIG_BYTES
    assert not (config_file.parent / "coderclaw.json.bak").exists()
    assert sorted(p.name for p in main_store.parent.iterdir()) == ["auth-profiles.json"]


# Commands that write: exactly the asked-for change, the rest identical


def assert_only_change(path: Path, expected: dict[str, Any]) -> None:
    after = json.loads(path.read_bytes())
    assert after == expected
    assert key_orders(after) == key_orders(expected)
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_order_set_changes_only_that_provider(main_store: Path, config_file: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default", "anthropic:work")
    assert result.returncode == 0, result.stderr
    expected = copy.deepcopy(ORIGINAL)
    expected["order"]["anthropic"] = ["anthropic:default", "anthropic:work"]
    assert_only_change(main_store, expected)


def test_order_set_of_a_new_provider_appends_it(main_store: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "order", "set", "--provider", "github-copilot", "github-copilot:github")
    assert result.returncode == 0, result.stderr
    expected = copy.deepcopy(ORIGINAL)
    expected["order"]["github-copilot"] = ["github-copilot:github"]
    assert_only_change(main_store, expected)


def test_order_clear_drops_only_that_provider(main_store: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "auth", "order", "clear", "--provider", "anthropic")
    assert result.returncode == 0, result.stderr
    after = json.loads(main_store.read_bytes())
    assert "anthropic" not in after.get("order", {})
    expected = copy.deepcopy(ORIGINAL)
    if "order" in after:
        expected["order"] = {}
    else:
        del expected["order"]
    assert_only_change(main_store, expected)


def test_logout_of_another_profile_removes_it_and_its_references_only(
    main_store: Path, config_file: Path, run_cli: RunCli
) -> None:
    result = run_cli("models", "auth", "logout", "anthropic:default")
    assert result.returncode == 0, result.stderr
    expected = copy.deepcopy(ORIGINAL)
    del expected["profiles"]["anthropic:default"]
    expected["order"]["anthropic"] = ["anthropic:work"]
    del expected["usageStats"]["anthropic:default"]
    assert_only_change(main_store, expected)
    config = json.loads(config_file.read_text())
    expected_config = copy.deepcopy(CONFIG)
    expected_config["auth"]["order"]["anthropic"] = ["anthropic:work"]
    assert config == expected_config


def test_paste_token_of_a_new_profile_inserts_exactly_that_profile(main_store: Path, run_cli: RunCli) -> None:
    """The bytes are the original bytes with one profile spliced in at the end of `profiles`: nothing re-sorted,
    re-escaped (the non-ASCII label), dropped (unknown type, unknown fields, unknown top-level key) or reformatted."""
    result = run_cli(
        "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:ci", input=NEW_TOKEN + "\n"
    )
    assert result.returncode == 0, result.stderr
    text = STORE_BYTES.decode("utf-8")
    end_of_profiles = text.index('\n  },\n  "order": {')
    inserted = (
        ',\n    "openai:ci": {\n      "type": "token",\n      "provider": "openai",\n'
        f'      "token": "{NEW_TOKEN}"\n    }}'
    )
    expected_text = text[:end_of_profiles] + inserted + text[end_of_profiles:]
    assert main_store.read_text(encoding="utf-8") == expected_text
    assert list(json.loads(expected_text)) == TOP_KEYS


def test_paste_token_over_an_existing_token_replaces_it_in_place(main_store: Path, run_cli: RunCli) -> None:
    """Same id again: the credential is replaced where it was (the old expiry goes with the old token; a label
    another program set stays), the profile order in the file does not move."""
    new_token = "sk-ant-oat01-FAKE-new-setup-token-" + "9" * 50
    result = run_cli(
        "models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:work", input=new_token
    )
    assert result.returncode == 0, result.stderr
    expected = copy.deepcopy(ORIGINAL)
    label = expected["profiles"]["anthropic:work"]["label"]
    expected["profiles"]["anthropic:work"] = {"type": "token", "provider": "anthropic", "label": label, "token": new_token}
    assert_only_change(main_store, expected)


def test_agents_add_leaves_the_store_alone(main_store: Path, config_file: Path, run_cli: RunCli) -> None:
    result = run_cli("agents", "add", "ops", "--workspace", "/srv/ops")
    assert result.returncode == 0, result.stderr
    assert main_store.read_bytes() == STORE_BYTES


# The typed models are lossless too


def test_pydantic_models_round_trip_the_fixture_in_coderclaw_order() -> None:
    model = AuthProfileStore.model_validate(ORIGINAL)
    dumped = model.to_json()
    assert dumped == ORIGINAL
    assert key_orders(dumped) == key_orders(ORIGINAL)
    assert json.dumps(dumped, indent=2, ensure_ascii=False) + "\n" == STORE_BYTES.decode("utf-8")


@pytest.mark.parametrize(
    "profile_id", [k for k, v in ORIGINAL["profiles"].items() if v["type"] in ("api_key", "token", "oauth")]
)
def test_each_credential_model_round_trips_with_unknown_fields(profile_id: str) -> None:
    record = ORIGINAL["profiles"][profile_id]
    credential = credential_adapter.validate_python(record)
    assert credential.to_json() == record
    assert list(credential.to_json()) == list(record)
    assert AuthProfileStore.model_validate(ORIGINAL).credential(profile_id).to_json() == record


def test_usage_stats_model_round_trips_every_field() -> None:
    stats = ORIGINAL["usageStats"]["anthropic:default"]
    assert ProfileUsageStats.model_validate(stats).to_json() == stats
    assert list(ProfileUsageStats.model_validate(stats).to_json()) == list(stats)


def test_new_credential_is_written_in_coderclaw_key_order_without_nulls() -> None:
    made = OAuthCredential(provider="openai-codex", access="FAKE-a", refresh="FAKE-r", expires=1, accountId="acct")
    assert list(made.to_json()) == ["type", "provider", "access", "refresh", "expires", "accountId"]


def test_plain_store_parser_round_trips_bytes() -> None:
    """The sink's own (pydantic-free) path: parse then serialise gives the very same bytes."""
    assert parse_store(STORE_BYTES.decode(), Path("x")).serialize() == STORE_BYTES.decode("utf-8")


# The JSON5 config


def test_json5_config_keeps_content_and_its_backups(
    main_store: Path, config_file: Path, run_cli: RunCli
) -> None:
    backup = config_file.with_name("coderclaw.json.bak")
    first = run_cli(
        "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:ci", input=NEW_TOKEN
    )
    assert first.returncode == 0, first.stderr
    assert backup.read_bytes() == CONFIG_BYTES
    expected = copy.deepcopy(CONFIG)
    expected["auth"]["profiles"]["openai:ci"] = {"provider": "openai", "mode": "token"}
    assert json.loads(config_file.read_text()) == expected

    first_rewrite = config_file.read_bytes()
    second = run_cli("agents", "add", "ops", "--workspace", "/srv/ops")
    assert second.returncode == 0, second.stderr
    assert backup.read_bytes() == first_rewrite, "every rewrite backs up what it replaces (CoderClaw's rotation)"
    assert config_file.with_name("coderclaw.json.bak.1").read_bytes() == CONFIG_BYTES, "the commented original"
    expected["agents"]["list"].append(
        {"id": "ops", "workspace": "/srv/ops", "agentDir": str(config_file.parent / "agents" / "ops" / "agent")}
    )
    after = json.loads(config_file.read_text())
    assert after == expected
    assert key_orders(after) == key_orders(expected)


def test_login_into_a_provider_with_config_order_goes_to_its_front(
    main_store: Path, config_file: Path, run_cli: RunCli
) -> None:
    token = "sk-ant-oat01-" + "F" * 80
    result = run_cli(
        "models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:new", input=token
    )
    assert result.returncode == 0, result.stderr
    auth = json.loads(config_file.read_text())["auth"]
    assert auth["order"]["anthropic"] == ["anthropic:new", "anthropic:work", "anthropic:default"]
    assert auth["profiles"]["anthropic:new"] == {"provider": "anthropic", "mode": "token"}


def test_plain_json_config_is_backed_up_too(main_store: Path, state_dir: Path, run_cli: RunCli) -> None:
    config = state_dir / "coderclaw.json"
    config.write_text(json.dumps({"gateway": {"port": 1}}, indent=2) + "\n")
    before = config.read_bytes()
    assert run_cli("agents", "add", "ops").returncode == 0
    assert config.with_name("coderclaw.json.bak").read_bytes() == before
    assert json.loads(config.read_text())["gateway"] == {"port": 1}


def test_a_new_config_has_nothing_to_back_up(main_store: Path, state_dir: Path, run_cli: RunCli) -> None:
    assert run_cli("agents", "add", "ops").returncode == 0
    assert sorted(p.name for p in state_dir.glob("coderclaw.json*")) == ["coderclaw.json"]


# Permissions after every write

WRITES = {
    "paste-token": (("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:ci"), NEW_TOKEN),
    "order set": (("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default"), None),
    "order clear": (("models", "auth", "order", "clear", "--provider", "anthropic"), None),
    "logout": (("models", "auth", "logout", "github-copilot:github"), None),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_loose_modes_are_tightened_on_every_write(
    name: str, main_store: Path, config_file: Path, run_cli: RunCli
) -> None:
    """A store CoderClaw (or a user) left 0644 in a 0755 dir is 0600 in a 0700 dir after our write."""
    args, stdin = WRITES[name]
    main_store.chmod(0o644)
    main_store.parent.chmod(0o755)
    config_file.chmod(0o644)
    config_file.parent.chmod(0o755)
    result = run_cli(*args, input=stdin)
    assert result.returncode == 0, result.stderr
    assert main_store.read_bytes() != STORE_BYTES
    assert mode(main_store) == 0o600
    assert mode(main_store.parent) == 0o700
    if config_file.read_bytes() != CONFIG_BYTES:
        assert mode(config_file) == 0o600
        assert mode(config_file.parent) == 0o700


def test_fresh_state_is_created_private(state_dir: Path, run_cli: RunCli) -> None:
    """Nothing exists yet: every directory the first write creates is 0700 and every file 0600."""
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input=NEW_TOKEN)
    assert result.returncode == 0, result.stderr
    agent_dir = state_dir / "agents" / "main" / "agent"
    for directory in (state_dir, state_dir / "agents", state_dir / "agents" / "main", agent_dir):
        assert mode(directory) == 0o700, directory
    for file in [p for p in state_dir.rglob("*") if p.is_file()]:
        assert mode(file) == 0o600, file


def test_agents_add_creates_private_agent_dir_and_config(state_dir: Path, run_cli: RunCli) -> None:
    assert run_cli("agents", "add", "ops").returncode == 0
    assert mode(state_dir / "agents" / "ops" / "agent") == 0o700
    assert mode(state_dir / "agents" / "ops") == 0o700
    assert mode(state_dir / "coderclaw.json") == 0o600


def test_config_backup_is_private_too(main_store: Path, config_file: Path, run_cli: RunCli) -> None:
    """The backup holds the same content the rewrite protects with 0600; a 0644 copy beside it
    would undo that (configs can carry gateway tokens and provider keys)."""
    config_file.chmod(0o644)
    assert run_cli("agents", "add", "ops").returncode == 0
    assert mode(config_file) == 0o600
    assert mode(config_file.with_name("coderclaw.json.bak")) == 0o600


@pytest.mark.parametrize(
    ("nesting", "refused"), [(2, False), (500, False), (1001, True), (5000, True), (100_000, True)]
)
def test_nesting_past_1000_is_refused_and_ordinary_nesting_is_not(nesting: int, refused: bool) -> None:
    """SPEC 2: nesting deeper than 1000 does not parse. (Just under 1000, Python's C parser may stop first at the
    recursion limit: such a store is then also reported, never rewritten, which is the safe side.)"""
    from coderclaw_tui.core.jsonio import StrictJsonError, strict_loads

    text = '{"version": 1, "profiles": {}, "x": ' + "[" * (nesting - 1) + "]" * (nesting - 1) + "}"
    if refused:
        with pytest.raises(StrictJsonError, match="nesting deeper than 1000"):
            strict_loads(text)
    else:
        assert strict_loads(text)["version"] == 1
