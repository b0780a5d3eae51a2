"""Turning a token endpoint's JSON answer into the fields of a stored OAuth record (used by login and refresh)."""

from __future__ import annotations

from typing import Any

from coderclaw_tui.providers.specs import ExpiryRule

_PLAIN = ExpiryRule()
MAX_EXPIRES_IN_S = 10 * 365 * 24 * 3600
"""Ten years: a longer `expires_in` is absurd, and 1e308 would overflow on the way to milliseconds."""


def parse_token_response(
    body: dict[str, Any], *, now_ms: int, expiry: ExpiryRule = _PLAIN, openai_jwt: bool = False
) -> dict[str, Any]:
    """`access`, `refresh` (when sent), `expires` in ms by the method's rule, and with `openai_jwt` the ChatGPT
    `accountId`/`email` from the access token (whose own `exp` then caps `expires`).

    Raises ValueError naming the missing or malformed field (never its value).
    """
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ValueError("no access_token")
    if not access.isprintable():
        raise ValueError("an access_token with control characters")
    fields: dict[str, Any] = {"access": access}
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        fields["refresh"] = refresh
    fields["expires"] = expires_from(body, now_ms, expiry)
    if not openai_jwt:
        return fields
    from coderclaw_tui.auth import jwt_claims

    try:
        jwt_exp = jwt_claims.jwt_expiry_ms(access)
    except jwt_claims.JwtError:
        jwt_exp = None
    if jwt_exp is not None:
        fields["expires"] = min(fields["expires"], jwt_exp)
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


def expires_from(body: dict[str, Any], now_ms: int, rule: ExpiryRule) -> int:
    """Epoch ms: now + lifetime - margin (at least `min_lifetime_ms`), or the server's own absolute expiry."""
    value = body.get(rule.field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ValueError(f"no usable {rule.field}")
    if rule.absolute_ms:
        if not now_ms - 86_400_000 < value < now_ms + 400 * 86_400_000:
            raise ValueError(f"{rule.field} is not a plausible time")
        return int(value)
    if value > MAX_EXPIRES_IN_S:
        raise ValueError(f"no usable {rule.field}")
    lifetime = int(value * 1000)
    return max(now_ms + lifetime - rule.margin_ms, now_ms + rule.min_lifetime_ms)
