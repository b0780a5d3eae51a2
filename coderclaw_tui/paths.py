"""Where CoderClaw keeps things on disk, resolved exactly as CoderClaw resolves them (SPEC 1).

Kept free of heavy imports: every scriptable command starts here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

DEFAULT_AGENT_ID = "main"
AUTH_STORE_FILENAME = "auth-profiles.json"
LEGACY_AUTH_FILENAME = "auth.json"
CONFIG_FILENAME = "coderclaw.json"

_VALID_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INVALID_AGENT_CHARS = re.compile(r"[^a-z0-9_-]+")


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


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$CODERCLAW_STATE_DIR`, else `~/.coderclaw` under `$CODERCLAW_HOME` or the user's home."""
    env = _env(env)
    override = env.get("CODERCLAW_STATE_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    return _home(env) / ".coderclaw"


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
