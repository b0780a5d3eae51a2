"""Where CoderClaw keeps things on disk, resolved exactly as CoderClaw resolves them (SPEC 1).

Kept free of heavy imports: every scriptable command starts here.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple
from collections.abc import Mapping
from pathlib import Path

DEFAULT_AGENT_ID = "main"
AUTH_STORE_FILENAME = "auth-profiles.json"
LEGACY_AUTH_FILENAME = "auth.json"
CONFIG_FILENAME = "coderclaw.json"

_VALID_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INVALID_AGENT_CHARS = re.compile(r"[^a-z0-9_-]+")
_INSTALL_ID = re.compile(r"^[0-9a-f]{8}$")


def normalize_agent_id(raw: str | None) -> str:
    """Lower-case and repair an agent id the way CoderClaw does, so both programs agree on folder names."""
    text = (raw or "").strip().lower()
    if not text:
        return DEFAULT_AGENT_ID
    if _VALID_AGENT_ID.match(text):
        return text
    repaired = _INVALID_AGENT_CHARS.sub("-", text).strip("-")[:64]
    return repaired or DEFAULT_AGENT_ID


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _home(env: Mapping[str, str]) -> Path:
    override = env.get("CODERCLAW_HOME", "").strip()
    return Path(override).expanduser() if override else Path.home()


class StateDirChoice(namedtuple("StateDirChoice", "path reason others", defaults=((),))):
    """The state dir in use (`path`), why (`reason`: a few words for `models status` and the wizard,
    "$CODERCLAW_STATE_DIR", "the newest install dir", ...), and the other `~/.coderclaw/<install-id>/` dirs holding
    CoderClaw state that were passed over (`others`, a tuple of paths; `--state-dir` picks one of them).

    A plain namedtuple: typing's NamedTuple would put typing on the scriptable commands' start-up."""

    __slots__ = ()
    path: Path
    reason: str
    others: tuple[Path, ...]

    def describe(self) -> str:
        """One sentence naming the dir, why it was chosen, and (when there are any) the others and how to choose."""
        text = f"State dir {self.path} ({self.reason})."
        if self.others:
            text += f" Also found: {', '.join(map(str, self.others))}; choose one with --state-dir DIR."
        return text


def _holds_state(directory: Path) -> bool:
    return (directory / CONFIG_FILENAME).is_file() or (directory / "agents").is_dir()


def _last_change(directory: Path) -> float:
    """The newest mtime among the dir, its config and its agents' stores: when CoderClaw last wrote there."""
    candidates = [directory, directory / CONFIG_FILENAME, directory / "agents", *directory.glob(f"agents/*/agent/{AUTH_STORE_FILENAME}")]
    times = []
    for candidate in candidates:
        try:
            times.append(candidate.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=0.0)


def discover_state_dir(env: Mapping[str, str] | None = None) -> StateDirChoice:
    """SPEC 1: `$CODERCLAW_STATE_DIR` (also what `--state-dir` sets); `$CODERCLAW_PROFILE` (not `default`):
    `~/.coderclaw-<profile>`; plain `~/.coderclaw` when it holds `coderclaw.json`; else the one
    `~/.coderclaw/<install-id>/` holding CoderClaw state (several: the most recently written); else `~/.coderclaw`.

    CoderClaw derives its install id from where it is installed, which this program cannot know; the dirs on
    disk are what it left behind.
    """
    env = _env(env)
    override = env.get("CODERCLAW_STATE_DIR", "").strip()
    if override:
        return StateDirChoice(Path(override).expanduser(), "--state-dir or $CODERCLAW_STATE_DIR")
    home = _home(env)
    profile = env.get("CODERCLAW_PROFILE", "").strip()
    if profile and profile.lower() != "default":
        return StateDirChoice(home / f".coderclaw-{profile}", "$CODERCLAW_PROFILE")
    base = home / ".coderclaw"
    try:
        children = list(base.iterdir())
    except OSError:
        children = []
    installs = [c for c in children if _INSTALL_ID.match(c.name) and c.is_dir() and _holds_state(c)]
    installs.sort(key=lambda d: (_last_change(d), d.name), reverse=True)
    if (base / CONFIG_FILENAME).is_file():
        return StateDirChoice(base, f"it holds {CONFIG_FILENAME}", tuple(installs))
    if not installs:
        return StateDirChoice(base, "the default")
    if len(installs) == 1:
        return StateDirChoice(installs[0], "CoderClaw's install dir")
    return StateDirChoice(installs[0], "the most recently used of CoderClaw's install dirs", tuple(installs[1:]))


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    return discover_state_dir(env).path


def default_workspace(agent_id: str, env: Mapping[str, str] | None = None) -> Path:
    """Where an agent works when the config names no workspace, as CoderClaw places it: the default agent in
    `~/.coderclaw/workspace` (`workspace-<profile>` under `$CODERCLAW_PROFILE`), others in `<state>/workspace-<id>`."""
    env = _env(env)
    if agent_id != DEFAULT_AGENT_ID:
        return state_dir(env) / f"workspace-{agent_id}"
    profile = env.get("CODERCLAW_PROFILE", "").strip()
    name = f"workspace-{profile}" if profile and profile.lower() != "default" else "workspace"
    return _home(env) / ".coderclaw" / name


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = _env(env)
    override = env.get("CODERCLAW_CONFIG_PATH", "").strip()
    if override:
        return Path(override).expanduser()
    return state_dir(env) / CONFIG_FILENAME


def default_agent_dir(agent_id: str, env: Mapping[str, str] | None = None) -> Path:
    """The agent dir when the config names none: env override for `main`, else `<state>/agents/<id>/agent`."""
    env = _env(env)
    if agent_id == DEFAULT_AGENT_ID:
        for name in ("CODERCLAW_AGENT_DIR", "PI_CODING_AGENT_DIR"):
            override = env.get(name, "").strip()
            if override:
                return Path(override).expanduser()
    return state_dir(env) / "agents" / agent_id / "agent"


def auth_store_path(agent_dir: Path) -> Path:
    return agent_dir / AUTH_STORE_FILENAME


def legacy_oauth_path(env: Mapping[str, str] | None = None) -> Path:
    env = _env(env)
    override = env.get("CODERCLAW_OAUTH_DIR", "").strip()
    base = Path(override).expanduser() if override else state_dir(env) / "credentials"
    return base / "oauth.json"


def refresh_lock_path(provider: str, profile_id: str, env: Mapping[str, str] | None = None) -> Path:
    """One global lock per (provider, profile) shared by every agent and process (later OpenClaw's scheme)."""
    import hashlib

    digest = hashlib.sha256(f"{provider}\0{profile_id}".encode()).hexdigest()
    return state_dir(env) / "locks" / "oauth-refresh" / f"sha256-{digest}"


def log_file_path() -> Path:
    """The program's own log; never the terminal while the TUI runs."""
    from platformdirs import user_log_dir

    return Path(user_log_dir("coderclaw", appauthor=False)) / "coderclaw.log"


def env_file_path(env: Mapping[str, str] | None = None) -> Path:
    """The shared `.env` CoderClaw writes keys to (`OPENAI_API_KEY`): its config dir, `$CODERCLAW_STATE_DIR` or
    else plain `~/.coderclaw`, which is not always the state dir in use."""
    env = _env(env)
    override = env.get("CODERCLAW_STATE_DIR", "").strip()
    return (Path(override).expanduser() if override else _home(env) / ".coderclaw") / ".env"
