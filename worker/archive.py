"""A closed run's FnF events, kept in the run's own Temporal history (DESIGN 9, 10).

Reading a closed run's history through the `history` query replays the whole run on a worker
(seconds for a few thousand events, and nothing answers while no worker runs). So each run, as
it closes (it ends, fails, is stopped, or continues as new), hands its events to the
`ArchiveHistory` local activity. The activity compresses them and returns the bytes; Temporal
records a local activity's result in the run's history (a MarkerRecorded event just before the
close), and replay reads it back from there without running the activity again. Any client can
then read the events with GetWorkflowExecutionHistory(Reverse): no worker, no replay.

Temporal bounds what one workflow task may send (each payload 2 MB, the whole completion 4 MB,
gRPC's default): events go in chunks of at most ARCHIVE_CHUNK_BYTES compressed, and a run
archives at most ARCHIVE_RUN_BYTES. A run whose events do not fit (or that was terminated, timed
out, or closed before this existed) has no complete archive; readers fall back to the query.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from temporalio import activity

from worker.interpreter.events import Folded, expand

ARCHIVE_HISTORY = "ArchiveHistory"
ARCHIVE_SLICE = "ArchiveHistorySlice"
"""Runs of interpreter version 4 on (worker/interpreter/archive.py SLICE_TASK_PATCH) hand each
compressed slice to this regular activity instead: the slice is kept as the activity's input
(its ActivityTaskScheduled event), and awaiting the activity ends the workflow task, so a long
run closes in one short workflow task per slice rather than in one long task for them all.
Since version 8 a run's pauses are these activities, each carrying the next slice."""
ARCHIVE_CHUNK_BYTES = 1_000_000
"""Compressed bytes of one chunk (one marker's payload; Temporal refuses payloads over 2 MB)."""
ARCHIVE_RUN_BYTES = 1_500_000
"""Compressed bytes a run archives in all: the chunks share one workflow task completion with
the close command (whose own payload, a continue-as-new input or an output, is under the 2 MB
blob limit), and Temporal's frontend refuses a completion over 4 MB."""
SLICE_CHARS = 4_000_000
"""Characters of event text handed to one activity call (JSON compresses several times over,
so a slice usually fits a chunk; one that does not is reported as not archived)."""
ARCHIVE_SLICED_RUN_BYTES = 4_000_000
"""Compressed bytes a run archives in all when each slice has its own workflow task (no
completion holds more than one slice): bounds what the archive adds to the run's history
(Temporal warns at 10 MB of history and fails a run at 50 MB)."""
ARCHIVE_FORMAT = 1
"""Chunks whose events are the `history` query's objects, EventDetail text included."""
ROWS_FORMAT = 2
"""Chunks whose events are rows `[EventId, Type, StepName, Time, ScheduleEventId, detail]`
(without `detail` for an event whose EventDetail is `{}`),
`detail` the EventDetail as a JSON value (or its text, a string, when the run had written it
already): the workflow writes a run's events in one encoder call, and each EventDetail text is
written when the chunk is read. Flow data is never changed in place (worker/interpreter/
sizes.py), and compact JSON written from the value read back is the text written from the
value itself, so readers get the same events."""
FOLDED_FORMAT = 3
"""ROWS_FORMAT chunks in which the events of an inline step may be one folded record
`[kind, EventId, StepName, Time, EnteredEventId, input, local]` (worker/interpreter/events.py
`Folded`: a pass step's four events, a choice's first two or last two), expanded into the rows
it stands for when the chunk is read, and compressed at zlib level 1. A loop step's archive
text is less than half its rows' (its input written once, no repeated names and times), and
level 1 compresses it about four times faster than level 6 for a third more bytes: writing
and compressing the archive was about two fifths of a loop run's workflow CPU."""
PROGRESS_FORMAT = 4
"""A FOLDED_FORMAT chunk written while the run went on (worker/interpreter/archive.py
`ArchiveProgress`): `runNextId` is the EventId after its own events, since the run's end was
not known yet (`runFirstId` is the run's, as in every chunk). It completes an archive only
beside a closing chunk (any other format) of the same run (`RunArchive.assemble`)."""


@dataclass
class ArchiveRequest:
    """A slice of a run's events, as one JSON array text (`events_text`: the workflow writes
    it with the C encoder; a list of dicts would go through the payload converter's
    `dataclasses.asdict`, event by event, inside the workflow sandbox, which cost more than the
    run's inline steps themselves). `run_first_id`/`run_next_id` bound the whole run, so a
    reader can tell a complete archive from a partial one."""

    run_first_id: int
    run_next_id: int
    events_text: str
    max_bytes: int = ARCHIVE_CHUNK_BYTES
    format: int = ARCHIVE_FORMAT
    """ARCHIVE_FORMAT (`events_text` holds event objects) or ROWS_FORMAT (rows)."""

    @classmethod
    def of(
        cls, first: int, following: int, events: list[dict[str, Any]], max_bytes: int
    ) -> ArchiveRequest:
        return cls(first, following, events_text(events), max_bytes)


def events_text(events: Any) -> str:
    """Events as compact JSON, non-ASCII text kept (a lone surrogate stays one, and fails to
    encode as UTF-8)."""
    return json.dumps(events, ensure_ascii=False, separators=(",", ":"))


@dataclass
class ArchiveChunk:
    run_first_id: int
    run_next_id: int
    events: list[dict[str, Any]]
    progress: bool = False
    """A PROGRESS_FORMAT chunk: `run_next_id` bounds its own events, not the run's."""


@activity.defn(name=ARCHIVE_HISTORY)
async def archive_history(request: ArchiveRequest) -> bytes:
    """The slice, compressed; empty when it does not fit `max_bytes`."""
    blob = _compressed(
        request.run_first_id, request.run_next_id, request.events_text, request.format
    )
    return blob if len(blob) <= request.max_bytes else b""


@activity.defn(name=ARCHIVE_SLICE)
async def archive_slice(chunk: bytes) -> None:
    """Nothing to do: the chunk is in the run's history as this activity's input, and the
    workflow awaits the activity only so that its workflow task ends here."""
    del chunk


def compressed_rows(
    run_first_id: int, run_next_id: int, rows_text: str, form: int = ROWS_FORMAT
) -> bytes:
    """A chunk of rows (ROWS_FORMAT or FOLDED_FORMAT), as ArchiveHistory returns it, written
    by the workflow itself (zlib's C code: about 10 ms for 8,192 rows at level 6)."""
    return _compressed(run_first_id, run_next_id, rows_text, form)


def encode_chunk(chunk: ArchiveChunk) -> bytes:
    return _compressed(chunk.run_first_id, chunk.run_next_id, events_text(chunk.events))


def _compressed(
    run_first_id: int, run_next_id: int, events: str, form: int = ARCHIVE_FORMAT
) -> bytes:
    text = (
        f'{{"format":{int(form)},"runFirstId":{int(run_first_id)},'
        f'"runNextId":{int(run_next_id)},"events":{events}}}'
    )
    return zlib.compress(text.encode(), 1 if form in (FOLDED_FORMAT, PROGRESS_FORMAT) else 6)


def decode_chunk(blob: bytes) -> ArchiveChunk | None:
    """None for an empty (not archived) or unreadable chunk."""
    if not blob:
        return None
    try:
        document = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") not in FORMATS:
        return None
    events = list(document["events"])
    if document["format"] == ROWS_FORMAT:
        events = [_event_of_row(row) for row in events]
    elif document["format"] in (FOLDED_FORMAT, PROGRESS_FORMAT):
        events = [_event_of_row(row) for entry in events for row in _unfolded(entry)]
    progress = document["format"] == PROGRESS_FORMAT
    return ArchiveChunk(int(document["runFirstId"]), int(document["runNextId"]), events, progress)


FORMATS = (ARCHIVE_FORMAT, ROWS_FORMAT, FOLDED_FORMAT, PROGRESS_FORMAT)


def _unfolded(entry: list[Any]) -> list[Any]:
    """A row as it is, or the rows a folded record (its first field a kind) stands for."""
    if entry and type(entry[0]) is str:
        return list(expand(cast(Folded, tuple(entry))))
    return [entry]


def _event_of_row(row: list[Any]) -> dict[str, Any]:
    """A row of five fields is an event without detail (EventDetail `{}`)."""
    event_id, kind, step_name, time, schedule_event_id = row[:5]
    detail = row[5] if len(row) > 5 else {}
    return {
        "EventId": event_id,
        "Type": kind,
        "StepName": step_name,
        "Time": time,
        "ScheduleEventId": schedule_event_id,
        "EventDetail": detail if type(detail) is str else events_text(detail),
    }


@dataclass
class RunArchive:
    """Every FnF event of one closed run, EventIds `first_id` .. `next_id - 1`."""

    first_id: int
    next_id: int
    events: list[dict[str, Any]]

    @classmethod
    def assemble(cls, chunks: Iterable[ArchiveChunk | None]) -> RunArchive | None:
        """The run's events when the chunks hold all of them, in order; else None. The
        closing chunks (all but PROGRESS_FORMAT ones) bound the run, and there must be one;
        progress chunks lie within it. An event found twice (a slice a stop made the run
        write again as it closed) is taken once."""
        found = list(chunks)
        pieces = [chunk for chunk in found if chunk is not None]
        closing = [piece for piece in pieces if not piece.progress]
        if not closing or len(pieces) < len(found):
            return None
        first, following = closing[0].run_first_id, closing[0].run_next_id
        if {(piece.run_first_id, piece.run_next_id) for piece in closing} != {(first, following)}:
            return None
        if any(p.run_first_id != first or p.run_next_id > following for p in pieces):
            return None
        pieces.sort(key=lambda chunk: chunk.events[0]["EventId"] if chunk.events else 0)
        events: list[dict[str, Any]] = []
        for piece in pieces:
            for event in piece.events:
                if event["EventId"] < first + len(events):
                    continue
                if event["EventId"] != first + len(events):
                    return None
                events.append(event)
        if first + len(events) != following:
            return None
        return cls(first, following, events)


def slices(events: list[dict[str, Any]], max_chars: int = SLICE_CHARS) -> Iterator[list[Any]]:
    """The events cut into runs of about `max_chars` characters of text (an estimate from
    each event's detail, so no JSON is written here); at least one slice, maybe empty."""
    start, size = 0, 0
    for index, event in enumerate(events):
        weight = len(event["EventDetail"]) + len(event["StepName"]) + 120
        if index > start and size + weight > max_chars:
            yield events[start:index]
            start, size = index, 0
        size += weight
    yield events[start:]
