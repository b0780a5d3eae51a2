import base64
import json

import pytest

from coderclaw_tui.auth.jwt_claims import (
    JwtError,
    b64url_decode,
    b64url_encode,
    decode_payload,
    jwt_expiry_ms,
    openai_account_id,
    openai_email,
)


def make_jwt(payload: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(payload)}.sig"


OPENAI = {
    "exp": 1_800_000_000,
    "https://api.openai.com/auth": {"chatgpt_account_id": "acct_123"},
    "https://api.openai.com/profile": {"email": "ada@example.com"},
}


def test_reads_the_openai_claims() -> None:
    token = make_jwt(OPENAI)
    assert openai_account_id(token) == "acct_123"
    assert openai_email(token) == "ada@example.com"
    assert jwt_expiry_ms(token) == 1_800_000_000_000


@pytest.mark.parametrize("filler", ["", "x", "xy", "xyz"])
def test_padding_is_restored_whatever_the_payload_length(filler: str) -> None:
    payload = {**OPENAI, "pad": filler}
    assert decode_payload(make_jwt(payload)) == payload


def test_missing_email_and_exp_are_none_but_missing_account_is_an_error() -> None:
    token = make_jwt({"https://api.openai.com/profile": {}})
    assert openai_email(token) is None
    assert jwt_expiry_ms(token) is None
    with pytest.raises(JwtError, match="no ChatGPT account id"):
        openai_account_id(token)
    with pytest.raises(JwtError):
        openai_account_id(make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "  "}}))


@pytest.mark.parametrize("exp", ["soon", True, -5, None])
def test_a_bad_exp_is_refused(exp: object) -> None:
    token = make_jwt({"exp": exp})
    if exp is None:
        assert jwt_expiry_ms(token) is None
    else:
        with pytest.raises(JwtError, match="exp"):
            jwt_expiry_ms(token)


@pytest.mark.parametrize(
    "token",
    [
        "only.two",
        "a.b.c.d",
        "head..sig",
        "head.!!!!.sig",
        "head." + b64url_encode(b"not json") + ".sig",
        "head." + b64url_encode(b"[1, 2]") + ".sig",
        "head." + base64.b64encode(b'{"a": "~~~~"}').decode() + ".sig",  # standard alphabet, not base64url
    ],
)
def test_malformed_tokens_raise_jwt_error_without_echoing_them(token: str) -> None:
    with pytest.raises(JwtError) as caught:
        decode_payload(token)
    assert token not in caught.value.message


def test_non_string_token_is_a_jwt_error() -> None:
    with pytest.raises(JwtError):
        decode_payload(None)  # type: ignore[arg-type]


def test_b64url_round_trip_and_strictness() -> None:
    data = bytes(range(256))
    assert b64url_decode(b64url_encode(data)) == data
    assert "=" not in b64url_encode(b"ab")
    with pytest.raises(JwtError):
        b64url_decode("abc$")
    with pytest.raises(JwtError):
        b64url_decode("é")
