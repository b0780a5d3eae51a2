"""The rule for a profile id a user gives (SPEC 2): `<provider>:<name>`, at most 128 characters, no whitespace
or control characters. CoderClaw keys its store by these ids and shows them in its own commands and logs."""

from __future__ import annotations

import re

from coderclaw_tui.core.errors import UsageError

MAX_PROFILE_ID_LENGTH = 128
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Whitespace (Unicode's too), C0/C1 controls, and the bidi marks and overrides that make text lie about itself."""


def profile_id_rule(provider: str) -> str:
    return (
        f"profile ids are {provider}:<name>, at most {MAX_PROFILE_ID_LENGTH} characters, "
        "with no spaces or control characters"
    )


def check_profile_id(profile_id: str, provider: str) -> str:
    """`profile_id` when it follows the rule for `provider`; else a usage error stating the rule. The id itself is
    not repeated: it may hold control characters, and the user has it in front of them."""
    prefix, _, name = profile_id.partition(":")
    if (
        prefix != provider
        or not name
        or len(profile_id) > MAX_PROFILE_ID_LENGTH
        or _FORBIDDEN.search(profile_id) is not None
    ):
        raise UsageError(f"That --profile-id cannot be used: {profile_id_rule(provider)}.")
    return profile_id
