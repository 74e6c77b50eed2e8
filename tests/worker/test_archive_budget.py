"""Archive slices are cut by what writing them costs, not by a count of entries
(worker/interpreter/archive.py `take_slice`, `budget_left`): whatever the log holds (many small
records, a few huge ones, non-ASCII text), each slice's text keeps within the characters its
workflow task has left, unless one entry alone is longer, and the slices together are exactly
the text of the whole log, the same every time."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.archive import events_text
from worker.interpreter.archive import (
    MIN_SLICE_CHARS,
    TASK_BUDGET_CHARS,
    budget_left,
    take_slice,
)
from worker.interpreter.work import STEP_CHARS

TIME = "2026-01-01T00:00:00.000Z"


def _entry(index: int, size: int, text: str) -> tuple[Any, ...]:
    """A log entry as the workflow keeps it: a folded pass step (its input and local), or a
    bare row without detail."""
    if size < 0:
        return (index, "StepStarted", "s", TIME, index - 1)
    value = {"blob": text * size, "n": index}
    return ("passed", index, f"p{index}", TIME, index, value, {"n": index})


ENTRIES = st.lists(
    st.tuples(
        st.integers(-1, 3000) | st.sampled_from([0, 20_000, 120_000]),
        st.sampled_from(["x", "é", '"', "中"]),
    ),
    max_size=60,
)


def _slices(entries: list[Any], budget: int, most: int) -> list[tuple[str, int, int]]:
    """Every slice of the log as the close cuts them: text, first and following index."""
    cut, start = [], 0
    while start < len(entries):
        text, end = take_slice(entries, start, budget, most)
        assert end > start  # always progresses
        cut.append((text, start, end))
        start = end
    return cut


@settings(max_examples=150, deadline=None)
@given(ENTRIES, st.integers(50, 400_000), st.integers(1, 40))
def test_each_slice_keeps_within_its_budget(
    sizes: list[tuple[int, str]], budget: int, most: int
) -> None:
    entries = [_entry(index + 1, size, text) for index, (size, text) in enumerate(sizes)]
    cut = _slices(entries, budget, most)
    for text, start, end in cut:
        assert text == events_text(list(entries[start:end]))  # exactly these entries' text
        assert end - start <= most
        assert len(text) <= budget or end - start == 1  # one entry longer than the budget
        if end < len(entries) and end - start < most:  # cut short: the next would overshoot
            assert len(events_text(list(entries[start : end + 1]))) > budget
    assert [entry for _, start, end in cut for entry in entries[start:end]] == entries
    assert cut == _slices(entries, budget, most)  # deterministic


def test_a_loaded_log_is_cut_by_characters_not_by_count() -> None:
    """Records of 100,000 characters each: a count of entries would put a thousand of them
    (100 MB) in one slice; the budget takes what fits the task's room."""
    entries = [_entry(index, 100_000, "x") for index in range(1, 41)]
    room = budget_left(3000 * STEP_CHARS)  # a pause after 3,000 steps
    cut = _slices(entries, room, 8192)
    assert len(cut) > 1
    assert all(len(text) <= room for text, _, _ in cut)
    assert all(len(text) > room - 200_100 for text, _, _ in cut[:-1])  # full but for one entry


def test_a_task_that_did_more_work_leaves_its_slice_less_room() -> None:
    """The slice gets what the task's steps (STEP_CHARS each) and measured bytes left of its
    budget, and never less than MIN_SLICE_CHARS, so a close always moves on."""
    assert budget_left(0) == TASK_BUDGET_CHARS
    work = 3000 * STEP_CHARS + 50_000
    assert budget_left(work) == TASK_BUDGET_CHARS - work
    assert budget_left(TASK_BUDGET_CHARS) == MIN_SLICE_CHARS
    assert budget_left(10**9) == MIN_SLICE_CHARS
