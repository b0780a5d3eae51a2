"""Fixed data and fakes for the snapshot tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from wizard_helpers import FakeClock

from coderclaw_tui.auth.jwt_claims import OPENAI_AUTH_CLAIM, OPENAI_PROFILE_CLAIM, b64url_encode

SNAPSHOTS_DIR = Path(__file__).resolve().parents[2] / "snapshots"
STATE = ".coderclaw"
"""Relative on purpose: the screens show `.coderclaw/agents/main/agent/auth-profiles.json`, never a temp path."""

FIXED_STATE = "5f1d3c0e9a7b4e21b6c8d2f0a4e6b8c1"
FIXED_VERIFIER = "snapshot-verifier-0123456789abcdefghijklmnopq"
FIXED_PORT = 1455
DEVICE_CODE = "WDJB-MJHT"


def fixed_jwt(claims: dict[str, Any]) -> str:
    header = b64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url_encode(json.dumps(claims).encode())}.c25hcHNob3Q"


FROZEN_S = int(FakeClock().now)
CODEX_EMAIL = "ada@work.example"
CODEX_ACCESS = fixed_jwt(
    {
        "exp": FROZEN_S + 3600,
        "iat": FROZEN_S,
        OPENAI_AUTH_CLAIM: {"chatgpt_account_id": "acct_work_0001", "chatgpt_plan_type": "plus"},
        OPENAI_PROFILE_CLAIM: {"email": CODEX_EMAIL, "email_verified": True},
    }
)
CODEX_REFRESH = "rt_snapshot-refresh-token-0000000000000000WXYZ"


async def fake_servers(request: httpx.Request) -> httpx.Response:
    """auth.openai.com's token endpoint (fixed tokens) and GitHub's device endpoints (always the same code,
    and "not yet" for every poll). Each answer takes a moment, as a real one does."""
    await asyncio.sleep(0.01)
    if request.url.host == "auth.openai.com" and request.url.path == "/oauth/token":
        return httpx.Response(
            200,
            json={
                "access_token": CODEX_ACCESS,
                "refresh_token": CODEX_REFRESH,
                "expires_in": 3600,
                "token_type": "Bearer",
            },
        )
    if request.url.path == "/login/device/code":
        return httpx.Response(
            200,
            json={
                "device_code": "dc_snapshot",
                "user_code": DEVICE_CODE,
                "verification_uri": "https://github.com/login/device",
                "expires_in": 899,
                "interval": 5,
            },
        )
    return httpx.Response(200, json={"error": "authorization_pending"})


async def never(seconds: float) -> None:
    """The device flow's sleep: the first poll never comes, so the screen stays at "check 1"."""
    await asyncio.Event().wait()


def write_store(agent_id: str, store: dict[str, Any]) -> Path:
    path = Path(STATE) / "agents" / agent_id / "agent" / "auth-profiles.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path


def write_config(config: dict[str, Any]) -> Path:
    path = Path(STATE) / "coderclaw.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path
