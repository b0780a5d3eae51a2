"""N processes ask for a token at once on an expired credential: how many refreshes reach the issuer, and how
long the stampede takes compared with one process asking for a token that needs no refresh (same run).

    python benchmarks/refresh_stampede.py [N]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from coderclaw_tui.auth.pkce import PkcePair, new_state
from coderclaw_tui.auth.sandbox_issuer import SandboxIssuer
from coderclaw_tui.core.sink import TokenSink
from coderclaw_tui.providers.catalogue import OPENAI_CODEX_CLIENT_ID

REDIRECT = "http://localhost:1455/auth/callback"
PROFILE = "openai-codex:bench@example.test"


def mint(issuer: SandboxIssuer) -> dict[str, str]:
    pkce = PkcePair.generate()
    query = {"response_type": "code", "client_id": OPENAI_CODEX_CLIENT_ID, "redirect_uri": REDIRECT,
             "scope": "openid profile email offline_access", "code_challenge": pkce.challenge,
             "code_challenge_method": "S256", "state": new_state()}
    code = httpx.URL(issuer.approve(f"{issuer.base_url}/oauth/authorize?{urlencode(query)}")).params["code"]
    return httpx.post(f"{issuer.base_url}/oauth/token", data={
        "grant_type": "authorization_code", "client_id": OPENAI_CODEX_CLIENT_ID, "code": code,
        "code_verifier": pkce.verifier, "redirect_uri": REDIRECT}).json()


def ask(n: int) -> float:
    command = [sys.executable, "-m", "coderclaw_tui", "models", "auth", "token", "--provider", "openai-codex"]
    start = time.perf_counter()
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)]
    for proc in procs:
        proc.communicate()
        if proc.returncode != 0:
            raise SystemExit("a token request failed")
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    with tempfile.TemporaryDirectory() as state, SandboxIssuer() as issuer:
        os.environ["CODERCLAW_STATE_DIR"] = state
        os.environ["CODERCLAW_OPENAI_CODEX_ISSUER"] = issuer.base_url
        tokens = mint(issuer)
        record = {"type": "oauth", "provider": "openai-codex", "access": tokens["access_token"],
                  "refresh": tokens["refresh_token"], "expires": int(time.time() * 1000) + 600_000}
        TokenSink().upsert("main", PROFILE, record)
        fresh_n = ask(n)
        TokenSink().upsert("main", PROFILE, {**record, "expires": int(time.time() * 1000) - 1000})
        stampede = ask(n)
        print(f"{n} processes, fresh token:   {fresh_n * 1000:7.0f} ms")
        print(f"{n} processes, expired token: {stampede * 1000:7.0f} ms  ({stampede / fresh_n:.2f}x the fresh run)")
        print(f"refreshes seen by the issuer: {issuer.refresh_count} (goal 1); reused refresh tokens: {issuer.reuse_detected} (goal 0)")
        print("store:", Path(state, "agents/main/agent/auth-profiles.json"))


if __name__ == "__main__":
    main()
