import pytest
from hypothesis import given
from hypothesis import strategies as st

from coderclaw_tui.auth.paste_parser import ParsedPaste, PasteError, parse_paste

STATE = "0123456789abcdef0123456789abcdef"
CODE = "ac_Zx9-Qw.ert_~Y"
URL = f"http://localhost:1455/auth/callback?code={CODE}&state={STATE}"


@pytest.mark.parametrize(
    "text",
    [
        URL,
        f"  {URL}  \n",
        f"http://localhost:1455/auth/callback?state={STATE}&code={CODE}",
        f"Paste the redirect URL: {URL} (copied from Firefox)",
        f'"{URL}"',
        f"<{URL}>.",
        "http://localhost:1455/auth/callback?code=ac_Zx9-Q\nw.ert_~Y&state=0123456789abcdef\n    0123456789abcdef",
        f"Here it is:\n{URL[:30]}\r\n{URL[30:70]}\r\n{URL[70:]}\n\nthanks",
        f"?code={CODE}&state={STATE}",
        f"code={CODE}&state={STATE}",
        f"{CODE}#{STATE}",
        f"  {CODE[:5]}\n{CODE[5:]}#{STATE}  ",
    ],
)
def test_every_accepted_shape_yields_code_and_state(text: str) -> None:
    parsed = parse_paste(text)
    assert (parsed.code, parsed.state) == (CODE, STATE)
    assert parsed.check(STATE) == CODE


def test_bare_code_has_no_state_and_passes_the_check() -> None:
    parsed = parse_paste(f"  {CODE}\n")
    assert parsed == ParsedPaste(CODE, None)
    assert parsed.check(STATE) == CODE


def test_percent_encoding_in_a_url_is_decoded() -> None:
    assert parse_paste("https://localhost/cb?code=a%2Bb%2Fc&state=s").code == "a+b/c"


def test_a_url_with_a_code_is_preferred_over_other_urls_in_the_text() -> None:
    text = f"see https://docs.example.com/help then {URL}"
    assert parse_paste(text).code == CODE


def test_a_different_state_is_refused_with_a_clear_sentence() -> None:
    parsed = parse_paste(URL.replace(STATE, "f" * 32))
    with pytest.raises(PasteError, match="does not match this sign-in"):
        parsed.check(STATE)


def test_a_word_on_the_very_next_line_reads_as_a_wrap_so_the_paste_is_refused_not_misread() -> None:
    with pytest.raises(PasteError, match="paste only the redirect URL"):
        parse_paste(f"{URL}\nthanks").check(STATE)


def test_the_code_and_state_stay_out_of_repr() -> None:
    text = repr(parse_paste(URL))
    assert CODE not in text and STATE not in text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "Nothing was pasted"),
        (" \n\t ", "Nothing was pasted"),
        (f"https://auth.openai.com/oauth/authorize?client_id=x&state={STATE}&code_challenge=abc", "no code"),
        (
            f"http://localhost:1455/auth/callback?error=access_denied&state={STATE}",
            r"reported an error \(access_denied\)",
        ),
        ("http://localhost:1455/auth/callback?error=<script>", r"reported an error \(unknown error\)"),
        (f"my code is {CODE}", "spaces"),
        ("Code:\nabc#def", "characters a code never has"),
        ("x" * 20_000, "too long"),
        (f"{URL}&state=ffff", "more than one"),
        (f"{URL}&code=other", "more than one"),
        (f"code={CODE} state={STATE}", "state in that paste could not be read"),
        ("code=&state=x", "no code"),
        ("#" + STATE, "no code"),
    ],
)
def test_unusable_pastes_say_why_in_one_sentence(text: str, why: str) -> None:
    with pytest.raises(PasteError, match=why) as caught:
        parse_paste(text)
    message = caught.value.message
    assert message.endswith(".") and message.count(". ") == 0
    assert STATE not in message and CODE not in message


def test_non_text_is_refused_with_paste_error() -> None:
    with pytest.raises(PasteError):
        parse_paste(None)  # type: ignore[arg-type]


# -- properties ------------------------------------------------------------------------------------------------

codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=80)
states = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
indent = st.sampled_from(["", " ", "  ", "\t", "   "])
leading_junk = st.text(alphabet="abc XYZ:,!-\n", max_size=30).map(lambda s: s + " ")
trailing_junk = st.one_of(  # words on the same line after a space, or anything after a blank line
    st.tuples(st.sampled_from([" ", "  ", "\t"]), st.text(alphabet="abc XYZ!,\n", max_size=30).map(lambda s: "x" + s)),
    st.tuples(st.sampled_from(["\n\n", " \n\n", "\n \n"]), st.text(alphabet="abc XYZ!,\n", max_size=30)),
)


def wrap(text: str, cuts: list[int], pad: str) -> str:
    """Break `text` at `cuts`, the way a terminal or a mail client does, with trailing/leading padding."""
    pieces, last = [], 0
    for cut in sorted(set(c % len(text) for c in cuts if c % len(text))):
        pieces.append(text[last:cut])
        last = cut
    pieces.append(text[last:])
    return f"{pad}\n{pad}".join(pieces)


structured = st.lists(
    st.sampled_from(
        [
            "http://",
            "https://h/cb?",
            "code=",
            "state=",
            "error=",
            "#",
            "&",
            "?",
            "=",
            "%",
            "%zz",
            "\n",
            " ",
            "\r\n",
            "\t",
            '"',
            "<",
            ">",
            "a",
            "Z",
            "9",
            "-",
            ".",
            "é",
            "\x00",
            "\u2028",
            "\xa0",
        ]
    ),
    max_size=40,
).map("".join)


@given(text=st.one_of(st.text(max_size=400), structured))
def test_never_raises_anything_but_paste_error(text: str) -> None:
    try:
        parse_paste(text).check(STATE)
    except PasteError as exc:
        assert exc.message


@given(text=st.one_of(st.text(max_size=200), structured), expected=states)
def test_arbitrary_text_never_passes_with_a_state_it_did_not_read(text: str, expected: str) -> None:
    try:
        parsed = parse_paste(text)
        parsed.check(expected)
    except PasteError:
        return
    assert parsed.state is None or parsed.state == expected
    if parsed.state is None:
        assert "state=" not in text.lower()


@given(
    code=codes,
    state=states,
    cuts=st.lists(st.integers(0, 200), max_size=4),
    pad=indent,
    before=leading_junk,
    after=trailing_junk,
)
def test_wrapped_urls_with_junk_around_round_trip(
    code: str, state: str, cuts: list[int], pad: str, before: str, after: tuple[str, str]
) -> None:
    url = f"http://localhost:1455/auth/callback?code={code}&state={state}"
    text = before + wrap(url, cuts, pad) + after[0] + after[1]
    parsed = parse_paste(text)
    assert (parsed.code, parsed.state) == (code, state)
    assert parsed.check(state) == parsed.code


@given(
    code=codes,
    state=states,
    other=states,
    cuts=st.lists(st.integers(0, 200), max_size=3),
    pad=indent,
    shape=st.sampled_from(["url", "query", "hash"]),
)
def test_a_mismatched_state_is_never_accepted(
    code: str, state: str, other: str, cuts: list[int], pad: str, shape: str
) -> None:
    if other == state:
        return
    body = {
        "url": f"https://localhost:1455/auth/callback?code={code}&state={other}",
        "query": f"?code={code}&state={other}",
        "hash": f"{code}#{other}",
    }[shape]
    with pytest.raises(PasteError):
        parse_paste(wrap(body, cuts, pad)).check(state)
