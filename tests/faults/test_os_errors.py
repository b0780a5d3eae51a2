"""Row 9: operating-system errors (disk full, read-only file system, permission denied, symlink loops) end in
one sentence naming the path and the cause, exit 1, nothing lost; `models status` reports and never crashes.

A full disk and a read-only file system are real: a 256 KiB tmpfs mounted for the test (filled, or remounted
read-only). Where mounting is not permitted (not root), the same assertions run against the nearest real errors
an unprivileged user can cause: a file-size limit (EFBIG) and a directory without write permission (EACCES)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import one_sentence, store_path, write_store

SEED = {"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-1"}}}


def run(state: Path, *args: str, stdin: str = "", preexec: Callable[[], None] | None = None) -> Any:
    env = {**os.environ, "CODERCLAW_STATE_DIR": str(state), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "coderclaw_tui", *args], input=stdin, env=env, text=True,
                          capture_output=True, timeout=60, preexec_fn=preexec)


def paste(state: Path, preexec: Callable[[], None] | None = None) -> Any:
    return run(state, "models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:new",
               stdin="sk-FAKE-new-0001", preexec=preexec)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path | None]:
    """A mounted 256 KiB tmpfs, or None where this user may not mount."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                          capture_output=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def assert_os_error(result: Any, path_part: str, causes: tuple[str, ...]) -> None:
    assert result.returncode == 1, result.stderr
    line = one_sentence(result.stderr)
    assert path_part in line and any(cause in line for cause in causes), line


@pytest.mark.parametrize("how", ["tmpfs", "file-size limit"])
def test_disk_full(how: str, small_fs: Path | None, tmp_path: Path) -> None:
    if small_fs is not None and how == "tmpfs":
        state = small_fs / "state"
        store = write_store(state, SEED)
        filler = small_fs / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        result, causes, preexec = paste(state), ("no space left on device",), None
    else:
        state = tmp_path / "state"
        big = {"version": 1, "profiles": {**SEED["profiles"], "openai:big": {
            "type": "api_key", "provider": "openai", "key": "sk-FAKE-" + "b" * 8192}}}
        store = write_store(state, big)

        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

        result, causes = paste(state, preexec), ("file too large",)
    assert_os_error(result, str(store.parent), causes)
    assert "openai:default" in json.loads(store.read_text())["profiles"]
    status = run(state, "models", "status", preexec=preexec)
    assert status.returncode == 0 and "openai:default" in status.stdout, status.stderr


def test_read_only_or_unwritable(small_fs: Path | None, tmp_path: Path) -> None:
    if small_fs is not None:
        state = small_fs / "state"
        store = write_store(state, SEED)
        subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
        causes: tuple[str, ...] = ("read-only file system",)
    else:
        state = tmp_path / "state"
        store = write_store(state, SEED)
        store.parent.chmod(0o500)
        causes = ("permission denied",)
    result = paste(state)
    assert_os_error(result, str(store.parent), causes)
    assert json.loads(store.read_text())["profiles"] == SEED["profiles"]
    status = run(state, "models", "status")
    assert status.returncode == 0 and "openai:default" in status.stdout, status.stderr


def test_symlink_loop_as_the_store(state_dir: Path, run_cli: Any) -> None:
    store = store_path(state_dir)
    store.parent.mkdir(parents=True)
    store.symlink_to(store.name)
    status = run_cli("models", "status")
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert f"could not read {store}: too many levels of symbolic links" in status.stdout
    listing = run_cli("models", "auth", "list")
    assert listing.returncode == 1 and "too many levels of symbolic links" in listing.stdout
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", input="sk-FAKE-loop-0001")
    assert result.returncode == 1 and "symbolic link" in one_sentence(result.stderr)
    assert store.is_symlink()


def test_config_unreadable_shape_does_not_crash_status(state_dir: Path, run_cli: Any) -> None:
    """`auth.profiles` written as a list (and other wrong shapes) is reported or ignored, never an AttributeError."""
    write_store(state_dir, SEED)
    for auth in ({"profiles": ["openai:default"]}, {"profiles": "x", "order": ["openai"]}, ["auth"], {"order": 5}):
        (state_dir / "coderclaw.json").write_text(json.dumps({"auth": auth}))
        result = run_cli("models", "status")
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, (auth, result.stderr)
        assert "openai:default" in result.stdout


@pytest.mark.parametrize(
    "args",
    [("models", "status"), ("models", "status", "--json"), ("models", "auth", "list"), ("agents", "list")],
    ids=" ".join,
)
def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`coderclaw models status | head -1`: when the reader closes the pipe, the command stops with the shell's
    SIGPIPE status (141) and prints nothing about it: no "could not use a file", no ignored-exception noise."""
    write_store(tmp_path, SEED)
    env = {**os.environ, "CODERCLAW_STATE_DIR": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    reader, writer = os.pipe()
    os.close(reader)  # gone before the command starts, so its first write meets EPIPE however fast it runs
    try:
        child = subprocess.Popen([sys.executable, "-m", "coderclaw_tui", *args], env=env, stdout=writer,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    finally:
        os.close(writer)
    _, stderr = child.communicate(timeout=60)
    assert (child.returncode, stderr.decode()) == (141, "")
