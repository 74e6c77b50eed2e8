"""An inline step keeps its events as one folded record (worker/interpreter/events.py `Folded`)
and every reader expands it into exactly the rows the step would have recorded one by one.

Here without a server: random logs, each built twice from the same script of events, once
with inline steps folded (`fold`, `unfold` for a step that failed before its StepExited) and
once row by row (`record`), must give the same rows, the same `history` pages for any start,
count and byte limit (pages that begin and end inside a folded record among them), and the
same archive: slices of the folded entries (FOLDED_FORMAT) read back as the events the slices
of the rows (ROWS_FORMAT) hold.
tests/worker/test_folded_runs.py checks the same on real runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.archive import FOLDED_FORMAT, ROWS_FORMAT, compressed_rows, decode_chunk
from worker.interpreter.archive import marked_row_slices
from worker.interpreter.events import CLOSED, OPENED, PASSED, WIDE, EventLog

TEXTS = st.text('ab"\\\u00e9\u4e2d\n', max_size=6)
SCALARS = st.one_of(st.integers(-5, 10**6), TEXTS, st.booleans(), st.none(), st.floats(-2, 2))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=8,
)
OBJECTS = st.one_of(
    st.dictionaries(st.sampled_from(["a", "b", "n", "blob", "\u540d"]), VALUES, max_size=5),
    st.builds(lambda n: {f"k{i}": i for i in range(n)}, st.integers(WIDE - 1, WIDE + 2)),
)
"""Flow data: objects, some of them WIDE (written at once as text, as `record` writes them)."""
NAMES = st.sampled_from(["loop", "set0", "p\u00e9", 'q"x'])


@dataclass
class Op:
    """One thing a run records: `kind` is PASSED, OPENED, CLOSED, "failed" (a pass step whose
    output mapping or StepExited quota failed: no StepExited), "unclosed" (the same for a
    choice's end) or "event" (any other event, a row in both logs)."""

    kind: str
    name: str
    value: Any
    local: Any
    tick: int


OPS = st.builds(
    Op,
    kind=st.sampled_from([PASSED, PASSED, OPENED, CLOSED, "failed", "unclosed", "event"]),
    name=NAMES,
    value=OBJECTS,
    local=OBJECTS,
    tick=st.integers(0, 2),
)


def _time(tick: int) -> str:
    return f"2026-01-01T00:00:{tick:02d}.000Z"


def _logs(ops: list[Op], first_id: int) -> tuple[EventLog, EventLog]:
    """The same events kept folded and row by row."""
    folded, rows = EventLog(first_id=first_id), EventLog(first_id=first_id)
    folded.record("ExecutionStarted", "", {"input": {"a": 1}}, time=_time(0))
    rows.record("ExecutionStarted", "", {"input": {"a": 1}}, time=_time(0))
    entered: list[int] = []
    clock = 0
    for op in ops:
        clock += op.tick
        time = _time(clock)
        start = rows.next_id()
        if op.kind == PASSED:
            folded.fold(PASSED, op.name, time, start, op.value, op.local)
        elif op.kind == OPENED:
            folded.fold(OPENED, op.name, time, 0, op.value, None)
            entered.append(start)
        elif op.kind == CLOSED:
            closing = entered.pop() if entered else start
            folded.fold(CLOSED, op.name, time, closing, op.value, op.local)
            rows.record("StepSucceeded", op.name, None, closing, time)
            exited = {"input": op.value, "local": op.local}
            rows.record("StepExited", op.name, exited, closing, time)
            continue
        elif op.kind == "unclosed":
            closing = entered.pop() if entered else start
            folded.unfold(CLOSED, op.name, time, closing, op.value, None, 1)
            rows.record("StepSucceeded", op.name, None, closing, time)
            continue
        elif op.kind == "failed":
            folded.unfold(PASSED, op.name, time, start, op.value, None, 3)
        else:
            folded.record("StepFailed", op.name, {"error": "E", "cause": op.name}, start, time)
            rows.record("StepFailed", op.name, {"error": "E", "cause": op.name}, start, time)
            continue
        rows.record("StepEntered", op.name, {"input": op.value}, 0, time)
        rows.record("StepStarted", op.name, None, start, time)
        if op.kind == PASSED or op.kind == "failed":
            rows.record("StepSucceeded", op.name, None, start, time)
        if op.kind == PASSED:
            rows.record("StepExited", op.name, {"input": op.value, "local": op.local}, start, time)
    return folded, rows


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(OPS, max_size=12), first_id=st.integers(1, 40))
def test_folded_records_expand_into_the_rows(ops: list[Op], first_id: int) -> None:
    folded, rows = _logs(ops, first_id)
    assert folded.next_id() == rows.next_id()
    assert folded.rows() == rows.events
    assert EventLog(folded.rows(), first_id=first_id).next_id() == rows.next_id()
    assert EventLog(list(folded.events), first_id=first_id).next_id() == rows.next_id()


@settings(max_examples=150, deadline=None)
@given(
    ops=st.lists(OPS, min_size=1, max_size=10),
    first_id=st.integers(1, 40),
    limit=st.integers(0, 9),
    max_bytes=st.sampled_from([0, 1, 120, 300, 700, 10**6]),
)
def test_history_pages_of_folded_records(
    ops: list[Op], first_id: int, limit: int, max_bytes: int
) -> None:
    """Every start (before, inside and after folded records) and count and byte limit: the
    same page, and paging on from each page's end reads every event once."""
    folded, rows = _logs(ops, first_id)
    for start in range(0, rows.next_id() + 2):
        assert folded.page(start, limit, max_bytes) == rows.page(start, limit, max_bytes)
    if limit:
        read: list[dict[str, Any]] = []
        start = first_id
        while page := folded.page(start, limit, max_bytes):
            read += page
            start = page[-1]["EventId"] + 1
        assert read == rows.page(first_id, 10**6, 10**9)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(OPS, max_size=12), first_id=st.integers(1, 40), size=st.integers(1, 9))
def test_archive_slices_of_folded_records(ops: list[Op], first_id: int, size: int) -> None:
    """The folded archive's slices (at most `size` entries each, the last marked) read back,
    in order, as the events the rows' slices hold."""
    folded, rows = _logs(ops, first_id)
    following = rows.next_id()
    cut = list(marked_row_slices(folded.events, size))
    assert len(cut) == max(1, -(-len(folded.events) // size))
    assert [last for _, last in cut] == [False] * (len(cut) - 1) + [True]
    read: list[dict[str, Any]] = []
    for text, _ in cut:
        chunk = decode_chunk(compressed_rows(first_id, following, text, FOLDED_FORMAT))
        assert chunk is not None and (chunk.run_first_id, chunk.run_next_id) == (
            first_id,
            following,
        )
        read += chunk.events
    expected: list[dict[str, Any]] = []
    for row_text, _ in marked_row_slices(rows.events, size):
        row_chunk = decode_chunk(compressed_rows(first_id, following, row_text, ROWS_FORMAT))
        assert row_chunk is not None
        expected += row_chunk.events
    assert read == expected
