"""Snapshot fixtures: baselines in the repo's top-level `snapshots/`, and everything that varies between runs fixed.

What would make a screenshot differ from one run to the next, and how each is pinned here:
- the time: a frozen clock (every countdown, expiry and "last used" reads it);
- temp paths: the state dir is the *relative* path `.coderclaw` under a per-test working dir, so the paths the
  confirm, done and browser screens show are the same on every machine;
- the PKCE `state`, verifier and challenge: fixed strings instead of `secrets`;
- the callback port and the loopback addresses: the listener "binds" 1455 on 127.0.0.1 and ::1 without a
  socket (the real message text is still built by the app), so a busy port or a host without IPv6 changes
  nothing;
- the device code: a fake GitHub (httpx.MockTransport) that always hands out the same code;
- the cursor blink: the Input cursor stays on;
- the theme and the terminal size: set by `shoot()`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy import SnapshotAssertion
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
from snapshot_helpers import FIXED_PORT, FIXED_STATE, FIXED_VERIFIER, SNAPSHOTS_DIR, STATE, fake_servers, never  # noqa: E402
from wizard_helpers import REMOTE_VARS, SSH_CONNECTION, FakeBrowser, FakeClipboard, FakeClock  # noqa: E402

from coderclaw_tui.auth import callback_server, pkce  # noqa: E402
from coderclaw_tui.flows import pkce_login  # noqa: E402
from coderclaw_tui.services import Services  # noqa: E402


class RepoSnapshotsExtension(SVGImageExtension):
    """pytest-textual-snapshot's SVG extension, storing `<test name>.svg` flat in the repo's `snapshots/`."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(SNAPSHOTS_DIR)


class RepoSnapshotAssertion(SnapshotAssertion):
    """`snap_compare` asks for `SVGImageExtension`; hand it the one that writes to `snapshots/` instead."""

    def use_extension(self, extension_class: Any = None) -> SnapshotAssertion:
        if extension_class is not None and issubclass(extension_class, SVGImageExtension):
            extension_class = RepoSnapshotsExtension
        return self.with_defaults(extension_class=extension_class)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return RepoSnapshotAssertion(
        update_snapshots=snapshot.update_snapshots,
        extension_class=RepoSnapshotsExtension,
        test_location=snapshot.test_location,
        session=snapshot.session,
    )


@pytest.fixture(autouse=True)
def state_dir(state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The root fixture's isolation (HOME, XDG, cleared overrides), then a relative state dir in a temp cwd."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("CODERCLAW_STATE_DIR", STATE)
    return Path(STATE)


@pytest.fixture(autouse=True)
def steady_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Input cursor stays visible instead of blinking on a 0.5 s timer."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def fixed_pkce(monkeypatch: pytest.MonkeyPatch) -> None:
    """The authorize URL is the same on every run: fixed state and challenge, callback on 1455 (no socket)."""
    pair = pkce.PkcePair(verifier=FIXED_VERIFIER, challenge=pkce.challenge_for(FIXED_VERIFIER))
    monkeypatch.setattr(pkce_login.PkcePair, "generate", classmethod(lambda cls, encoding="base64url": pair))
    monkeypatch.setattr(pkce_login, "new_state", lambda: FIXED_STATE)

    async def start_without_a_socket(self: callback_server.CallbackServer) -> None:
        await asyncio.sleep(0.01)  # a real bind yields to the loop too; the screen lays out before the URL lands
        self._outcome = asyncio.get_running_loop().create_future()
        self.addresses.extend([f"127.0.0.1:{self._port}", f"[::1]:{self._port}"])

    monkeypatch.setattr(callback_server.CallbackServer, "start", start_without_a_socket)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`services(**overrides)`: a local machine with a browser, no API keys in the environment."""

    def build(env: dict[str, str] | None = None, **overrides: Any) -> Services:
        import os

        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("_API_KEY") and k not in REMOTE_VARS and not (k.startswith("CODERCLAW_") and k.endswith("_ISSUER"))
        }
        settings: dict[str, Any] = {
            "remote": False,
            "callback_port": FIXED_PORT,
            "fallback_port": None,
            "open_browser": FakeBrowser(),
            "copy_text": FakeClipboard(),
            "http_client": lambda: httpx.AsyncClient(transport=httpx.MockTransport(fake_servers)),
            "sleep": never,
            **overrides,
        }
        full_env = {**inherited, **(env or {})}
        if overrides.get("remote") and not any(full_env.get(name) for name in REMOTE_VARS):
            full_env["SSH_CONNECTION"] = SSH_CONNECTION
        return Services.from_env(full_env, clock=clock, **settings)

    yield build
