import base64
import hashlib
import re

from coderclaw_tui.auth.pkce import CHALLENGE_METHOD, PkcePair, challenge_for, new_state

B64URL_NO_PAD = re.compile(r"[A-Za-z0-9_-]+")


def test_rfc7636_appendix_b_vector() -> None:
    assert challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pair_is_32_random_bytes_base64url_without_padding() -> None:
    pair = PkcePair.generate()
    assert len(pair.verifier) == 43 and B64URL_NO_PAD.fullmatch(pair.verifier)
    assert len(base64.urlsafe_b64decode(pair.verifier + "=")) == 32
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert CHALLENGE_METHOD == "S256"


def test_pairs_and_states_are_fresh_each_time() -> None:
    assert len({PkcePair.generate().verifier for _ in range(50)}) == 50
    assert len({new_state() for _ in range(50)}) == 50


def test_state_is_16_bytes_of_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", new_state())


def test_verifier_stays_out_of_repr() -> None:
    pair = PkcePair.generate()
    assert pair.verifier not in repr(pair)
    assert pair.challenge in repr(pair)
