"""Issue 12 keeps strict JSON's limits exact while making them cheap: the nesting walk that skips containers of
scalars must agree with plain recursion on every shape, and integers are refused from 2**1024 (what overflows a
double) whatever shortcut short ones take."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderclaw_tui.core.jsonio import StrictJsonError, _deeper_than, strict_loads

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    """Containers nested, counted by recursion: a scalar is 0, `[]` is 1, `[[1]]` is 2."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(data=JSON, limit=st.integers(min_value=0, max_value=8))
def test_level_walk_agrees_with_recursion(data: Any, limit: int) -> None:
    assert _deeper_than(data, limit) == (_depth(data) > limit)


def test_the_deep_branch_is_found_among_shallow_siblings() -> None:
    data = {"profiles": {f"p{i}": {"type": "api_key", "key": "k", "n": i} for i in range(50)}, "x": [[[[{"y": []}]]]]}
    assert _depth(data) == 7
    assert _deeper_than(data, 6) and not _deeper_than(data, 7)


@pytest.mark.parametrize("number", ["9" * 308, "-" + "9" * 307, str(2**1024 - 1), "-" + str(2**1024 - 1), "0"])
def test_integers_below_two_to_the_1024_are_read(number: str) -> None:
    assert strict_loads(f'{{"n": {number}}}') == {"n": int(number)}


@pytest.mark.parametrize("number", [str(2**1024), "-" + str(2**1024), "9" * 309, "1" + "0" * 400])
def test_integers_from_two_to_the_1024_are_refused(number: str) -> None:
    with pytest.raises(StrictJsonError, match="overflows a double"):
        strict_loads(f'{{"n": {number}}}')


@pytest.mark.parametrize(("nesting", "refused"), [(999, False), (1000, False), (1001, True), (1500, True)])
def test_under_a_raised_recursion_limit_the_walk_still_holds_nesting_to_1000(nesting: int, refused: bool) -> None:
    """Under the usual recursion limit the C parser itself stops short of 1000 levels, so the walk is skipped;
    a process that raised the limit parses deeper, and the walk must then refuse past 1000 and nothing less."""
    text = "[" * nesting + "]" * nesting
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        if refused:
            with pytest.raises(StrictJsonError, match="nesting deeper than 1000"):
                strict_loads(text)
        else:
            assert _depth(strict_loads(text)) == nesting
    finally:
        sys.setrecursionlimit(limit)
