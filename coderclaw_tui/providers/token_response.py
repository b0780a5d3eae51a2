"""Turning a token endpoint's JSON answer into the fields of a stored OAuth record (used by login and refresh)."""

from __future__ import annotations

from typing import Any

MAX_EXPIRES_IN_S = 10 * 365 * 24 * 3600
"""Ten years: a longer `expires_in` is absurd, and 1e308 would overflow on the way to milliseconds."""


def parse_token_response(body: dict[str, Any], *, now_ms: int, margin_ms: int = 0, provider: str) -> dict[str, Any]:
    """`access`, `refresh` (when sent), `expires` in ms, and for openai-codex `accountId`/`email` from the JWT.

    openai-codex's `expires` is the earlier of `now + expires_in` and the access token's own `exp`.
    Raises ValueError naming the missing or malformed field (never its value).
    """
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ValueError("no access_token")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not 0 < expires_in <= MAX_EXPIRES_IN_S:
        raise ValueError("no usable expires_in")
    fields: dict[str, Any] = {"access": access}
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        fields["refresh"] = refresh
    expires = now_ms + int(expires_in * 1000) - margin_ms
    if provider == "openai-codex":
        from coderclaw_tui.auth import jwt_claims

        try:
            jwt_exp = jwt_claims.jwt_expiry_ms(access)
        except jwt_claims.JwtError:
            jwt_exp = None
        if jwt_exp is not None:
            expires = min(expires, jwt_exp)
        fields["expires"] = expires
        try:
            fields["accountId"] = jwt_claims.openai_account_id(access)
        except jwt_claims.JwtError:
            raise ValueError("the access token carries no ChatGPT account id") from None
        try:
            email = jwt_claims.openai_email(access)
        except jwt_claims.JwtError:
            email = None
        if email:
            fields["email"] = email
        return fields
    fields["expires"] = expires
    return fields
