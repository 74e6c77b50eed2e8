"""Archive a run's FnF events as it closes (worker/archive.py says why and where)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from worker.archive import (
        ARCHIVE_CHUNK_BYTES,
        ARCHIVE_HISTORY,
        ARCHIVE_RUN_BYTES,
        ARCHIVE_SLICE,
        ARCHIVE_SLICED_RUN_BYTES,
        FOLDED_FORMAT,
        PROGRESS_FORMAT,
        ROWS_FORMAT,
        SLICE_CHARS,
        ArchiveRequest,
        compressed_rows,
        events_text,
        slices,
    )
    from worker.interpreter import versions
    from worker.interpreter.events import EventLog, event_as_dict, is_folded
    from worker.interpreter.legible import summary

ARCHIVE_PATCH = "fnf-history-archived-at-close"
"""The patch of runs that archive their events as they close; earlier runs are read through
the `history` query."""
ARCHIVE_TIMEOUT = timedelta(seconds=30)
"""However the activity fares (even on a worker that lacks it), the run closes within this."""
SLICE_TASK_PATCH = "archive-slice-per-workflow-task"
"""Runs with this patch send every slice but the last as the input of an ArchiveHistorySlice
regular activity, one slice per workflow task (`_archive_rows`); earlier runs hand every slice
to ArchiveHistory local activities in their closing task, which Temporal's SDK keeps open
across them (1-3 s for a run of 80,000 events). Asked only of a run with more than one slice,
so a run whose events fit one slice records no marker and sends what it always did."""


async def archive_run(
    log: EventLog, rows_per_slice: int = 0, progress: ArchiveProgress | None = None
) -> None:
    """Hand this run's events to ArchiveHistory, a chunk at a time, until they are all kept or
    the run's archive budget is spent. Never fails the run: an archive that is missing or
    incomplete only sends readers to the query. `rows_per_slice` is the run's own slice size
    (FlowRun.archive_rows_per_slice; 0: ROWS_PER_SLICE); `progress` what the run archived as
    it paused (PROGRESS_SINCE on)."""
    if not versions.patched(ARCHIVE_PATCH):
        return
    if versions.version() >= PROGRESS_SINCE:
        await (progress or ArchiveProgress(log, rows_per_slice)).close()
        return
    if versions.version() >= ROWS_SLICED_SINCE:
        await _archive_rows(log, rows_per_slice)
        return
    room = ARCHIVE_RUN_BYTES
    first, following = log.first_id, log.next_id()
    rows = one_slice_of_rows(log.rows())
    if rows is not None:
        chunk = min(room, ARCHIVE_CHUNK_BYTES)
        await _archive(ArchiveRequest(first, following, rows, chunk, ROWS_FORMAT))
        return
    for events in slices(_as_dicts(log.rows())):
        request = ArchiveRequest.of(first, following, events, min(room, ARCHIVE_CHUNK_BYTES))
        blob = await _archive(request)
        room -= len(blob)
        if not blob:
            return


async def _archive_rows(log: EventLog, rows_per_slice: int) -> None:
    """The run's rows, slice by slice. With SLICE_TASK_PATCH every slice but the last is
    compressed here and awaited as an ArchiveHistorySlice regular activity, so each ends its
    own workflow task; the last goes to ArchiveHistory, a local activity, in the closing task
    itself (a round trip fewer: a run of one slice sends just that). So no workflow task
    writes more than one slice (tens of ms for 8,192 rows) wherever Temporal's SDK would have
    kept one task open across all of them. Readers find the slices walking back from the
    run's end (worker/history.py `read_tail`).

    How many activities a run schedules is part of its command sequence: it follows from the
    events and from each slice's compressed size against the budget, which zlib writes the
    same for the same text."""
    room = ARCHIVE_RUN_BYTES
    first, following = log.first_id, log.next_id()
    by_tasks = False
    if versions.version() >= FOLDED_SINCE:
        form, cut = FOLDED_FORMAT, marked_row_slices(log.events, rows_per_slice)
    else:
        form, cut = ROWS_FORMAT, marked_row_slices(log.rows(), rows_per_slice)
    for number, (text, last) in enumerate(cut, 1):
        if not last and (by_tasks or versions.patched(SLICE_TASK_PATCH)):
            if not by_tasks:  # no completion holds more than one slice now
                by_tasks, room = True, room + ARCHIVE_SLICED_RUN_BYTES - ARCHIVE_RUN_BYTES
            blob = _compressed_slice(first, following, text, form)
            if blob is None or len(blob) > min(room, ARCHIVE_CHUNK_BYTES):
                workflow.logger.warning("the run's FnF events were not all archived")
                return
            room -= len(blob)
            if not await _keep_slice(blob, f"{first} to {following - 1}, slice {number}"):
                return
            continue
        chunk = min(room, ARCHIVE_CHUNK_BYTES)
        blob = await _archive(ArchiveRequest(first, following, text, chunk, form))
        room -= len(blob)
        if not blob:
            return


async def _slice_activity(blob: bytes, what: str) -> Any:
    """One ArchiveHistorySlice activity with `blob`, summarised as `what`: the closing
    slices and the slices pauses carry are scheduled alike."""
    return await workflow.execute_activity(
        ARCHIVE_SLICE,
        blob,
        schedule_to_close_timeout=ARCHIVE_TIMEOUT,
        retry_policy=RetryPolicy(maximum_attempts=3),
        summary=summary(what),
    )


async def _keep_slice(blob: bytes, which: str) -> bool:
    """One ArchiveHistorySlice activity; False when it did not complete."""
    try:
        await _slice_activity(blob, f"internal: archive FnF events {which}")
    except (ActivityError, asyncio.CancelledError) as error:
        workflow.logger.warning("the run's FnF events were not archived: %s", error)
        return False
    return True


def _compressed_slice(first: int, following: int, text: str, form: int) -> bytes | None:
    """The slice as a chunk; None when its text is not UTF-8 (see `_encodable`)."""
    try:
        return compressed_rows(first, following, text, form)
    except UnicodeEncodeError:
        return None


ROWS_SLICED_SINCE = 1
"""Executions of this interpreter version on cut their rows by count and text length
(`row_slices`); older ones archive as they did (`one_slice_of_rows`, else `slices`), since
how many ArchiveHistory calls a run makes is part of its command sequence."""


FOLDED_SINCE = 6
"""Executions of this interpreter version on archive the log's entries as they are kept, an
inline step's events folded into one record (worker/archive.py FOLDED_FORMAT), cut into slices
of ROWS_PER_SLICE entries: a slice of folded entries takes about as long to write as one of
as many rows, and a loop run needs two to three times fewer slices (each one workflow task and
an activity round trip). Older ones write every event as its own row (ROWS_FORMAT) and cut by
events, as they did: the slices' count and compressed sizes decide the run's commands."""


ROWS_PER_SLICE = 8192
"""Events (since FOLDED_SINCE: entries of the log, a folded record counting as one) written
into one slice at most: each slice is written in its own activation (the ArchiveHistory call
before it yields), so a run of 80,000 events never writes them all in one (Temporal's SDK
fails an activation that runs past 2 s, even in a replay)."""


def row_slices(events: list[Any], rows_per_slice: int = 0) -> Iterator[str]:
    """The events as rows, in slices of at most `rows_per_slice` (0: ROWS_PER_SLICE) events
    and SLICE_CHARS characters (a slice over it is halved until it fits, or holds one event);
    written as they are asked for. Deterministic: the same events give the same slices."""
    for text, _ in marked_row_slices(events, rows_per_slice):
        yield text


def marked_row_slices(events: list[Any], rows_per_slice: int = 0) -> Iterator[tuple[str, bool]]:
    """`row_slices`, each with whether it is the last (known without writing the next)."""
    if not events:
        yield events_text([]), True
    size = rows_per_slice or ROWS_PER_SLICE
    for start in range(0, len(events), size):
        yield from _fitting(events[start : start + size], start + size >= len(events))


def _fitting(events: list[Any], last: bool) -> Iterator[tuple[str, bool]]:
    text = events_text([_row(event) for event in events])
    if len(text) <= SLICE_CHARS or len(events) <= 1:
        yield text, last
        return
    half = len(events) // 2
    yield from _fitting(events[:half], False)
    yield from _fitting(events[half:], last)


async def _archive(request: ArchiveRequest) -> bytes:
    """One ArchiveHistory call; empty bytes when the slice was not archived."""
    if not _encodable(request.events_text):
        workflow.logger.warning("the run's FnF events hold text that is not UTF-8")
        return b""
    try:
        blob: bytes = await workflow.execute_local_activity(
            ARCHIVE_HISTORY,
            request,
            result_type=bytes,
            schedule_to_close_timeout=ARCHIVE_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=3),
            summary=summary(
                f"internal: archive FnF events {request.run_first_id} to {request.run_next_id - 1}"
            ),
        )
    except (ActivityError, asyncio.CancelledError) as error:
        workflow.logger.warning("the run's FnF events were not archived: %s", error)
        return b""
    return blob


def one_slice_of_rows(events: list[Any]) -> str | None:
    """The run's events as rows (ROWS_FORMAT), written in one encoder call, when `slices`
    would hand them over in one slice (almost always); else None, and the events go slice by
    slice as objects, as they always did.

    How many ArchiveHistory calls a run makes is part of its command sequence, so a replay of
    a run that archived before rows existed must decide the same: `slices` weighs an event
    `len(EventDetail) + len(StepName) + 120`. The rows text holds each EventDetail (or, for
    an event already written, its text as a JSON string) beside the row's other fields, whose
    lengths are worked out here, so the sum of the EventDetail lengths follows from the text's
    length without writing any event on its own."""
    count = len(events)
    if count <= 1:
        return events_text([_row(event) for event in events])
    rows = [_row(event) for event in events]
    text = events_text(rows)
    if len(text) + FIXED_ROW_CHARS * count <= SLICE_CHARS:
        return text  # `slices` weighs these events less than this: one slice
    return text if _slices_weight(rows, text) <= SLICE_CHARS else None


FIXED_ROW_CHARS = 108
"""`slices` weighs an event at most this many characters more than its row takes in the rows
text: a row's fields other than the EventDetail take at least `len(StepName) + 15` characters
(7 brackets and commas, two numbers, three JSON strings; a row without detail, whose
EventDetail `{}` is not in the text, `len(StepName) + 14`), against the 120 `slices` adds (and
2 for `{}`), so `slices` weighs the events at most `len(text) + 107 * count - 1`."""


def _slices_weight(rows: list[tuple[Any, ...]], text: str) -> int:
    """What `slices` would weigh the events at, from the rows and their text."""
    count = len(rows)
    weight = 120 * count
    text_overhead = 2 + count - 1  # the array's brackets and commas
    for row in rows:
        event_id, kind, step_name, time, schedule_event_id = row[:5]
        weight += len(step_name)
        if len(row) == 5:  # no detail: its EventDetail `{}` is not in the text
            weight += 2
            text_overhead -= 1  # one comma fewer
        text_overhead += (
            7  # the row's brackets and commas
            + len(str(event_id))
            + _json_length(kind)
            + _json_length(step_name)
            + _json_length(time)
            + len(str(schedule_event_id))
        )
        detail = row[5] if len(row) > 5 else None
        if type(detail) is str:  # written already: the rows text quotes it
            text_overhead += len(events_text(detail)) - len(detail)
    return weight + len(text) - text_overhead


def _row(event: Any) -> tuple[Any, ...]:
    """A tuple (cheaper to make than a list, and one burst of rows for a long run). The log
    keeps its events as rows already (worker/interpreter/events.py); an event without detail
    is a row without the sixth field."""
    if type(event) is tuple:
        return event
    fields = ("EventId", "Type", "StepName", "Time", "ScheduleEventId", "EventDetail")
    return tuple(event[name] for name in fields)


_LENGTHS: dict[str, int] = {}


def _json_length(text: str) -> int:
    """Characters of `text` as a JSON string (non-ASCII kept), remembered: event types, step
    names and times repeat."""
    length = _LENGTHS.get(text)
    if length is None:
        if len(_LENGTHS) > 4096:
            _LENGTHS.clear()
        length = _LENGTHS[text] = len(events_text(text))
    return length


def _encodable(text: str) -> bool:
    """Whether the payload converter can write these events: a lone surrogate (which the
    interpreter reports as FnF.RuntimeError) is not UTF-8, and a payload that fails to encode
    would fail the run as it closes. Readers of such a run use the query, which escapes it."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _as_dicts(events: list[Any]) -> list[dict[str, Any]]:
    """The events as the `history` query answers them (a log keeps them in other forms
    until they are read, worker/interpreter/events.py)."""
    return [event_as_dict(event) for event in events]


PROGRESS_SINCE = 8
"""Executions of this interpreter version on archive as they go (`ArchiveProgress`): each pause
of a long stretch of inline steps carries the next slice of the run's archive as the input of
ArchiveHistorySlice (that activity is the pause), so a run closes with only what it recorded
since its last pause left to write, and its slices cost no round trip of their own. Every slice
is cut by the characters of its text against a budget for its workflow task (`TASK_BUDGET_CHARS`,
less the work the task has already done), not by a count of entries. Older ones pause with
FnFPause and archive as they close, as they did: which activities a run schedules is part of
its command sequence."""

TASK_BUDGET_CHARS = 2_500_000
"""The work one workflow task may spend on steps and on archive text together, in characters of
archive text: writing and compressing a slice costs about 19 ns per character of a loop's folded
records (the C encoder over many small objects; 44 M characters took 0.85 s of a
100,000-iteration loop's 3.0 s of workflow CPU) and 15-25 ns per character of long strings, so
2.5 M characters are about 50 ms on an idle core, about what 3,000 inline steps take with their
slice. Steps count STEP_CHARS each (worker/interpreter/work.py)."""


MIN_SLICE_CHARS = 100_000
"""A slice written however much work its task did already, so that a close always progresses."""

_BATCH = 16
_MOST_BATCH = 512


def budget_left(work_chars: int) -> int:
    """The characters a slice may take in a task that has done `work_chars` of work already."""
    return max(MIN_SLICE_CHARS, TASK_BUDGET_CHARS - work_chars)


def take_slice(entries: list[Any], start: int, budget: int, most: int) -> tuple[str, int]:
    """The entries from `start` as one rows text (what `events_text` writes for them) of at
    most `budget` characters and `most` entries, and the index after the last one taken: at
    least one entry (one longer than the budget goes alone). The entries are written a batch
    at a time, its size guessed from the characters per entry so far and halved when a batch
    would overshoot, so the text written and dropped stays a small part of what is kept.
    Deterministic: the same entries give the same slices."""
    stop = min(len(entries), start + max(1, most))
    parts: list[str] = []
    size, index, batch = 2, start, _BATCH
    while index < stop:
        taken = entries[index : min(stop, index + batch)]
        text = events_text([_row(entry) for entry in taken])[1:-1]
        extra = len(text) + (1 if parts else 0)
        if size + extra > budget and (parts or len(taken) > 1):
            if len(taken) == 1:
                break
            batch = len(taken) // 2
            continue
        parts.append(text)
        size += extra
        index += len(taken)
        per_entry = max(1, len(text) // len(taken))
        batch = max(1, min(_MOST_BATCH, (budget - size) // per_entry))
    return f"[{','.join(parts)}]", index


def _entry_id(entry: Any) -> int:
    """The first EventId an entry of the log stands for (a row, a folded record, an object)."""
    if type(entry) is tuple:
        return int(entry[1] if is_folded(entry) else entry[0])
    return int(entry["EventId"])


@dataclass
class ArchiveProgress:
    """What a run (PROGRESS_SINCE on) has archived so far, and the slices it writes: one with
    each pause while the run goes on (`pause`), the rest as it closes (`close`).

    A slice written at a pause is a PROGRESS_FORMAT chunk from the run's first EventId to the
    one after its own entries (the run's end is not known yet); the slices written at the close
    bound the whole run, the last of them ArchiveHistory's marker in the closing task, so a
    reader holds a complete archive only when the closing chunk is there (worker/archive.py
    `RunArchive.assemble`)."""

    log: EventLog
    rows_per_slice: int = 0
    archived: int = 0
    """Entries of the log kept in a slice already."""
    room: int = ARCHIVE_SLICED_RUN_BYTES
    """Compressed bytes the run may still archive."""
    live: bool = True
    """False once a slice could not be kept: the run then has no complete archive, and its
    slices go empty."""
    carrying: bool = False
    """A pause carries a slice now (another branch's pause meanwhile does not)."""
    work: Callable[[], int] = field(default=lambda: 0)
    """The work the current workflow task has done, in characters (WorkMeter.work_chars)."""

    def _most(self) -> int:
        return self.rows_per_slice or ROWS_PER_SLICE

    async def pause(self) -> bool:
        """Carry the next slice as this pause (an ArchiveHistorySlice activity, which ends the
        workflow task as FnFPause would); False when there is none to carry (or another pause
        carries one now), so the caller pauses with FnFPause. A stop meanwhile raises
        CancelledError, as a pause does."""
        log = self.log
        if self.carrying or log.closed or self.archived >= len(log.events):
            return False
        text, end = take_slice(log.events, self.archived, budget_left(self.work()), self._most())
        first = _entry_id(log.events[self.archived])
        following = log.next_id() if end >= len(log.events) else _entry_id(log.events[end])
        blob = self._chunk(log.first_id, following, text, PROGRESS_FORMAT)
        self.carrying = True
        try:
            await _slice_activity(
                blob, f"internal: pause, archive FnF events {first} to {following - 1}"
            )
        except ActivityError as error:
            if is_cancelled_exception(error):  # stopped: the close writes these entries again
                raise asyncio.CancelledError() from None
            # Scheduled, so the slice is in the history all the same.
        finally:
            self.carrying = False
        self.archived = end
        return True

    async def close(self) -> None:
        """The entries not archived yet, as slices bounding the whole run: each but the last
        in a workflow task of its own (an ArchiveHistorySlice activity awaited), the last
        handed to ArchiveHistory in the closing task (a local activity, as before, so that a
        run of local-activity tasks schedules no regular activity). Each is cut to what its
        task has left."""
        log = self.log
        first, following = log.first_id, log.next_id()
        start, number = self.archived, 0
        while True:
            text, end = take_slice(log.events, start, budget_left(self.work()), self._most())
            if end >= len(log.events):  # ArchiveHistory answers empty past `room`
                room = min(self.room, ARCHIVE_CHUNK_BYTES) if self.live else 0
                await _archive(ArchiveRequest(first, following, text, room, FOLDED_FORMAT))
                return
            blob = self._chunk(first, following, text, FOLDED_FORMAT)
            number += 1
            if not await _keep_slice(blob, f"{first} to {following - 1}, slice {number}"):
                return
            start = end

    def _chunk(self, first: int, following: int, text: str, form: int) -> bytes:
        """The slice compressed, or empty once the run cannot keep a complete archive (text
        that is not UTF-8, a chunk over 1 MB, the run's 4 MB spent): a reader then finds no
        archive and asks the query. The slices are cut and sent all the same, so the run's
        commands never depend on the sizes zlib writes."""
        if not self.live:
            return b""
        blob = _compressed_slice(first, following, text, form)
        if blob is None or len(blob) > min(self.room, ARCHIVE_CHUNK_BYTES):
            workflow.logger.warning("the run's FnF events were not all archived")
            self.live = False
            return b""
        self.room -= len(blob)
        return blob
