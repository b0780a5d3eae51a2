"""Masking keeps a recognisable prefix: the first of the known prefixes (longest first) a secret starts with,
else its first three characters. Issue 12 made the look-up cheap (by the first two characters); this checks it
still picks what the plain rule picks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.core.credentials import _KNOWN_PREFIXES, mask_secret


def _plain_rule(secret: str) -> str:
    if not secret:
        return "-"
    if len(secret) < 12:
        return "…" + secret[-2:]
    prefix = next((p for p in _KNOWN_PREFIXES if secret.startswith(p)), secret[:3])
    return f"{prefix[: max(3, len(secret) // 3)]}…{secret[-4:]}"


STARTS = st.sampled_from([*_KNOWN_PREFIXES, "", "s", "sk", "sk-ant-", "g", "gh", "ghx_", "e", "ey", "AI", "rt", "r"])


@settings(max_examples=500)
@given(start=STARTS, rest=st.text(alphabet="abcXYZ019-_", max_size=60))
def test_the_prefix_shown_is_the_first_known_one(start: str, rest: str) -> None:
    assert mask_secret(start + rest) == _plain_rule(start + rest)


def test_examples() -> None:
    assert mask_secret("sk-ant-oat01-" + "x" * 60) == "sk-ant-oat01-…xxxx"
    assert mask_secret("sk-" + "y" * 40) == "sk-…yyyy"
    assert mask_secret("plain-secret-value") == "pla…alue"
