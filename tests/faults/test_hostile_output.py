"""Row 5: ids, emails and other strings from a store or config that carry terminal control sequences (clear
screen, OSC 0 title, OSC 52 clipboard write), CR, newlines or bidi overrides never reach the terminal raw from
any human output; `--json` still gives scripts the exact values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import one_sentence, write_store

HOSTILE = {
    "clear": "\x1b[2J\x1b[H",
    "title": "\x1b]0;owned\x07",
    "clipboard": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "c1 csi": "\x9b31m",
    "cr": "ok\rFAKE",
    "newline": "a\nb",
    "bidi": "\u202egnp.exe",
}
RAW = ("\x1b", "\x07", "\x9b", "\r", "\u202e")


def hostile_store(state_dir: Path) -> dict[str, Any]:
    profiles = {}
    for name, text in HOSTILE.items():
        profiles[f"openai:{name}{text}"] = {
            "type": "api_key", "provider": "openai", "key": f"sk-FAKE-{name.replace(' ', '')}-00000000{text}",
            "email": f"user{text}@example.test",
        }
    profiles["anthropic:plain"] = {"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-" + "x" * 80,
                                   "email": "x\x1b]52;c;Zm9v\x07@example.test"}
    data = {"version": 1, "profiles": profiles, "order": {"openai": list(profiles)[:3]}}
    write_store(state_dir, data)
    return data


def assert_no_raw(text: str, what: str) -> None:
    for char in RAW:
        assert char not in text, f"{what} printed {char!r} raw: {text!r}"
    lines = [line for line in text.splitlines() if "\\x0a" in line]
    assert all("a\\x0ab" in line for line in lines)


@pytest.mark.parametrize(
    "args",
    [
        ("models", "status"),
        ("models", "auth", "list"),
        ("models", "auth", "order", "get", "--provider", "openai"),
        ("models", "auth", "token", "--provider", "openai", "--profile-id", "openai:missing\x1b[2J"),
        ("models", "auth", "logout", "openai:clear\x1b[2J\x1b[H"),
        ("models", "auth", "order", "set", "--provider", "openai", "openai:bidi\u202egnp.exe", "openai:nope\x1b]0;x\x07"),
    ],
    ids=["status", "list", "order-get", "token-missing", "logout", "order-set"],
)
def test_hostile_strings_are_escaped_in_human_output(args: tuple[str, ...], state_dir: Path, run_cli: Any) -> None:
    hostile_store(state_dir)
    result = run_cli(*args)
    assert result.returncode in (0, 1, 2), result.stderr
    assert_no_raw(result.stdout + result.stderr, " ".join(args[:3]))
    assert "Traceback" not in result.stderr


def test_hostile_profile_id_on_paste_is_refused_without_echo(state_dir: Path, run_cli: Any) -> None:
    for bad in ("openai:a\x1b]52;c;eA==\x07", "openai:a b", "openai:\u202eevil", "openai:" + "x" * 130, "anthropic:x"):
        result = run_cli("models", "auth", "paste-token", "--provider", "openai", "--profile-id", bad,
                         input="sk-FAKE-hostile-0001")
        assert result.returncode == 2, (bad, result.stderr)
        assert_no_raw(result.stdout + result.stderr, "paste-token")
        assert "<name>, at most 128 characters" in result.stderr


def test_json_keeps_exact_values(state_dir: Path, run_cli: Any) -> None:
    data = hostile_store(state_dir)
    for args in (("models", "status", "--json"), ("models", "auth", "list", "--json")):
        result = run_cli(*args)
        assert_no_raw(result.stdout, " ".join(args))  # escaped as JSON \u escapes, not raw
        parsed = json.loads(result.stdout)
        ids = {p["profileId"] for p in parsed["profiles"]}
        assert ids == set(data["profiles"]), args
        emails = {p["identity"] for p in parsed["profiles"]}
        assert "user\x1b]0;owned\x07@example.test" in emails and "user\u202egnp.exe@example.test" in emails
    order = json.loads(run_cli("models", "auth", "order", "get", "--provider", "openai", "--json").stdout)
    assert order["order"] == data["order"]["openai"]


def test_pasted_token_with_control_bytes_is_refused(state_dir: Path) -> None:
    import subprocess
    import sys

    for raw in (b"\xff\xfe-not-utf8", b"sk-abc\x1b]52;c;eA==\x07def"):
        done = subprocess.run([sys.executable, "-m", "coderclaw_tui", "models", "auth", "paste-token", "--provider",
                               "openai"], input=raw, capture_output=True)
        assert done.returncode == 2, done.stderr
        assert b"control characters or is not UTF-8" in done.stderr and b"\x1b" not in done.stderr + done.stdout
    assert not (state_dir / "agents" / "main" / "agent" / "auth-profiles.json").exists()


def test_noninteractive_collision_line_escapes_the_stored_identity(state_dir: Path, run_cli: Any) -> None:
    write_store(state_dir, {"version": 1, "profiles": {"anthropic:default": {
        "type": "token", "provider": "anthropic", "token": "sk-ant-oat01-" + "t" * 80,
        "email": "x\x1b]52;c;Zm9v\x07\u202e@example.test"}}})
    result = run_cli("onboard", "--non-interactive", "--accept-risk", "--anthropic-api-key", "-",
                     input="sk-ant-api03-FAKEnewKEY0001")
    assert result.returncode == 0, result.stderr
    assert "saved as anthropic:default-2" in result.stdout
    assert_no_raw(result.stdout + result.stderr, "onboard --non-interactive")


@pytest.mark.parametrize("secret", ["\r", "sk-\x1b[2Jabc", "sk-abc\x1b]52;c;eA==\x07", "sk-\u202egnp"])
def test_a_stored_secret_with_control_characters_is_never_handed_out(
    secret: str, state_dir: Path, run_cli: Any
) -> None:
    """A script asking for the token would get the control characters, and a terminal would act on them: the
    profile is unusable (status says why), `token` refuses it in one sentence (exit 5), and nothing raw is
    printed. Found by the store property test."""
    write_store(state_dir, {"version": 1, "profiles": {
        "openai:odd": {"type": "api_key", "provider": "openai", "key": secret}}})
    token = run_cli("models", "auth", "token", "--provider", "openai")
    assert token.returncode == 5 and token.stdout == ""
    assert "the stored secret holds control characters" in token.stderr
    assert_no_raw(token.stderr, "token")
    status = run_cli("models", "status")
    assert "unusable (the stored secret holds control characters)" in status.stdout
    assert_no_raw(status.stdout, "status")


def test_a_fresh_oauth_access_token_with_control_characters_is_not_printed(state_dir: Path, run_cli: Any) -> None:
    """With a refresh token the profile is not written off (a refresh replaces the access token), but the token
    in hand is never printed: one sentence, exit 1."""
    write_store(state_dir, {"version": 1, "profiles": {"openai-codex:odd": {
        "type": "oauth", "provider": "openai-codex", "access": "eyJ\x1b[2J.x.y", "refresh": "rt_FAKE-odd",
        "expires": 4102444800000}}})
    token = run_cli("models", "auth", "token", "--provider", "openai-codex")
    assert token.returncode == 1 and token.stdout == ""
    assert one_sentence(token.stderr) == (
        "coderclaw: The token openai-codex:odd holds control characters and is not printed; log in again."
    )
