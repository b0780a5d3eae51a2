"""Cleaning and checking what people paste as a secret, with messages that say what to do (SPEC 5)."""

from __future__ import annotations

import re

SETUP_TOKEN_PREFIX = "sk-ant-oat01-"
SETUP_TOKEN_MIN_LENGTH = 80

_WHITESPACE = re.compile(r"\s+")
_EXPORT = re.compile(
    r"^(?:export\s+[A-Za-z_][A-Za-z0-9_]*|[A-Z][A-Z0-9]*_[A-Z0-9_]*|[A-Z][A-Z0-9]*(?=\s*=\s*(?!=*\s*$)))\s*=\s*(.*)$",
    re.DOTALL,
)
"""`export NAME=value` or `NAME=value` with an upper-case NAME; a NAME without `_` followed only by `=` signs is
a base64 key's padding, not an assignment."""
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_SLUG_INVALID = re.compile(r"[^a-z0-9._-]+")


class SecretInputError(ValueError):
    """The one sentence shown next to the input field."""


def strip_all_whitespace(text: str) -> str:
    """Secrets never contain whitespace; a token wrapped over two lines is the commonest paste accident."""
    return _WHITESPACE.sub("", text)


def normalize_token(text: str) -> str:
    """A pasted token, cleaned like an API key: `export NAME="…"` is a common way to have one at hand."""
    return _normalize_secret(text, "token")


def validate_setup_token(text: str) -> str:
    """An Anthropic setup-token as `claude setup-token` prints it, or a message naming what is wrong."""
    token = normalize_token(text)
    if "#" in token:
        raise SecretInputError(
            "That looks like an OAuth code#state, not a setup-token; run `claude setup-token` and paste its output."
        )
    if not token.startswith(SETUP_TOKEN_PREFIX):
        raise SecretInputError(f"Expected a token starting with {SETUP_TOKEN_PREFIX}; run `claude setup-token` to get one.")
    if len(token) < SETUP_TOKEN_MIN_LENGTH:
        raise SecretInputError("Token looks too short; paste the full setup-token (it is one long line).")
    return token


def normalize_api_key(text: str) -> str:
    return _normalize_secret(text, "API key")


def _normalize_secret(text: str, what: str) -> str:
    """Accept `export K="v";`, `K=v`, quotes and stray whitespace around a pasted secret."""
    value = text.strip()
    match = _EXPORT.match(value)
    if match:
        value = match.group(1).strip()
    value = value.rstrip(";").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    value = strip_all_whitespace(value)
    if not value:
        raise SecretInputError(f"Paste the {what}; the field is empty.")
    if not value.isprintable():  # control characters, or bytes that were not UTF-8 (read as lone surrogates)
        raise SecretInputError(f"The {what} holds control characters or is not UTF-8 text; paste or pipe the {what} alone.")
    return value


def slug_profile_name(name: str) -> str:
    """CoderClaw's profile-name slug: lower-case, runs outside [a-z0-9._-] to '-', blank is 'default'."""
    slug = _SLUG_INVALID.sub("-", name.strip().lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return slug or "default"


def parse_duration_ms(text: str) -> int:
    """`365d`, `12h`, `30m`, `90s`, `2w`; a bare number means days (as CoderClaw's paste-token)."""
    match = _DURATION.match(text)
    if not match:
        raise SecretInputError(f"Cannot read the duration {text!r}; use a number with s, m, h, d or w, like 365d.")
    amount, unit = int(match.group(1)), (match.group(2) or "d").lower()
    return amount * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * 1000
