"""End to end at 80x24, the size of most SSH sessions: the installed command in tmux, driven only by keys.

- Over SSH: arrows reach the third method and come back, the sign-in URL is read through the copy key (the
  OSC 52 sequence the app writes, which tmux turns into a paste buffer), the redirect the sandbox gives is typed
  key by key (`send-keys -l`, not a paste), and the login lands in the store.
- Two wizard processes with the same callback port setting: the second takes the fallback port and says so, the
  first keeps saying (truthfully) that it listens, and both finish.
- A `/cancel` from outside shows on the cancelled screen, and ctrl+r starts a new login.
- Ctrl-C on the first sandbox screen leaves no empty temporary state dir behind, and points at none.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from test_tmux import COMMAND, Terminal, free_port, read_store

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")

SSH = {"SSH_CONNECTION": "203.0.113.7 50022 198.51.100.2 22", "SSH_CLIENT": "203.0.113.7 50022 22"}


class SmallTerminal(Terminal):
    """An 80x24 tmux window whose server keeps what the app copies with OSC 52 as a paste buffer."""

    def start(self, *argv: str) -> None:
        shell = f"{' '.join([str(COMMAND), *argv])}; echo CODERCLAW-EXIT=$?; sleep 600"
        size = ("-x", "80", "-y", "24")
        self.tmux("new-session", "-d", *size, "-s", "e2e", shell, ";", "set", "-g", "set-clipboard", "on")

    def copied(self) -> str:
        """The last thing the app put on the clipboard, as the terminal received it (OSC 52)."""
        return self.tmux("show-buffer")


MakeTerminal = Callable[..., SmallTerminal]


@pytest.fixture
def make_terminal(tmp_path: Path) -> Iterator[MakeTerminal]:
    """`make_terminal(**env)`: terminals sharing one callback port and one fallback port setting."""
    made: list[SmallTerminal] = []
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith(("SSH_", "TMUX"))}
    base.update(
        TERM="xterm-256color",
        CODERCLAW_OAUTH_CALLBACK_PORT=str(free_port()),
        CODERCLAW_OAUTH_FALLBACK_PORT=str(free_port()),
        TMUX_TMPDIR=str(tmp_path),
    )

    def build(**env: str) -> SmallTerminal:
        terminal = SmallTerminal({**base, **env})
        terminal.socket = f"coderclaw-e2e-{uuid.uuid4().hex[:12]}"
        made.append(terminal)
        return terminal

    try:
        yield build
    finally:
        for terminal in made:
            terminal.kill()


def redirect_from_sandbox(url: str) -> str:
    """What the sandbox's sign-in page sends the browser to after "approve": the redirect URL, not followed."""
    response = httpx.get(url + "&approve=1", follow_redirects=False, timeout=10, trust_env=False)
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


def to_codex_sign_in(terminal: SmallTerminal) -> str:
    terminal.wait_text("Which agent is this login for?")
    terminal.wait_for(lambda s: "+ New agent" in s, "the agent list")
    terminal.keys("Enter")
    terminal.wait_text("How do you want to sign in?")
    terminal.type("codex")
    terminal.wait_for(lambda s: "OpenAI Codex" in s and "Anthropic" not in s, "the filter to narrow to OpenAI Codex")
    terminal.keys("Enter")
    terminal.wait_text("Sign in to OpenAI Codex")
    return terminal.wait_text("Sign-in URL")


def url_via_copy_key(terminal: SmallTerminal) -> str:
    terminal.wait_text("^y Copy URL")  # the paste field has focus, so the ctrl twin is the key shown
    terminal.keys("C-y")
    terminal.wait_for(lambda s: "Copied the sign-in URL" in s, "the copy notice")
    url = terminal.copied()
    assert url.startswith("http://127.0.0.1:") and "/oauth/authorize?" in url
    return url


def finish(terminal: SmallTerminal, state: Path) -> dict[str, object]:
    shown = terminal.wait_text("Check, then save")
    assert "openai-codex OAuth login as sandbox.user@example.test, for agent main." in shown
    terminal.keys("Enter")
    terminal.wait_text("All set")
    terminal.keys("Enter")
    assert "CODERCLAW-EXIT=0" in terminal.wait_text("CODERCLAW-EXIT=")
    return read_store(state)["profiles"]["openai-codex:sandbox.user@example.test"]


def test_over_ssh_at_80x24_arrows_copy_key_and_a_typed_redirect(make_terminal: MakeTerminal, tmp_path: Path) -> None:
    terminal = make_terminal(**SSH)
    state = tmp_path / "state"
    terminal.start("onboard", "--sandbox", "--state-dir", str(state))
    terminal.wait_for(lambda s: "+ New agent" in s, "the agent list")
    terminal.keys("Enter")
    terminal.wait_text("How do you want to sign in?")
    terminal.keys("Down", "Down", "Enter")  # the third method: an OpenAI API key
    terminal.wait_text("OpenAI API key")
    terminal.keys("Escape")
    terminal.wait_text("How do you want to sign in?")
    terminal.keys("Up", "Up", "Enter")  # back up to the first: OpenAI Codex
    shown = terminal.wait_text("Sign in to OpenAI Codex")
    assert "You are on a remote machine" in shown
    shown = terminal.wait_for(lambda s: "Paste the redirect URL" in s and "times out in" in s, "the paste field")
    assert "ssh -L" in shown

    url = url_via_copy_key(terminal)
    redirect = redirect_from_sandbox(url)
    terminal.type(redirect)  # key by key, as a person typing it would
    terminal.keys("Enter")
    record = finish(terminal, state)
    assert record["type"] == "oauth" and record["accountId"] == "acct_sandbox_0001"


def test_two_wizards_log_in_at_once_and_both_tell_the_truth(make_terminal: MakeTerminal, tmp_path: Path) -> None:
    first, second = make_terminal(), make_terminal()
    port, fallback = first.env["CODERCLAW_OAUTH_CALLBACK_PORT"], first.env["CODERCLAW_OAUTH_FALLBACK_PORT"]
    states = tmp_path / "first", tmp_path / "second"
    first.start("onboard", "--sandbox", "--state-dir", str(states[0]))
    to_codex_sign_in(first)
    first.wait_text(f"Listening on 127.0.0.1:{port}")
    second.start("onboard", "--sandbox", "--state-dir", str(states[1]))
    to_codex_sign_in(second)
    shown = second.wait_text("Another coderclaw login is already waiting")
    assert f"port {port}" in shown and f"port {fallback}" in shown.replace("\n", " ")
    assert f"Listening on 127.0.0.1:{port}" in first.screen()  # the first was left alone, and still says so

    urls = url_via_copy_key(first), url_via_copy_key(second)
    assert f"localhost%3A{port}%2F" in urls[0] and f"localhost%3A{fallback}%2F" in urls[1]
    for url in reversed(urls):  # each browser redirect lands on its own login's port
        httpx.get(redirect_from_sandbox(url), timeout=10, trust_env=False).raise_for_status()
    for terminal, state in zip((first, second), states, strict=True):
        assert finish(terminal, state)["type"] == "oauth"


def test_a_cancel_from_outside_shows_and_ctrl_r_starts_again(make_terminal: MakeTerminal, tmp_path: Path) -> None:
    terminal = make_terminal()
    port = terminal.env["CODERCLAW_OAUTH_CALLBACK_PORT"]
    terminal.start("onboard", "--sandbox", "--state-dir", str(tmp_path / "state"))
    to_codex_sign_in(terminal)
    terminal.wait_text(f"Listening on 127.0.0.1:{port}")
    first_url = url_via_copy_key(terminal)

    assert httpx.get(f"http://127.0.0.1:{port}/cancel", timeout=10, trust_env=False).status_code == 200
    terminal.wait_text("cancelled from outside")
    shown = terminal.wait_for(lambda s: "Esc to go back" in " ".join(s.split()), "the whole message")
    assert "^r Start again" in shown and "Press ctrl+r to start again" in " ".join(shown.split())
    assert "Sign-in URL" not in shown  # the dead login's URL is not offered any more
    terminal.keys("C-r")
    terminal.wait_text(f"Listening on 127.0.0.1:{port}")
    assert url_via_copy_key(terminal) != first_url


def test_ctrl_c_on_the_first_sandbox_screen_leaves_no_empty_temp_dir(
    make_terminal: MakeTerminal, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    terminal = make_terminal(TMPDIR=str(temp))
    terminal.start("onboard", "--sandbox")
    terminal.wait_text("Which agent is this login for?")
    terminal.keys("C-c")
    shown = terminal.wait_text("CODERCLAW-EXIT=")
    assert "Nothing was saved." in shown and "look at it with" not in shown
    assert not any(path.name.startswith("coderclaw-sandbox-") for path in temp.iterdir())
