"""Read the claims of a JWT without verifying it.

The token comes straight from the issuer over TLS, so the signature adds nothing here; what matters is
reading the OpenAI claims (account id, email, expiry) strictly, and never echoing the token in an error.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

OPENAI_AUTH_CLAIM = "https://api.openai.com/auth"
OPENAI_PROFILE_CLAIM = "https://api.openai.com/profile"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class JwtError(ValueError):
    """A token that is not a readable JWT, or lacks a claim the caller needs; the message holds no secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as JWTs and PKCE (RFC 7636) spell it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of `b64url_encode`: restores the padding, refuses characters outside the base64url alphabet."""
    unpadded = text.rstrip("=")
    if not _B64URL.fullmatch(unpadded):
        raise JwtError("The token is not valid base64url.")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except binascii.Error as exc:
        raise JwtError("The token is not valid base64url.") from exc


def decode_payload(token: str) -> dict[str, Any]:
    """The JSON object in the middle part of `token`."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not parts[1]:
        raise JwtError("The access token is not a JWT (it should have three dot-separated parts).")
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except (JwtError, ValueError) as exc:
        raise JwtError("The access token's payload is not readable JSON.") from exc
    if not isinstance(payload, dict):
        raise JwtError("The access token's payload is not a JSON object.")
    return payload


def _claim_object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    return value if isinstance(value, dict) else {}


def openai_account_id(token: str) -> str:
    """The ChatGPT account id every Codex request must carry; a token without one cannot be used."""
    account = _claim_object(decode_payload(token), OPENAI_AUTH_CLAIM).get("chatgpt_account_id")
    if not isinstance(account, str) or not account.strip():
        raise JwtError("The access token carries no ChatGPT account id.")
    return account.strip()


def openai_email(token: str) -> str | None:
    """The signed-in email, or None: OpenAI omits it for some accounts, and the profile id falls back."""
    email = _claim_object(decode_payload(token), OPENAI_PROFILE_CLAIM).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


MAX_EXP_S = 1e11
"""Year 5138: any later `exp` is absurd (and `exp * 1000` of 1e308 would overflow)."""


def jwt_expiry_ms(token: str) -> int | None:
    """`exp` in milliseconds, or None when the token has none."""
    exp = decode_payload(token).get("exp")
    if exp is None:
        return None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not math.isfinite(exp) or not 0 < exp < MAX_EXP_S:
        raise JwtError("The access token's expiry (exp) is not a valid time.")
    return int(exp * 1000)
