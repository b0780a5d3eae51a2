"""Read what a user pastes back after signing in: a redirect URL, its query, `code#state`, or a bare code.

Users copy from browsers, terminals and chat windows, so a URL may arrive wrapped over lines, indented, or with
words around it. The parser rejoins what a line wrap split, stops at what cannot be part of a URL, and refuses
rather than guesses whenever a state might be lost: a mismatched state must never slip through.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from coderclaw_tui.core.errors import CoderclawError

MAX_PASTE_CHARS = 16_384
MAX_CODE_CHARS = 4_096

_URL_START = re.compile(r"https?://", re.IGNORECASE)
_QUERY_START = re.compile(r"[?&]?\b(?:code|state)=", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z0-9._~+/=-]+")
_ERROR_NAME = re.compile(r"[a-z_]{1,40}")
_WHITESPACE = re.compile(r"\s+")
_NEVER_IN_URL = frozenset("\"'<>`{}|\\^")
_LEADING_WRAPPERS = "\"'<([{`"
_TRAILING_PUNCTUATION = ".,;:!?)]}>'\"`"


class PasteError(CoderclawError):
    """A paste that cannot finish the login; the message is one sentence saying what to paste instead."""


@dataclass(frozen=True)
class ParsedPaste:
    """The code and, when the paste carried one, the state."""

    code: str = field(repr=False)
    state: str | None = field(repr=False)

    def check(self, expected_state: str) -> str:
        """The code, unless the paste names a different login's state."""
        if self.state is not None and not hmac.compare_digest(self.state.encode(), expected_state.encode()):
            raise PasteError(
                "That paste does not match this sign-in (its state differs); "
                "paste only the redirect URL from the sign-in you just started."
            )
        return self.code


def parse_paste(text: str) -> ParsedPaste:
    """Find the code (and state) in `text`, or raise `PasteError`."""
    if not isinstance(text, str):
        raise PasteError("Paste the redirect URL or the code as text.")
    if len(text) > MAX_PASTE_CHARS:
        raise PasteError("That paste is far too long to be a redirect URL or a code; paste only the URL.")
    text = _unwrap(text.replace("\r\n", "\n").replace("\r", "\n").strip())
    if not text:
        raise PasteError("Nothing was pasted; paste the redirect URL or the code.")
    if urls := [_take_value(text, match.start()) for match in _URL_START.finditer(text)]:
        parsed = _from_query(next((u for u in urls if "code=" in u.lower()), urls[0]), is_url=True)
    elif query := _QUERY_START.search(text):
        parsed = _from_query(_take_value(text, query.start()), is_url=False)
    else:
        parsed = _from_bare(text)
    if parsed.state is None and "state=" in text.lower():
        raise PasteError("The state in that paste could not be read; paste the redirect URL on its own.")
    return parsed


def safe_error_name(value: object) -> str:
    """A provider's `error` field, fit to show: OAuth error names are short snake_case; anything else is not echoed."""
    return value if isinstance(value, str) and _ERROR_NAME.fullmatch(value) else "unknown error"


def provider_error_message(error: str) -> str:
    """What to tell the user when the provider redirected back with `error=` instead of a code."""
    return f"The sign-in page reported an error ({safe_error_name(error)}); start the login again."


def _unwrap(text: str) -> str:
    """Rejoin what a wrap split: whitespace holding exactly one line break goes; spaces on a line and blank
    lines stay, since they separate the value from words around it."""
    return _WHITESPACE.sub(lambda run: "" if run.group().count("\n") == 1 else run.group(), text)


def _take_value(text: str, start: int) -> str:
    """The URL-like run from `start`, up to whitespace or a character no URL holds."""
    end = start
    while end < len(text) and not (
        text[end].isspace() or text[end] in _NEVER_IN_URL or not text[end].isascii() or not text[end].isprintable()
    ):
        end += 1
    return text[start:end].rstrip(_TRAILING_PUNCTUATION)


def _from_query(chunk: str, *, is_url: bool) -> ParsedPaste:
    if is_url:
        parts = urlsplit(chunk)
        query, fragment = parts.query, parts.fragment
    else:
        query, _, fragment = chunk.lstrip("?&").partition("#")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=50)
        if "=" in fragment:
            pairs += parse_qsl(fragment, keep_blank_values=True, max_num_fields=50)
            fragment = ""
    except ValueError as exc:
        raise PasteError("That paste holds too many parameters to be a redirect URL.") from exc
    codes = {value for key, value in pairs if key == "code"}
    states = {value for key, value in pairs if key == "state"}
    if len(codes) > 1 or len(states) > 1:
        raise PasteError("That paste holds more than one code or state; paste a single redirect URL.")
    if not codes or not next(iter(codes)):
        errors = [value for key, value in pairs if key == "error"]
        if errors:
            raise PasteError(provider_error_message(errors[0]))
        where = "That URL" if is_url else "That paste"
        raise PasteError(f"{where} has no code in it; paste the address the browser showed after you approved.")
    state = next(iter(states)) if states else (fragment or None)
    return ParsedPaste(_valid_code(next(iter(codes))), state)


def _from_bare(text: str) -> ParsedPaste:
    """`code#state` or a bare code: words around it are refused, not guessed."""
    if any(ch.isspace() for ch in text):
        raise PasteError("That paste has spaces in it; paste only the redirect URL or the code.")
    code, hash_sign, state = text.lstrip(_LEADING_WRAPPERS).rstrip(_TRAILING_PUNCTUATION).partition("#")
    return ParsedPaste(_valid_code(code), state if hash_sign else None)


def _valid_code(code: str) -> str:
    if not code:
        raise PasteError("That paste has no code in it; paste the redirect URL or the code.")
    if len(code) > MAX_CODE_CHARS:
        raise PasteError("That code is far too long; paste the redirect URL instead.")
    if not _CODE.fullmatch(code):
        raise PasteError("That code contains characters a code never has; paste the redirect URL instead.")
    return code
