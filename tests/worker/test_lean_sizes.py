"""LeanSizes, the sizes of runs since interpreter version 7 (worker/interpreter/sizes.py):
exact whatever way a value was built, a merge with an empty operand is the other operand
itself, and what it measures (the work meter's byte count) depends only on the operations,
never on where Python put the objects, so a replay pauses where the run paused."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.worker.test_json_sizes import OBJECTS, POOL_OPS, VALUES
from worker.interpreter.data import merge
from worker.interpreter.sizes import LEAN_REMEMBERED, LeanSizes, lean_merge, measured


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(OBJECTS, st.booleans()), min_size=1, max_size=6), OBJECTS)
def test_lean_sizes_of_merged_locals_are_exact(updates: list[tuple[Any, bool]], start: Any) -> None:
    """A loop's local, merged step after step, with the container input on either side,
    and objects that share what they pick, as mappings build them."""
    sizes = LeanSizes()
    local = start
    for update, input_first in updates:
        merged = sizes.merge(update, local) if input_first else sizes.merge(local, update)
        assert merged == (merge(update, local) if input_first else merge(local, update))
        assert list(merged) == list(merge(update, local) if input_first else merge(local, update))
        assert sizes.size(merged) == measured(merged)
        shared = {"picked": merged, "more": update, "n": len(merged)}
        assert sizes.size(shared) == measured(shared)
        local = merged


@settings(max_examples=50, deadline=None)
@given(VALUES)
def test_lean_sizes_of_any_value_are_exact(value: Any) -> None:
    sizes = LeanSizes()
    assert sizes.size(value) == measured(value)
    assert sizes.size(value) == measured(value)  # remembered
    if type(value) is dict:
        assert sizes.size({"a": value, "b": 1}) == measured({"a": value, "b": 1})


@given(OBJECTS, OBJECTS)
def test_a_lean_merge_with_an_empty_operand_is_the_other(base: Any, update: Any) -> None:
    """No copy and no sizing when a step has nothing to add (a step without mappings takes
    its container's input as it is; a sequence's first output becomes its local)."""
    for join in (lean_merge, LeanSizes().merge):
        assert join(base, {}) is base
        empty: dict[str, Any] = {}
        assert join(empty, update) is (update if update else empty)
        both = join(base, update)
        assert both == merge(base, update) and list(both) == list(merge(base, update))
        if base and update:
            assert both is not base and both is not update
    assert lean_merge(None, update) == merge(None, update)  # not objects: as data.merge
    assert lean_merge(base, [1]) == merge(base, [1])


def test_lean_sizes_forget_the_oldest_half_when_full() -> None:
    sizes = LeanSizes()
    values = [{"n": [index] * 3} for index in range(3 * LEAN_REMEMBERED)]
    assert [sizes.size(v) for v in values] == [measured(v) for v in values]
    assert LEAN_REMEMBERED // 2 <= len(sizes.known) <= LEAN_REMEMBERED
    newest = values[-1]
    assert sizes.known[id(newest)] == (newest, measured(newest))
    before = sizes.measured_bytes
    assert sizes.size(values[0]) == measured(values[0])  # forgotten: measured again
    assert sizes.measured_bytes == before + measured(values[0])


@settings(max_examples=40, deadline=None)
@given(POOL_OPS, st.lists(OBJECTS | VALUES, min_size=1, max_size=8))
def test_lean_sizes_measure_by_the_operations_alone(ops: list[Any], fresh: list[Any]) -> None:
    """Two runs of the same operations on equal values held by other objects (a replay)
    measure the same bytes and remember the same sizes in the same order."""
    runs = []
    for values in (fresh, copy.deepcopy(fresh)):
        sizes, pool, trace = LeanSizes(), list(values), []
        for op, first, second in ops:
            a, b = pool[first % len(pool)], pool[second % len(pool)]
            if op == "size":
                trace.append(sizes.size(a))
            elif op == "merge":
                pool.append(sizes.merge(a, b))
            else:  # a mapping's object sharing picked values
                pool.append({"x": a, "y": b})
            trace.append(sizes.measured_bytes)
            trace.append([size for _, size in sizes.known.values()])
        runs.append(trace)
    assert runs[0] == runs[1]
