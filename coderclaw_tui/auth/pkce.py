"""PKCE (RFC 7636, S256) and the OAuth `state`: the two secrets that tie a redirect to the login that asked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Literal

from coderclaw_tui.auth.jwt_claims import b64url_encode

CHALLENGE_METHOD = "S256"


def challenge_for(verifier: str) -> str:
    """The S256 challenge: base64url (no padding) of SHA-256 of the verifier's ASCII."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class PkcePair:
    """A verifier kept in memory and the challenge that goes into the authorize URL."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def generate(cls, encoding: Literal["base64url", "hex"] = "base64url") -> PkcePair:
        """32 random bytes: a 43-character base64url verifier (the shortest RFC 7636 allows), or 64 hex
        characters for the providers whose own clients send that (Chutes)."""
        raw = secrets.token_bytes(32)
        verifier = raw.hex() if encoding == "hex" else b64url_encode(raw)
        return cls(verifier=verifier, challenge=challenge_for(verifier))


def new_state() -> str:
    """16 random bytes as 32 hex characters, the shape OpenAI's own CLI sends."""
    return secrets.token_hex(16)
