"""The end of a committed Temporal history tells a reader what it needs without a worker:
whether the run closed, the run it continued as, and the FnF events it archived as it closed
(worker/archive.py). Runs recorded before archives existed have none: readers ask the query."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from worker.activities.pauses import PAUSE
from worker.archive import (
    ARCHIVE_SLICE,
    FOLDED_FORMAT,
    PROGRESS_FORMAT,
    ROWS_FORMAT,
    ArchiveChunk,
    ArchiveRequest,
    RunArchive,
    archive_history,
    decode_chunk,
    slices,
)
from worker.history import RunTail, read_tail
from worker.interpreter.archive import _as_dicts as as_dicts
from worker.interpreter.archive import one_slice_of_rows, row_slices
from worker.interpreter.events import EventLog
from worker.interpreter.sizes import compact

HISTORIES = Path(__file__).parent / "histories"


async def tail_of(name: str, cut: int = 0) -> RunTail:
    """The tail of a committed history, or of its first events only (`cut` dropped)."""
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    events = list(history.events)[: len(history.events) - cut]

    async def backwards() -> AsyncIterator[HistoryEvent]:
        for event in reversed(events):
            yield event

    return await read_tail(DataConverter.default, backwards())


def event(event_id: int, detail: str = "{}") -> dict[str, object]:
    return {
        "EventId": event_id,
        "Type": "StepEntered",
        "StepName": "s",
        "Time": "2026-01-01T00:00:00.000Z",
        "ScheduleEventId": 0,
        "EventDetail": detail,
    }


async def test_a_closed_run_reads_its_archive() -> None:
    tail = await tail_of("archived-saga-fails")
    assert tail.closed and tail.next_run is None and tail.archive is not None
    events = tail.archive.events
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert (events[0]["Type"], events[-1]["Type"]) == ("ExecutionStarted", "ExecutionFailed")


async def test_a_stopped_run_reads_its_archive() -> None:
    tail = await tail_of("archived-stopped-task")
    assert tail.archive is not None and tail.archive.events[-1]["Type"] == "ExecutionStopped"


async def test_continued_runs_chain_and_number_on() -> None:
    runs = sorted(HISTORIES.glob("archived-polling-continues.run*.json"))
    assert len(runs) >= 3
    following = 1
    for index, path in enumerate(runs):
        tail = await tail_of(path.stem)
        assert tail.archive is not None and tail.archive.first_id == following
        assert (tail.next_run is not None) == (index < len(runs) - 1)
        following = tail.archive.next_id
    assert tail.archive is not None and tail.archive.events[-1]["Type"] == "ExecutionFailed"


@pytest.mark.parametrize("name", ["saga-succeeds", "stopped-task", "polling-continues-as-new.run1"])
async def test_runs_closed_before_archives_have_none(name: str) -> None:
    tail = await tail_of(name)
    assert tail.closed and tail.archive is None


async def test_a_running_run_is_not_closed() -> None:
    assert await tail_of("archived-saga-fails", cut=1) == RunTail(closed=False)


async def test_a_slice_too_large_for_its_room_is_not_archived() -> None:
    events = [event(1), event(2)]
    request = ArchiveRequest.of(1, 3, events, max_bytes=10)
    assert await archive_history(request) == b""
    request.max_bytes = 10_000
    assert decode_chunk(await archive_history(request)) == ArchiveChunk(1, 3, events)


def test_an_archive_is_whole_or_nothing() -> None:
    events = [event(n, '{"x":"' + "y" * 50 + '"}') for n in range(5, 25)]
    cut = list(slices(events, max_chars=1000))
    assert len(cut) > 2 and [e for piece in cut for e in piece] == events
    chunks = [ArchiveChunk(5, 25, piece) for piece in cut]
    assert RunArchive.assemble(reversed(chunks)) == RunArchive(5, 25, events)
    assert RunArchive.assemble([*chunks[:1], *chunks[2:]]) is None  # a chunk is missing
    assert RunArchive.assemble([*chunks, None]) is None  # one did not fit
    assert RunArchive.assemble([ArchiveChunk(5, 26, events)]) is None  # the run went on
    assert RunArchive.assemble([]) is None
    assert RunArchive.assemble([ArchiveChunk(7, 7, [])]) == RunArchive(7, 7, [])
    assert list(slices([])) == [[]]


def pending_events(cases: list[tuple[Any, str, bool]]) -> list[Any]:
    """A run's events as the workflow's log keeps them (an event without detail is a bare
    tuple); some already written (a page was read)."""
    log = EventLog()
    for index, (detail, name, write) in enumerate(cases):
        log.record("StepEntered", name, detail, index // 2, time="2026-01-01T00:00:00.000Z")
        last = log.events[-1]
        if write and type(last) is tuple and len(last) > 5:
            log.events[-1] = (*last[:5], compact(last[5]))  # as a wide detail is kept
    return log.events


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.dictionaries(st.sampled_from(["input", "local", 'x"é']), JSON_VALUES),
            st.text(max_size=6),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_rows_are_sent_exactly_when_the_old_slicing_made_one_slice(
    cases: list[tuple[Any, str, bool]],
) -> None:
    """How many ArchiveHistory calls a run makes is part of its command sequence: the rows
    path must be taken exactly when `slices` (how runs archived before rows) makes one slice,
    at the limit and one character under it, and the rows must read back as the events the
    query answers."""
    expected = EventLog(pending_events(cases)).page(1, len(cases), 10**9)
    assert as_dicts(pending_events(cases)) == expected  # what the slices path hands over
    weight = sum(len(e["EventDetail"]) + len(e["StepName"]) + 120 for e in expected)
    for limit in (weight, weight - 1, 10**9):
        events = pending_events(cases)
        with patch("worker.interpreter.archive.SLICE_CHARS", limit):
            rows = one_slice_of_rows(events)
        one_slice = len(list(slices(expected, max_chars=limit))) == 1
        assert (rows is not None) == one_slice
        if rows is not None:
            request = ArchiveRequest(1, len(events) + 1, rows, 10**9, ROWS_FORMAT)
            blob = asyncio.run(archive_history(request))
            assert decode_chunk(blob) == ArchiveChunk(1, len(events) + 1, expected)


def test_a_long_run_archives_its_rows_in_slices_under_the_limit() -> None:
    """Executions of the current interpreter version cut a long run's rows by count and by
    text length: in order, each slice within both bounds, reading back as the query's
    events; a run without events still sends one (empty) slice."""
    cases = [
        ({"input": {"n": "x" * (n % 50)}} if n % 2 else None, f"s{n}", False) for n in range(400)
    ]
    expected = EventLog(pending_events(cases)).page(1, len(cases), 10**9)
    with (
        patch("worker.interpreter.archive.SLICE_CHARS", 3000),
        patch("worker.interpreter.archive.ROWS_PER_SLICE", 70),
    ):
        texts = list(row_slices(pending_events(cases)))
    assert len(texts) > 400 // 70 and all(len(text) <= 3000 for text in texts)
    read = []
    for text in texts:
        assert len(json.loads(text)) <= 70
        blob = asyncio.run(archive_history(ArchiveRequest(1, 401, text, 10**9, ROWS_FORMAT)))
        chunk = decode_chunk(blob)
        assert chunk is not None
        read += chunk.events
    assert read == expected
    assert list(row_slices([])) == ["[]"]


def slice_tasks(name: str) -> list[int]:
    """Archive slices each workflow task of a committed history sent (ArchiveHistorySlice
    activities, ArchiveHistory markers)."""
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    counts: list[int] = []
    for each in history.events:
        if each.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counts.append(0)
        elif each.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            kind = each.activity_task_scheduled_event_attributes.activity_type.name
            counts[-1] += kind == ARCHIVE_SLICE
        elif each.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            data = each.marker_recorded_event_attributes.details.get("data")
            counts[-1] += data is not None and b'"ArchiveHistory"' in data.payloads[0].data
    return counts


async def test_runs_archived_a_slice_per_task_read_back_whole() -> None:
    """Runs of interpreter version 4 send each slice in its own workflow task (slices of 8
    events here; the last as ArchiveHistory in the closing task); walking back from the end
    finds every slice of each run, across a continue-as-new chain, and a failed run's
    redrive point recorded just before its first slice."""
    runs = sorted(HISTORIES.glob("archived-slices-continue.run*.json"))
    assert len(runs) >= 3
    following = 1
    for path in runs:
        counts = slice_tasks(path.stem)
        tail = await tail_of(path.stem)
        assert tail.archive is not None and tail.archive.first_id == following
        assert max(counts) == 1 and sum(counts) == -(-len(tail.archive.events) // 8)
        following = tail.archive.next_id
    assert tail.archive is not None and tail.archive.events[-1]["Type"] == "ExecutionSucceeded"
    failed = await tail_of("archived-slices-fail")
    assert failed.archive is not None and failed.redrive_point is not None
    assert sum(slice_tasks("archived-slices-fail")) > 2
    assert failed.archive.events[-1]["Type"] == "ExecutionFailed"


async def test_folded_slices_read_back_as_the_rows_of_version_4() -> None:
    """A run of interpreter version 6 archives inline steps' events folded (FOLDED_FORMAT),
    in slices of 8 entries here (a folded record is one): the same run recorded by version 4
    (rows, slices of 8 events) and by version 6 reads back as the same events (their times
    aside), from fewer slices, still one per workflow task."""
    rows = sorted(HISTORIES.glob("archived-slices-continue.run*.json"))
    folded = sorted(HISTORIES.glob("archived-folded-slices-continue.run*.json"))
    assert len(folded) == len(rows) >= 3
    slices = rows_sliced = 0
    for row_path, folded_path in zip(rows, folded, strict=True):
        counts, row_counts = slice_tasks(folded_path.stem), slice_tasks(row_path.stem)
        assert max(counts) == 1 and sum(counts) <= sum(row_counts)
        slices += sum(counts)
        rows_sliced += sum(row_counts)
        row_tail, folded_tail = await tail_of(row_path.stem), await tail_of(folded_path.stem)
        assert row_tail.archive is not None and folded_tail.archive is not None
        assert _timeless(folded_tail.archive.events) == _timeless(row_tail.archive.events)
        assert (folded_tail.next_run is None) == (row_tail.next_run is None)
    assert len(folded) < slices < rows_sliced
    history = WorkflowHistory.from_json("f", folded[0].read_text())
    blobs = [
        each.activity_task_scheduled_event_attributes.input.payloads[0].data
        for each in history.events
        if each.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and each.activity_task_scheduled_event_attributes.activity_type.name == ARCHIVE_SLICE
    ]
    documents = [json.loads(zlib.decompress(blob)) for blob in blobs]
    assert documents and {document["format"] for document in documents} == {FOLDED_FORMAT}
    assert any(type(row[0]) is str for document in documents for row in document["events"])


async def test_pauses_carry_the_slices_of_version_8() -> None:
    """A run of interpreter version 8 (the same loop, slices of at most 8 entries here) archives
    as it pauses: its pauses carry PROGRESS_FORMAT slices, the close writes the rest, still
    one slice per workflow task, with fewer activities in all than version 6 scheduled (pauses
    and slices apart); the archive reads back as version 6's."""
    folded = sorted(HISTORIES.glob("archived-folded-slices-continue.run*.json"))
    progress = sorted(HISTORIES.glob("archived-progress-slices-continue.run*.json"))
    assert len(progress) == len(folded) >= 3
    before = after = paused = 0
    for old_path, new_path in zip(folded, progress, strict=True):
        assert max(slice_tasks(new_path.stem)) == 1
        old_tail, new_tail = await tail_of(old_path.stem), await tail_of(new_path.stem)
        assert old_tail.archive is not None and new_tail.archive is not None
        assert _timeless(new_tail.archive.events) == _timeless(old_tail.archive.events)
        assert (new_tail.next_run is None) == (old_tail.next_run is None)
        documents = _slice_documents(new_path)
        carried = [d for d in documents if d["format"] == PROGRESS_FORMAT]
        assert all(len(d["events"]) <= 8 for d in documents)
        assert PAUSE not in _activities(new_path)  # every pause had a slice to carry
        paused += len(carried)
        before += len(_activities(old_path))
        after += len(_activities(new_path))
    assert paused > 0 and after < before


def _activities(path: Path) -> list[str]:
    history = WorkflowHistory.from_json("h", path.read_text())
    return [
        each.activity_task_scheduled_event_attributes.activity_type.name
        for each in history.events
        if each.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def _slice_documents(path: Path) -> list[dict[str, Any]]:
    history = WorkflowHistory.from_json("h", path.read_text())
    return [
        json.loads(
            zlib.decompress(each.activity_task_scheduled_event_attributes.input.payloads[0].data)
        )
        for each in history.events
        if each.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and each.activity_task_scheduled_event_attributes.activity_type.name == ARCHIVE_SLICE
    ]


def test_progress_chunks_complete_an_archive_only_with_its_closing_chunk() -> None:
    """Chunks written as the run paused bound only their own events: the run's events are
    whole only with a closing chunk holding the rest; one written twice (a stop landed while
    its pause ran, so the close wrote it again) is read once; a gap is no archive."""
    events = [event(n) for n in range(5, 25)]
    early = ArchiveChunk(5, 11, events[:6], progress=True)
    later = ArchiveChunk(5, 17, events[6:12], progress=True)
    closing = ArchiveChunk(5, 25, events[12:])
    whole = RunArchive(5, 25, events)
    assert RunArchive.assemble([closing, later, early]) == whole
    assert RunArchive.assemble([early, later]) is None  # the run's end was never written
    assert RunArchive.assemble([closing, early]) is None  # a gap
    again = ArchiveChunk(5, 25, events[6:])  # the close wrote `later` again
    assert RunArchive.assemble([again, later, early]) == whole
    beyond = ArchiveChunk(5, 26, [*events[12:], event(25)], progress=True)
    assert RunArchive.assemble([closing, beyond, later, early]) is None


def _timeless(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in event.items() if key != "Time"} for event in events]


async def test_slices_are_found_among_whatever_lands_between_them() -> None:
    """A signal, a stop request or a retried workflow task may sit between a run's slices:
    the walk back passes over them until the run's first slice."""
    name = "archived-slices-fail"
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    mixed: list[HistoryEvent] = []
    for each in history.events:
        if each.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            for kind in (
                EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
                EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            ):
                mixed.append(HistoryEvent(event_type=kind))
        mixed.append(each)

    async def backwards() -> AsyncIterator[HistoryEvent]:
        for each in reversed(mixed):
            yield each

    tail = await read_tail(DataConverter.default, backwards())
    assert tail.archive == (await tail_of(name)).archive and tail.archive is not None
    assert tail.redrive_point is not None
