"""Row 6 and issue 8's row 7: a store that JavaScript's JSON cannot round-trip (NaN, Infinity, a number beyond a
double, a lone surrogate, nesting past 1000) is reported as not parsing, with its path and reason, by every
command, and never rewritten; a store rewritten in place by CoderClaw's own paste-token (truncate, then write)
is read again rather than reported broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import one_sentence, store_path, strict_json

VALID = '{"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-1"}}'
BROKEN = {
    "NaN": (VALID + ', "usageStats": {"openai:default": {"errorCount": NaN}}}\n', "NaN is not JSON"),
    "Infinity": (VALID + ', "usageStats": {"openai:default": {"lastUsed": -Infinity}}}\n', "-Infinity is not JSON"),
    "1e400": (VALID + ', "usageStats": {"openai:default": {"lastUsed": 1e400}}}\n', "overflows a double"),
    "huge integer": (VALID + ', "x": ' + "9" * 400 + "}\n", "overflows a double"),
    "lone surrogate": (VALID + ', "x": "\\ud800"}\n', "lone surrogate"),
    "nesting 1001": (VALID + ', "x": ' + "[" * 1001 + "]" * 1001 + "}\n", "nesting deeper than 1000"),
    "nesting 100000": (VALID + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "nesting deeper than 1000"),
}
COMMANDS = {
    "status": (("models", "status"), None),
    "list": (("models", "auth", "list"), None),
    "order set": (("models", "auth", "order", "set", "--provider", "openai", "openai:default"), None),
    "logout": (("models", "auth", "logout", "openai:default"), None),
    "paste-token": (("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:new"),
                    "sk-FAKE-new-0001"),
    "token": (("models", "auth", "token", "--provider", "openai"), None),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_store_js_cannot_round_trip_is_reported_and_never_rewritten(kind: str, state_dir: Path) -> None:
    text, reason = BROKEN[kind]
    path = store_path(state_dir)
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    running = {
        name: subprocess.Popen([sys.executable, "-m", "coderclaw_tui", *args], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        for name, (args, _) in COMMANDS.items()
    }
    for name, child in running.items():
        out, err = child.communicate(COMMANDS[name][1] or "", timeout=60)
        assert child.returncode == 1, (name, child.returncode, err)
        message = out + err
        assert str(path) in message and "not a valid auth store" in message and reason in message, (name, message)
        if name not in ("status", "list"):
            one_sentence(err)
        assert "Traceback" not in message
    assert path.read_text(encoding="utf-8") == text, "a command rewrote a store it could not read"


def test_nothing_written_contains_what_js_rejects(state_dir: Path, run_cli: Any) -> None:
    """A CoderClaw-written store with odd but legal values goes through every write and stays strict JSON."""
    path = store_path(state_dir)
    path.parent.mkdir(parents=True)
    data = {"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai", "key": "sk-FAKE-1",
            "n": 1.7976931348623157e308, "i": -(2**53), "s": "\U0001f600\u2028"}}}
    path.write_text(json.dumps(data, ensure_ascii=False))
    result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", "openai:two",
                     input="sk-FAKE-two-0001")
    assert result.returncode == 0, result.stderr
    after = strict_json(path.read_text(encoding="utf-8"))
    assert after["profiles"]["openai:default"] == data["profiles"]["openai:default"]


REWRITER = """
import os, sys, time
path, stop = sys.argv[1], sys.argv[2]
body = open(path, "rb").read()
while not os.path.exists(stop):
    with open(path, "r+b") as handle:   # CoderClaw's paste-token: truncate and write in place, no rename
        handle.truncate(0)
        handle.flush()
        time.sleep(0.002)               # widen the empty moment a little
        handle.write(body)
    time.sleep(0.03)
"""


def test_store_rewritten_in_place_meanwhile_is_never_reported_broken(
    main_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 runs of `models status` (in this process, to keep the suite fast; the rewriter is a real process)."""
    from coderclaw_tui.cli import main

    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", REWRITER, str(main_store), str(stop)])
    failures = []
    try:
        for _ in range(200):
            code = main(["models", "status"])
            out, err = capsys.readouterr()
            if code != 0 or "not a valid auth store" in out + err:
                failures.append(out[-200:] + err[-200:])
    finally:
        stop.touch()
        writer.wait(timeout=10)
    assert not failures, f"{len(failures)} of 200 runs reported a valid store as broken: {failures[0]}"
    print("FIGURE in-place rewrites: 0 of 200 status runs reported the store broken")
    assert os.path.getsize(main_store) > 0
