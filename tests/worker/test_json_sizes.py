"""JsonSizes gives exactly the compact UTF-8 JSON size the per-event quota always measured,
however a value was built (merged from measured ones, shared by a mapping, or fresh)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.worker import sizes_reference
from tests.worker.sizes_reference import JsonSizes as ReferenceSizes
from worker.interpreter import sizes as sizes_module
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


POOL_OPS = st.lists(
    st.tuples(st.sampled_from(["size", "merge", "new"]), st.integers(0, 40), st.integers(0, 40)),
    min_size=1,
    max_size=120,
)


@settings(max_examples=40, deadline=None)
@given(POOL_OPS, st.lists(OBJECTS | VALUES, min_size=1, max_size=8))
def test_measures_and_remembers_as_it_always_did(ops: list[Any], fresh: list[Any]) -> None:
    """The work meter (worker/interpreter/work.py) pauses a run by the bytes JsonSizes
    serialised: the same values must be measured, and remembered in the same order (the
    oldest is forgotten first), as by the implementation executions ran with so far."""
    with ExitStack() as small:  # a small memory, so that forgetting happens too
        small.enter_context(patch.object(sizes_module, "REMEMBERED", 6))
        small.enter_context(patch.object(sizes_reference, "REMEMBERED", 6))
        _same_measures(ops, fresh)


def _same_measures(ops: list[Any], fresh: list[Any]) -> None:
    sizes, reference = JsonSizes(), ReferenceSizes()
    ours: list[Any] = list(fresh)
    theirs: list[Any] = list(fresh)  # the same inputs; merged ones are each side's own
    for op, first, second in ops:
        a, b = first % len(ours), second % len(ours)
        if op == "size":
            assert sizes.size(ours[a]) == reference.size(theirs[a])
        elif op == "merge":
            ours.append(sizes.merge(ours[a], ours[b]))
            theirs.append(reference.merge(theirs[a], theirs[b]))
            assert ours[-1] == theirs[-1]
        else:  # a mapping's object sharing picked values
            ours.append({"x": ours[a], "y": ours[b]})
            theirs.append({"x": theirs[a], "y": theirs[b]})
        assert sizes.measured_bytes == reference.measured_bytes
        assert [s for _, s in sizes.known.values()] == [s for _, s in reference.known.values()]
        assert len(sizes.known) == len(reference.known)
