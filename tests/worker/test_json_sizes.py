"""JsonSizes gives exactly the compact UTF-8 JSON size the per-event quota always measured,
however a value was built (merged from measured ones, shared by a mapping, or fresh)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.interpreter.data import merge
from worker.interpreter.sizes import JsonSizes, measured

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
OBJECTS = st.dictionaries(st.text(max_size=8), VALUES, max_size=12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(OBJECTS, st.booleans()), min_size=1, max_size=6), OBJECTS)
def test_sizes_of_merged_locals_are_exact(updates: list[tuple[Any, bool]], start: Any) -> None:
    """A loop's local, merged step after step, with the container input on either side."""
    sizes = JsonSizes()
    local = start
    assert sizes.size(local) == measured(local)
    for update, input_first in updates:
        merged = sizes.merge(update, local) if input_first else sizes.merge(local, update)
        assert merged == (merge(update, local) if input_first else merge(local, update))
        assert sizes.size(merged) == measured(merged)
        shared = {"picked": merged, "more": update}  # a mapping that shares what it picks
        assert sizes.size(shared) == measured(shared)
        local = merged


@settings(max_examples=50, deadline=None)
@given(VALUES)
def test_sizes_of_any_value_are_exact(value: Any) -> None:
    sizes = JsonSizes()
    assert sizes.size(value) == measured(value) == len(_compact_utf8(value))
    assert sizes.size(value) == measured(value)  # remembered


def test_forgotten_values_are_measured_again() -> None:
    sizes = JsonSizes()
    values = [{"n": [index] * 3} for index in range(600)]
    assert [sizes.size(v) for v in values] == [measured(v) for v in values]
    assert len(sizes.known) <= 256
    assert sizes.size(values[0]) == measured(values[0])


def _compact_utf8(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
