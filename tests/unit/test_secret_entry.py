"""Pasted secrets (SPEC 5): setup-token checks, API key clean-up, profile-name slugs and durations, and the
`TokenPaste` / `ApiKeyEntry` flows that turn them into the record that gets stored.

What a user pastes is messy (wrapped lines, `export K="v";`, stray quotes), so the clean-up is also fuzzed.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coderclaw_tui.core.secret_input import (
    SETUP_TOKEN_PREFIX,
    SecretInputError,
    normalize_api_key,
    parse_duration_ms,
    slug_profile_name,
    validate_setup_token,
)
from coderclaw_tui.flows.events import LoginError
from coderclaw_tui.flows.secret_entry import ApiKeyEntry, TokenPaste
from coderclaw_tui.providers.catalogue import resolve_provider

TOKEN = SETUP_TOKEN_PREFIX + "AbCdEfGh1234_-" * 5  # 83 characters
DAY_MS = 86_400_000


def assert_one_sentence(message: str) -> None:
    """What the field shows under the input: one line, one sentence, ending in a full stop."""
    assert "\n" not in message
    assert message.endswith(".")
    assert not re.search(r"[.!?]\s+[A-Z]", message), message


# Setup-token


@pytest.mark.parametrize(
    "pasted",
    [
        TOKEN,
        f"  {TOKEN}\n",
        f"{TOKEN[:40]}\n{TOKEN[40:]}",
        f"{TOKEN[:40]}\r\n{TOKEN[40:60]}\r\n{TOKEN[60:]}",
        f"{TOKEN[:30]}\u2028{TOKEN[30:]}",
        f"{TOKEN[:30]}\t \u00a0{TOKEN[30:]}",
    ],
    ids=["plain", "padded", "wrapped-lf", "wrapped-crlf", "line-separator", "tab-nbsp"],
)
def test_setup_token_whitespace_and_line_breaks_are_stripped(pasted: str) -> None:
    assert validate_setup_token(pasted) == TOKEN


def test_setup_token_length_boundary() -> None:
    eighty = SETUP_TOKEN_PREFIX + "x" * (80 - len(SETUP_TOKEN_PREFIX))
    assert validate_setup_token(eighty) == eighty
    with pytest.raises(SecretInputError, match="too short"):
        validate_setup_token(eighty[:-1])


@pytest.mark.parametrize(
    ("pasted", "fragment"),
    [
        ("sk-ant-api03-" + "k" * 90, "sk-ant-oat01-"),
        ("", "empty"),
        (" \n\t ", "empty"),
        (SETUP_TOKEN_PREFIX + "short", "too short"),
        ("abcdefghijklmnopqrstuvwxyz0123456789#statestatestate", "claude setup-token"),
        (TOKEN + "#" + "s" * 32, "claude setup-token"),
    ],
    ids=["api-key-prefix", "empty", "blank", "short", "code-hash-state", "valid-prefix-with-hash"],
)
def test_setup_token_refusals_are_one_sentence_saying_what_to_do(pasted: str, fragment: str) -> None:
    with pytest.raises(SecretInputError) as caught:
        validate_setup_token(pasted)
    message = str(caught.value)
    assert fragment in message
    assert_one_sentence(message)


def test_hash_refusal_explains_it_is_a_code_not_a_token() -> None:
    with pytest.raises(SecretInputError) as caught:
        validate_setup_token(TOKEN + "#abc")
    assert "`claude setup-token`" in str(caught.value)
    assert "code#state" in str(caught.value)


# Profile names


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Work Account!", "work-account"),
        ("", "default"),
        ("   ", "default"),
        ("!!!", "default"),
        ("  Team/Alpha  beta ", "team-alpha-beta"),
        ("me.Example_1-2", "me.example_1-2"),
        ("--Ünïcode--", "n-code"),
    ],
)
def test_profile_name_slug(name: str, slug: str) -> None:
    assert slug_profile_name(name) == slug


# TokenPaste


def test_token_paste_finish_gives_the_record_to_store() -> None:
    result = TokenPaste("anthropic").finish(f"{TOKEN[:50]}\r\n{TOKEN[50:]}\n", name="Work Account!")
    assert result.credential == {"type": "token", "provider": "anthropic", "token": TOKEN}
    assert result.suggested_profile_id == "anthropic:work-account"
    assert result.provider == "anthropic"
    assert result.expires_ms is None and result.identity is None


def test_token_paste_default_name_and_expiry() -> None:
    result = TokenPaste("anthropic").finish(TOKEN, expires_ms=1_900_000_000_000)
    assert result.suggested_profile_id == "anthropic:default"
    assert result.credential["expires"] == 1_900_000_000_000 == result.expires_ms


def test_token_paste_refusal_is_a_login_error_and_live_problem() -> None:
    paste = TokenPaste("anthropic")
    assert paste.problem(TOKEN) is None
    problem = paste.problem("code#state")
    assert problem is not None and "claude setup-token" in problem
    with pytest.raises(LoginError) as caught:
        paste.finish("code#state")
    assert caught.value.message == problem


def test_token_paste_for_other_providers_only_strips_whitespace() -> None:
    """Only Anthropic's setup-token has a known shape; another provider's token is kept as pasted, minus spaces."""
    result = TokenPaste("github-copilot").finish(" ghu_abc\ndef ")
    assert result.credential == {"type": "token", "provider": "github-copilot", "token": "ghu_abcdef"}
    assert TokenPaste("github-copilot").problem("  ") is not None


# API keys


@pytest.mark.parametrize(
    ("pasted", "key"),
    [
        ('export OPENAI_API_KEY="sk-proj-abc123"', "sk-proj-abc123"),
        ("export OPENAI_API_KEY='sk-proj-abc123';", "sk-proj-abc123"),
        ("OPENAI_API_KEY=sk-proj-abc123;", "sk-proj-abc123"),
        ("K=v;", "v"),
        ("OPENAI_API_KEY = sk-proj-abc123", "sk-proj-abc123"),
        ('"sk-proj-abc123"', "sk-proj-abc123"),
        ("'sk-proj-abc123'", "sk-proj-abc123"),
        ("  sk-proj-abc123  \n", "sk-proj-abc123"),
        ("sk-proj-abc\n123", "sk-proj-abc123"),
        ("sk-proj-abc\r\n123", "sk-proj-abc123"),
        ('export ANTHROPIC_API_KEY="sk-ant-api03-\nxyz";\n', "sk-ant-api03-xyz"),
    ],
)
def test_api_key_normalisation(pasted: str, key: str) -> None:
    assert normalize_api_key(pasted) == key


@pytest.mark.parametrize("key", ["dGVzdGtleTEyMzQ1Njc4OTA=", "QUJDREVGR0hJSktMTU5PUA=="])
def test_a_base64_key_with_padding_is_kept_whole(key: str) -> None:
    """Base64 keys end in `=`; a key is not an assignment just because it starts with letters and holds `=`."""
    assert normalize_api_key(key) == key


@pytest.mark.parametrize("pasted", ["", "   ", '""', "export OPENAI_API_KEY=", "K=;"])
def test_empty_api_key_is_refused_in_one_sentence(pasted: str) -> None:
    with pytest.raises(SecretInputError) as caught:
        normalize_api_key(pasted)
    assert "empty" in str(caught.value)
    assert_one_sentence(str(caught.value))


def test_env_offer_masks_the_value() -> None:
    secret = "sk-proj-SECRETSECRETSECRET9876"
    entry = ApiKeyEntry(resolve_provider("openai"), env={"OPENAI_API_KEY": secret})
    offer = entry.env_offer()
    assert offer is not None
    assert offer.variable == "OPENAI_API_KEY"
    assert offer.preview.endswith("9876") and "…" in offer.preview
    assert "SECRETSECRET" not in offer.preview


def test_env_offer_uses_the_providers_variables_in_order() -> None:
    google = resolve_provider("google")
    assert ApiKeyEntry(google, env={"GOOGLE_API_KEY": "AIzaGoogleKey1234567"}).env_offer().variable == "GOOGLE_API_KEY"  # type: ignore[union-attr]
    both = {"GOOGLE_API_KEY": "AIzaGoogleKey1234567", "GEMINI_API_KEY": "AIzaGeminiKey7654321"}
    assert ApiKeyEntry(google, env=both).env_offer().variable == "GEMINI_API_KEY"  # type: ignore[union-attr]
    assert ApiKeyEntry(google, env={"GEMINI_API_KEY": "   "}).env_offer() is None


def test_finish_none_takes_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no `env` given, the real process environment is what is offered."""
    monkeypatch.setenv("OPENAI_API_KEY", '  "sk-proj-fromenv1234"\n')
    result = ApiKeyEntry(resolve_provider("openai")).finish(None, name="CI Key")
    assert result.credential == {"type": "api_key", "provider": "openai", "key": "sk-proj-fromenv1234"}
    assert result.suggested_profile_id == "openai:ci-key"


def test_finish_none_without_an_env_var_is_a_clear_error() -> None:
    with pytest.raises(LoginError, match="paste one instead"):
        ApiKeyEntry(resolve_provider("openai"), env={}).finish(None)


def test_finish_with_pasted_text_and_default_name() -> None:
    entry = ApiKeyEntry(resolve_provider("anthropic"), env={})
    result = entry.finish('export ANTHROPIC_API_KEY="sk-ant-api03-abc";')
    assert result.credential == {"type": "api_key", "provider": "anthropic", "key": "sk-ant-api03-abc"}
    assert result.suggested_profile_id == "anthropic:default"
    assert entry.problem("   ") is not None and entry.problem("sk-x") is None
    with pytest.raises(LoginError):
        entry.finish("  ")


# Durations


@pytest.mark.parametrize(
    ("text", "ms"),
    [("365d", 365 * DAY_MS), ("12h", 12 * 3_600_000), ("30", 30 * DAY_MS), ("90s", 90_000), ("2w", 14 * DAY_MS),
     ("30m", 1_800_000), (" 7D ", 7 * DAY_MS)],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "abc", "1.5d", "-5d", "5y", "d", "365 days", "12h30m"])
def test_junk_durations_are_refused(text: str) -> None:
    with pytest.raises(SecretInputError) as caught:
        parse_duration_ms(text)
    assert "365d" in str(caught.value)
    assert_one_sentence(str(caught.value))


# Properties: whatever is pasted, only SecretInputError escapes, and no whitespace survives

PASTE_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
PASTES = st.one_of(
    st.text(PASTE_ALPHABET, max_size=200),
    st.builds(
        lambda prefix, name, quote, body, tail: f"{prefix}{name}={quote}{body}{quote}{tail}",
        st.sampled_from(["", "export ", "  export  "]),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
        st.sampled_from(["", '"', "'"]),
        st.text(PASTE_ALPHABET, max_size=60),
        st.sampled_from(["", ";", ";\n", "\r\n", "\u2028"]),
    ),
    st.builds(lambda body: SETUP_TOKEN_PREFIX + body, st.text(PASTE_ALPHABET, max_size=120)),
)


@given(PASTES)
def test_normalize_api_key_raises_only_secret_input_error_and_drops_whitespace(text: str) -> None:
    try:
        key = normalize_api_key(text)
    except SecretInputError as exc:
        assert_one_sentence(str(exc))
        return
    assert key
    assert not any(ch.isspace() for ch in key)
    assert key.isprintable(), "a control character reached the stored key"


@given(PASTES)
def test_validate_setup_token_raises_only_secret_input_error_and_drops_whitespace(text: str) -> None:
    try:
        token = validate_setup_token(text)
    except SecretInputError as exc:
        assert_one_sentence(str(exc))
        return
    assert token.startswith(SETUP_TOKEN_PREFIX) and len(token) >= 80 and "#" not in token
    assert not any(ch.isspace() for ch in token)
    assert token.isprintable(), "a control character reached the stored token"


@pytest.mark.parametrize("pasted", ["sk-abc\x1b]52;c;eA==\x07def", "sk-abc\x00def", "sk-\u202egnp", "sk-\udcff-bytes"])
def test_control_characters_are_refused_on_the_terminal_as_from_a_pipe(pasted: str) -> None:
    """The wizard's token and key fields share the piped paste-token's rule (a terminal paste can carry escape
    sequences too): one sentence, and nothing to save."""
    for problem in (TokenPaste("openai").problem(pasted), ApiKeyEntry(resolve_provider("openai")).problem(pasted)):
        assert problem is not None and "control characters or is not UTF-8 text" in problem
        assert_one_sentence(problem)
    with pytest.raises(LoginError):
        TokenPaste("openai").finish(pasted)
