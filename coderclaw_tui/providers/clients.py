"""Resolving the OAuth client a method uses: a shared public one, one from CoderClaw's environment variables, one
found on this machine (an installed Gemini CLI), or the one the user typed on screen. Login and refresh both use
this, so a token is always refreshed with the client that issued it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from coderclaw_tui.providers.specs import ClientSpec, OAuthClient

_GOOGLE_CLIENT_ID = re.compile(r"(\d+-[a-z0-9]+\.apps\.googleusercontent\.com)")
_GOOGLE_SECRET = re.compile(r"(GOCSPX-[A-Za-z0-9_-]+)")
_GEMINI_CORE = Path("node_modules/@google/gemini-cli-core/dist")
_GEMINI_CANDIDATES = (_GEMINI_CORE / "src/code_assist/oauth2.js", _GEMINI_CORE / "code_assist/oauth2.js")
_SEARCH_DEPTH = 10


def first_env(names: tuple[str, ...], env: Mapping[str, str]) -> str | None:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return None


def resolve_client(
    spec: ClientSpec, env: Mapping[str, str] | None = None, *, entered: str | None = None, stored: str | None = None
) -> OAuthClient | None:
    """The client to use, first that applies: typed on screen, remembered in the credential, the shared id,
    CoderClaw's env vars, discovery on this machine. None when the user must bring one and has not."""
    env = os.environ if env is None else env
    secret = first_env(spec.secret_env, env)
    found = gemini_cli_client(shutil.which("gemini", path=env.get("PATH"))) if spec.discover == "gemini-cli" else None
    for candidate in (entered, stored, spec.client_id, first_env(spec.id_env, env)):
        if candidate and candidate.strip():
            if secret is None and found is not None and found.client_id == candidate.strip():
                secret = found.secret
            return OAuthClient(candidate.strip(), secret)
    return found


def suggested_client_id(spec: ClientSpec, env: Mapping[str, str] | None = None) -> str:
    """What the client-id field is prefilled with."""
    client = resolve_client(spec, env)
    return client.client_id if client else ""


@cache
def gemini_cli_client(gemini_path: str | None) -> OAuthClient | None:
    """The installed-app client an installed Gemini CLI ships (its `oauth2.js`), as CoderClaw extracts it."""
    if not gemini_path:
        return None
    try:
        root = Path(os.path.realpath(gemini_path)).parent.parent
        files = [root / c for c in _GEMINI_CANDIDATES if (root / c).is_file()] or _find_oauth2_js(root)
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            client_id, secret = _GOOGLE_CLIENT_ID.search(text), _GOOGLE_SECRET.search(text)
            if client_id and secret:
                return OAuthClient(client_id.group(1), secret.group(1))
    except OSError:
        return None
    return None


def _find_oauth2_js(root: Path) -> list[Path]:
    for directory, subdirs, files in os.walk(root):
        depth = len(Path(directory).relative_to(root).parts)
        subdirs[:] = [] if depth >= _SEARCH_DEPTH else [d for d in subdirs if not d.startswith(".")]
        if "oauth2.js" in files:
            return [Path(directory) / "oauth2.js"]
    return []
