"""Row 8 and the file-mode half of row 10: nothing is created, chmod'ed or written through a symlinked agent dir,
refresh-lock dir or pre-made temp file link, so nothing outside the state dir changes; directories that exist
with loose modes (0755 agents/, 0777 locks/) are tightened to 0700, and temp files a killed writer left (they
hold whole secrets) are removed by the next writer."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fault_endpoint import PROFILE, FaultyEndpoint
from fault_helpers import one_sentence, store_path, stored, write_store


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under `root` with its mode and content, to prove nothing there changed."""
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        out[str(path.relative_to(root))] = (info.st_mode, path.read_bytes() if stat.S_ISREG(info.st_mode) else None)
    return out


def make_outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    outside.chmod(0o755)
    (outside / "keep.txt").write_text("someone else's\n")
    return outside


def test_symlinked_agent_dir_is_refused(state_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    outside = make_outside(tmp_path)
    before = tree(outside)
    (state_dir / "agents" / "main").mkdir(parents=True)
    (state_dir / "agents" / "main" / "agent").symlink_to(outside, target_is_directory=True)
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="sk-FAKE-link-0001")
    assert result.returncode == 1
    line = one_sentence(result.stderr)
    assert "symbolic link" in line and str(state_dir / "agents" / "main" / "agent") in line
    assert tree(outside) == before and stat.S_IMODE(outside.stat().st_mode) == 0o755


def test_symlinked_refresh_lock_dir_is_refused(
    state_dir: Path, tmp_path: Path, endpoint: FaultyEndpoint, expired_login: dict[str, Any], run_cli: Any
) -> None:
    outside = make_outside(tmp_path)
    before = tree(outside)
    (state_dir / "locks").mkdir(mode=0o700)
    (state_dir / "locks" / "oauth-refresh").symlink_to(outside, target_is_directory=True)
    result = run_cli("models", "auth", "token", "--provider", "openai-codex")
    assert result.returncode == 1
    assert "symbolic link" in one_sentence(result.stderr)
    assert tree(outside) == before and stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert endpoint.received == [], "a refresh was sent without its lock"
    assert stored(state_dir)["profiles"][PROFILE]["refresh"] == expired_login["refresh"]


def test_premade_temp_file_links_are_never_written_through(state_dir: Path, tmp_path: Path, monkeypatch: Any) -> None:
    """The temp names carry random bytes; with those pinned, a link planted at the very name is not followed."""
    from coderclaw_tui.core import jsonio, locks
    from coderclaw_tui.core.errors import FileProblem
    from coderclaw_tui.core.sink import TokenSink

    outside = make_outside(tmp_path)
    victim = outside / "keep.txt"
    store = write_store(state_dir, {"version": 1, "profiles": {}})
    monkeypatch.setattr(os, "urandom", lambda n: b"\x01" * n)
    pid, rand = os.getpid(), (b"\x01" * 6).hex()
    store_tmp = store.with_name(f".auth-profiles.json.{pid}.{rand}.tmp")
    lock_tmp = store.with_name(f".auth-profiles.json.lock.{pid}.{rand}.tmp")
    for link in (lock_tmp, store_tmp):
        link.symlink_to(victim)
    before = tree(outside)
    for attempt in (lambda: locks._try_create(store.with_name("x.lock")),
                    lambda: jsonio.write_text_atomic(store, "{}\n")):
        try:
            attempt()
        except FileExistsError:
            pass
    with pytest.raises(FileProblem, match="file exists"):
        TokenSink().upsert("main", "openai:x", {"type": "api_key", "provider": "openai", "key": "sk-FAKE-x"})
    assert tree(outside) == before


def test_loose_directories_are_tightened(state_dir: Path, endpoint: FaultyEndpoint, expired_login: dict[str, Any],
                                         run_cli: Any) -> None:
    (state_dir / "agents").chmod(0o755)
    (state_dir / "agents" / "main").chmod(0o755)
    (state_dir / "locks").mkdir(mode=0o777)
    (state_dir / "locks").chmod(0o777)
    result = run_cli("models", "auth", "token", "--provider", "openai-codex")
    assert result.returncode == 0, result.stderr
    for directory in ("agents", "agents/main", "agents/main/agent", "locks", "locks/oauth-refresh"):
        assert stat.S_IMODE((state_dir / directory).stat().st_mode) == 0o700, directory
    assert stat.S_IMODE(store_path(state_dir).stat().st_mode) == 0o600


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from coderclaw_tui.core import jsonio
store = Path(sys.argv[1])
fd = jsonio.create_exclusive(store.with_name(f"{jsonio.temp_prefix(store)}{os.getpid()}.abcdef.tmp"))
os.write(fd, b'{"profiles": {"x": {"key": "sk-FAKE-SECRET-IN-TEMP"}}}')
print("written", flush=True)
time.sleep(60)
"""


def test_temp_files_of_a_killed_writer_are_removed_by_the_next(state_dir: Path, run_cli: Any) -> None:
    store = write_store(state_dir, {"version": 1, "profiles": {}})
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(store)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
    leftover = store.with_name(f".auth-profiles.json.{writer.pid}.abcdef.tmp")
    assert leftover.exists()
    alive_other = store.with_name(f".auth-profiles.json.{os.getpid()}.live.tmp")
    alive_other.write_text("a live writer's")  # this test process is alive: its temp must stay
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    time.sleep(0.1)
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="sk-FAKE-next-0001")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists(), "the killed writer's secrets were left on disk"
    assert alive_other.exists()
    assert not [p for p in store.parent.iterdir() if p.name.endswith(".tmp") and p != alive_other]


def test_a_symlinked_state_dir_is_the_users_choice(tmp_path: Path, run_cli: Any) -> None:
    """The state dir itself may be a link (dotfiles kept elsewhere): it is used; only links inside it are
    refused."""
    real = tmp_path / "real-state"
    real.mkdir(mode=0o750)
    real.chmod(0o750)
    link = tmp_path / "linked-state"
    link.symlink_to(real, target_is_directory=True)
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="sk-FAKE-linked-0001",
                     env={"CODERCLAW_STATE_DIR": str(link)})
    assert result.returncode == 0, result.stderr
    assert "openai:manual" in stored(real)["profiles"]
    assert link.is_symlink()
