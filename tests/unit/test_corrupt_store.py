"""SPEC 2: a store that does not parse is reported, never overwritten and never read as empty; it can be moved
aside (nothing deleted) to start fresh. A symlinked store is refused for writes, not followed."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from coderclaw_tui.core.errors import StoreCorrupt, StoreSymlinked
from coderclaw_tui.core.sink import TokenSink

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
CORRUPT = {
    "invalid-json": b'{\n  "version": 1,\n  "profiles": {\n    "anthropic:default": {"type": "api_key",\n',
    "top-level-list": b'[{"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-FAKE"}]\n',
    "profiles-not-object": b'{\n  "version": 1,\n  "profiles": ["anthropic:default"]\n}\n',
}

WRITES = {
    "paste-token": (
        ("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:new"),
        "FAKE-new-token",
    ),
    "order set": (("models", "auth", "order", "set", "--provider", "anthropic", "anthropic:default"), None),
    "order clear": (("models", "auth", "order", "clear", "--provider", "anthropic"), None),
    "logout": (("models", "auth", "logout", "anthropic:default"), None),
}


def write_corrupt(state_dir: Path, kind: str) -> Path:
    path = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(CORRUPT[kind])
    return path


@pytest.fixture(params=list(CORRUPT))
def corrupt_store(request: pytest.FixtureRequest, state_dir: Path) -> Path:
    return write_corrupt(state_dir, request.param)


def assert_one_clear_line(stderr: str, store: Path) -> None:
    """One sentence naming the file (so the user knows what to fix), no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert str(store) in lines[0], f"the error does not name the corrupt store: {lines[0]}"


def test_status_reports_path_and_fails(corrupt_store: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "status")
    assert result.returncode != 0
    assert str(corrupt_store) in result.stdout + result.stderr
    assert "not a valid auth store" in result.stdout + result.stderr
    assert "No auth profiles yet" not in result.stdout, "a corrupt store was presented as an empty one"
    assert "Traceback" not in result.stderr


def test_status_json_and_check_report_it(corrupt_store: Path, run_cli: RunCli) -> None:
    result = run_cli("models", "status", "--json", "--check")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["problems"] and report["problems"][0]["path"] == str(corrupt_store)
    assert report["checkExitCode"] == 1


def test_list_and_token_do_not_pretend_it_is_empty(corrupt_store: Path, run_cli: RunCli) -> None:
    listing = run_cli("models", "auth", "list")
    assert listing.returncode != 0
    assert str(corrupt_store) in listing.stdout + listing.stderr
    token = run_cli("models", "auth", "token", "--provider", "anthropic")
    assert token.returncode != 0
    assert token.stdout == ""
    assert_one_clear_line(token.stderr, corrupt_store)


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_command_refuses_and_leaves_bytes(
    name: str, corrupt_store: Path, state_dir: Path, run_cli: RunCli
) -> None:
    before = corrupt_store.read_bytes()
    args, stdin = WRITES[name]
    result = run_cli(*args, input=stdin)
    assert result.returncode != 0
    assert_one_clear_line(result.stderr, corrupt_store)
    assert corrupt_store.read_bytes() == before
    assert sorted(p.name for p in corrupt_store.parent.iterdir()) == ["auth-profiles.json"]
    assert not (state_dir / "coderclaw.json").exists(), "the config recorded a login whose credential was not stored"


def test_sink_upsert_refuses_and_leaves_bytes(corrupt_store: Path) -> None:
    before = corrupt_store.read_bytes()
    with pytest.raises(StoreCorrupt) as caught:
        TokenSink().upsert("main", "openai:new", {"type": "token", "provider": "openai", "token": "FAKE-new"})
    assert caught.value.path == corrupt_store
    assert corrupt_store.read_bytes() == before
    assert not corrupt_store.with_name("auth-profiles.json.lock").exists()


def test_move_aside_keeps_the_bytes_and_a_later_write_starts_fresh(corrupt_store: Path) -> None:
    """The way out the TUI offers: rename, never delete, then the next write starts an empty store."""
    before = corrupt_store.read_bytes()
    sink = TokenSink()
    moved = sink.move_aside("main")
    assert moved.parent == corrupt_store.parent
    assert re.fullmatch(r"auth-profiles\.json\.corrupt-\d{8}T\d{6}Z", moved.name), moved.name
    assert moved.read_bytes() == before
    assert not corrupt_store.exists()
    sink.upsert("main", "openai:new", {"type": "token", "provider": "openai", "token": "FAKE-new"})
    fresh = json.loads(corrupt_store.read_text())
    assert fresh == {
        "version": 1,
        "profiles": {"openai:new": {"type": "token", "provider": "openai", "token": "FAKE-new"}},
    }
    assert moved.read_bytes() == before


def test_move_aside_twice_in_one_second_never_overwrites_the_first(state_dir: Path) -> None:
    """Nothing is deleted: a second corrupt store moved aside right after the first gets its own name."""
    corrupt_store = write_corrupt(state_dir, "invalid-json")
    first_bytes = corrupt_store.read_bytes()
    sink = TokenSink()
    first = sink.move_aside("main")
    corrupt_store.write_bytes(b"{ still broken")
    second = sink.move_aside("main")
    assert first != second
    assert first.read_bytes() == first_bytes
    assert second.read_bytes() == b"{ still broken"


def test_symlinked_store_is_refused_for_writes(state_dir: Path, tmp_path: Path, run_cli: RunCli) -> None:
    real = tmp_path / "shared" / "auth-profiles.json"
    real.parent.mkdir()
    content = b'{\n  "version": 1,\n  "profiles": {}\n}\n'
    real.write_bytes(content)
    link = state_dir / "agents" / "main" / "agent" / "auth-profiles.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="FAKE-tok")
    assert result.returncode != 0
    assert_one_clear_line(result.stderr, link)
    assert "symbolic link" in result.stderr
    assert real.read_bytes() == content
    assert link.is_symlink()
    with pytest.raises(StoreSymlinked):
        TokenSink().upsert("main", "openai:x", {"type": "token", "provider": "openai", "token": "FAKE-x"})
    assert real.read_bytes() == content
