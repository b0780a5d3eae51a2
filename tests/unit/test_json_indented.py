"""Issue 12: `dumps_indented` writes indented JSON faster than the standard library's pure-Python encoder, and must
write the very same text (stores are compared byte for byte with what CoderClaw writes, and `--json` output is
parsed by scripts): anything it does not write itself goes to the standard encoder whole."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.core.jsonio import StrictJsonError, dumps_indented, dumps_pretty

TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=("Cs",)), max_size=6) | st.sampled_from(
    ['"', "\\", "\n", "\x00", "\x1b[2J", "\u2028", "é", "😀", "\x7f"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64, max_value=2**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=60,
)


def standard(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@settings(max_examples=250, deadline=None)
@given(data=JSON)
def test_the_same_text_as_the_standard_encoder(data: Any) -> None:
    assert dumps_indented(data) == standard(data)


@pytest.mark.parametrize(
    "data",
    [
        {"nan": float("nan")},
        [float("inf"), 1],
        {"t": (1, "a", [2])},
        OrderedDict(b=1, a=2),
        {7: "int key", None: "none key", 2.5: "float key", True: "bool key"},
        {"sub": type("Text", (str,), {})("x")},
        {"flag": type("Flag", (int,), {})(3)},
        ["a", "b", "c"],
        [[], {}, [[]], {"": {}}],
    ],
    ids=["nan", "infinity", "tuple", "ordered-dict", "non-str-keys", "str-subclass", "int-subclass", "strings", "empties"],
)
def test_what_it_leaves_to_the_standard_encoder_comes_out_the_same(data: Any) -> None:
    assert dumps_indented(data) == standard(data)


def test_nesting_past_the_recursion_limit_is_handed_over_whole() -> None:
    """As deep as strict parsing lets a store be: the same text, or the same refusal, as the standard encoder."""
    data: Any = "leaf"
    for level in range(990):
        data = {"k": data} if level % 2 else [data]
    try:
        expected: Any = standard(data)
    except RecursionError as exc:
        expected = type(exc)
    try:
        got: Any = dumps_indented(data)
    except RecursionError as exc:
        got = type(exc)
    assert got == expected


def test_a_store_still_refuses_what_javascript_cannot_read() -> None:
    with pytest.raises(StrictJsonError):
        dumps_pretty({"profiles": {"a": {"expires": float("inf")}}})
    with pytest.raises(StrictJsonError):
        dumps_pretty({"profiles": {"a": {"key": "\ud800"}}})
