"""The FnF execution history (DESIGN 9), recorded deterministically by the workflow.

Event ids count from 1 in the order the workflow records them; times come from
`workflow.now()` (or from an activity's clock for what it observed), so a replay rebuilds exactly
the same list. Times never go backwards: an event is never earlier than the one before it.
`ScheduleEventId` ties an event to the StepEntered (or, for task events, the TaskScheduled) it
answers. Each event's data keeps within FnF's per-event quota (worker/interpreter/budget.py).

An event is kept as a row, a tuple (EventId, Type, StepName, Time, ScheduleEventId[, detail])
that is also its archive row (worker/archive.py ROWS_FORMAT), with its detail as the values
themselves: the EventDetail text is written when the event is read (a `history` page, the
archive). Flow data is never changed in place once produced (worker/interpreter/sizes.py), so
the text is the same as if it had been written at once, and a step that nobody reads costs no
serialisation. The quota is checked when the event is recorded, from the values' sizes, so it
fails a step exactly where it always did. A row is one allocation where an event object and
its fields were several, for the four events of every inline step.

The events of an inline step that ends well are kept as one folded record (`Folded`) rather
than two to four rows and their detail objects: the step holds the values anyway, and the
record is expanded into exactly those rows when read (`rows`, `page`; the archive of runs
since interpreter version 6 keeps the records themselves, worker/archive.py FOLDED_FORMAT).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from temporalio import workflow

from worker.interpreter.activation import Activation
from worker.interpreter.budget import EventDataTooLarge, text_size_over
from worker.interpreter.data import merge
from worker.interpreter.sizes import JsonSizes, LeanSizes, compact, lean_merge

DATA_FIELDS = frozenset({"input", "output", "local"})
"""The fields of an event's detail that hold flow data, each under the per-event quota."""

CONCLUSIONS = frozenset({"StepExited", "ExecutionSucceeded"})
"""Events that a failure replaces when their data is over the quota: the step or execution
did not end well after all. Any other event happened, so it is written before its step fails."""


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as FnF writes it: 2020-10-27T22:17:52.413Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


WIDE = 64
"""Members of an object that an event writes at once rather than keeps: a shallow copy of a
wide `$local` per step would hold several times the memory of its text."""


def _holds_wide(detail: dict[str, Any]) -> bool:
    for value in detail.values():  # noqa: SIM110 (a loop: no generator per event)
        if type(value) is dict and len(value) > WIDE:
            return True
    return False


Bare = tuple[int, str, str, str, int]
"""An event without detail (StepStarted, StepSucceeded, ...): (EventId, Type, StepName, Time,
ScheduleEventId), its EventDetail `{}`. A tuple of numbers and strings is one object that the
garbage collector stops tracking: half of a long run's events are these."""

Row = tuple[int, str, str, str, int, Any]
"""An event with detail: a Bare event and its detail, the JSON value itself (or its text, a
string, for one written when recorded: WIDE)."""

Event = dict[str, Any] | Bare | Row

PASSED = "passed"
"""A pass or succeed step that ended well: StepEntered, StepStarted, StepSucceeded, StepExited."""
OPENED = "opened"
"""A choice step's StepEntered and StepStarted."""
CLOSED = "closed"
"""A choice step's StepSucceeded and StepExited."""
FOLDED_EVENTS = {PASSED: 4, OPENED: 2, CLOSED: 2}
"""Events each kind of folded record stands for."""

Folded = tuple[str, int, str, str, int, Any, Any]
"""Consecutive events of one inline step that ended well, kept as one record (kind, first
EventId, StepName, Time, the StepEntered's EventId, the step's input, the local it left):
every event of the record has the same Time (a step that does not yield runs in one
activation, whose time is one) and its detail is made of the two values the step holds
anyway. `expand` writes exactly the rows the events would have been recorded as one by one,
so only what reads them (a `history` page, the archive) pays for rows; a loop of inline steps
records one tuple a step instead of four rows and two detail objects."""


def expand(record: Folded) -> list[Bare | Row]:
    """The rows a folded record stands for, as `record_step` and `mark` would have kept them."""
    kind, first, name, time, entered, value, local = record
    if kind == CLOSED:
        exited = {"input": value, "local": local}
        return [
            (first, "StepSucceeded", name, time, entered),
            (first + 1, "StepExited", name, time, entered, exited),
        ]
    rows: list[Bare | Row] = [
        (first, "StepEntered", name, time, 0, {"input": value}),
        (first + 1, "StepStarted", name, time, first),
    ]
    if kind == PASSED:
        rows.append((first + 2, "StepSucceeded", name, time, first))
        rows.append((first + 3, "StepExited", name, time, first, {"input": value, "local": local}))
    return rows


Entry = Event | Folded
"""What an EventLog keeps: an event, or a folded record of several."""


def is_folded(entry: Any) -> bool:
    return type(entry) is tuple and type(entry[0]) is str


def row_as_dict(event: Bare | Row) -> dict[str, Any]:
    """The event as the `history` query answers it."""
    detail = event[5] if len(event) > 5 else None
    return {
        "EventId": event[0],
        "Type": event[1],
        "StepName": event[2],
        "Time": event[3],
        "ScheduleEventId": event[4],
        "EventDetail": "{}"
        if detail is None
        else detail
        if type(detail) is str
        else compact(detail),
    }


def event_as_dict(event: Event) -> dict[str, Any]:
    if type(event) is tuple:
        return row_as_dict(cast(Row, event))
    return cast(dict[str, Any], event)


@dataclass
class EventLog:
    """This run's events. After continue-as-new a run starts at `first_id`; the earlier events
    stay answerable by the earlier runs (worker/history.py reads across them)."""

    events: list[Entry] = field(default_factory=list)
    first_id: int = 1
    data_limit: int = 0
    """Bytes of JSON each data field of an event may take (0: no quota)."""
    last_time: str = ""
    """The Time of the last event, carried across continue-as-new."""
    sizes: JsonSizes = field(default_factory=JsonSizes)
    """Sizes of the data the quota measures, each value measured once."""
    activation: Activation = field(default_factory=Activation)
    """The workflow's time, read from Temporal once per stretch of workflow code."""
    closed: bool = False
    """Whether the execution's terminal event is recorded (worker/interpreter/terminal.py):
    nothing is marked after it."""
    _clock: tuple[int, str] = (-1, "")
    """The workflow's time (ns) and its text: one activation reads one time, formatted once."""
    count: int = field(default=-1)
    """How many events `events` stands for (a folded record stands for several)."""
    _seek: tuple[int, int] = (0, 0)
    """Where the last `history` page began: (events before that entry, the entry's index)."""
    lean: bool = False
    """Whether the run sizes and merges its data the lean way (`use_lean_sizes`)."""

    def __post_init__(self) -> None:
        if self.count < 0:
            self.count = sum(
                FOLDED_EVENTS[cast(Folded, entry)[0]] if is_folded(entry) else 1
                for entry in self.events
            )

    def next_id(self) -> int:
        return self.first_id + self.count

    def rows(self) -> list[Event]:
        """Every event, folded records expanded: what the events would be had each been
        recorded as it happened."""
        rows: list[Event] = []
        for entry in self.events:
            if is_folded(entry):
                rows += expand(cast(Folded, entry))
            else:
                rows.append(cast(Event, entry))
        return rows

    def _rows_from(self, skip: int) -> Iterator[Event]:
        """The events after the first `skip`, expanded as they are asked for. The walk to the
        first of them starts at the entry where the last one started when that is not past
        it (`_seek`), so paging through a long log costs each page its own length."""
        events = self.events
        before, index = self._seek
        if skip < before:
            before, index = 0, 0
        skip -= before
        for place in range(index, len(events)):
            entry = events[place]
            size = FOLDED_EVENTS[entry[0]] if is_folded(entry) else 1  # type: ignore[index]
            if skip >= size:
                skip -= size
                before += size
                continue
            if skip >= 0:  # the first entry read: where the next page may start looking
                self._seek = (before, place)
            if size > 1:
                yield from expand(cast(Folded, entry))[max(skip, 0) :]
            else:
                yield cast(Event, entry)
            skip = -1

    def page(self, from_id: int, limit: int, max_bytes: int) -> list[dict[str, Any]]:
        """Events from `from_id` on: at most `limit`, and no more than `max_bytes` of them as
        JSON (non-ASCII text escaped, so Chinese data counts 6 bytes a character) unless the
        first alone is larger."""
        start = max(from_id, self.first_id) - self.first_id
        chosen: list[dict[str, Any]] = []
        size = 0
        if limit <= 0:
            return chosen
        for pending in self._rows_from(start):
            event = event_as_dict(pending)
            size += len(json.dumps(event))  # ASCII-escaped, as the answer's JSON carries it
            if chosen and size > max_bytes:
                break
            chosen.append(event)
            if len(chosen) >= limit:
                break
        return chosen

    def record(
        self,
        kind: str,
        step_name: str = "",
        detail: dict[str, Any] | None = None,
        schedule_event_id: int = 0,
        time: str | None = None,
        checked: bool = True,
    ) -> int:
        """Append one event; `time` overrides the workflow clock for facts an activity
        observed (the start and end of each task attempt), but never sets it back.

        A data field over the quota raises EventDataTooLarge: after appending the event, or
        instead of it for CONCLUSIONS. `checked=False` for events that report a failure."""
        over = None
        if detail and checked and self.data_limit > 0:
            over = self._over_quota(kind, step_name, detail)
            if over is not None and kind in CONCLUSIONS:
                raise over
        event_id = self.first_id + self.count
        self.count += 1
        moment = time or self._now()
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        if not detail:
            self.events.append((event_id, kind, step_name, moment, schedule_event_id))
        else:
            kept: Any = compact(detail) if _holds_wide(detail) else detail
            self.events.append((event_id, kind, step_name, moment, schedule_event_id, kept))
        if over is not None:
            raise over
        return event_id

    def record_step(
        self, kind: str, step_name: str, detail: dict[str, Any], schedule_event_id: int = 0
    ) -> int:
        """`record` of a step's StepEntered or StepExited (a detail of flow data; never a
        terminal event; the workflow's time; checked): the same event, the same quota check
        and error, in fewer calls (worker/interpreter/inline.py runs every inline step
        through here). A value's remembered size is what `JsonSizes.size` answers for it."""
        if self.closed:
            return 0
        over = None
        limit = self.data_limit
        if limit > 0:
            known = self.sizes.known
            for key, value in detail.items():
                if key in DATA_FIELDS:
                    entry = known.get(id(value))
                    size = entry[1] if entry is not None and entry[0] is value else None
                    if size is None:
                        size = self._size(value)
                    if size is not None and size > limit:
                        over = EventDataTooLarge(kind, step_name, key, size, limit)
                        if kind in CONCLUSIONS:
                            raise over
                        break
        event_id = self.first_id + self.count
        self.count += 1
        moment = self._now()
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        kept: Any = detail
        for value in detail.values():
            if type(value) is dict and len(value) > WIDE:
                kept = compact(detail)
                break
        self.events.append((event_id, kind, step_name, moment, schedule_event_id, kept))
        if over is not None:
            raise over
        return event_id

    def time_now(self) -> str:
        """The Time the next event gets: the workflow's time, never before the last event's."""
        moment = self._now()
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        return moment

    def enters_at(self, step_name: str, value: Any, opens: bool = False) -> str | None:
        """Whether an inline step with input `value` may fold its StepEntered (the log is open,
        `value` is not WIDE and keeps within the quota), and then `time_now`, inlined: the
        Time of a folded step's events, else None (the step records its events one by one,
        which fails it exactly as always). One call at every inline step.
        `opens`: a choice's, which then has its OPENED record appended (`fold`)."""
        if self.closed or (type(value) is dict and len(value) > WIDE):
            return None
        limit = self.data_limit
        if limit > 0:
            entry = self.sizes.known.get(id(value))
            if entry is None or entry[0] is not value:
                size = self._size(value)
                if size is not None and size > limit:
                    return None
            elif entry[1] > limit:
                return None
        moment_ns = self.activation.moment_ns
        if moment_ns < 0:
            moment_ns = self.activation.time_ns()
        clock = self._clock
        if clock[0] != moment_ns:
            clock = self._clock = (moment_ns, format_time(workflow.now()))
        moment = clock[1]
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        if opens:  # `fold` of OPENED: the log is open and `value` is not WIDE (above)
            self.events.append(
                (OPENED, self.first_id + self.count, step_name, moment, 0, value, None)
            )
            self.count += 2
        return moment

    def exit_over(self, step_name: str, value: Any, local: Any) -> EventDataTooLarge | None:
        """The error `record_step` would raise for the StepExited of {input, local}."""
        limit = self.data_limit
        if limit <= 0 or self.closed:
            return None
        known = self.sizes.known
        entry = known.get(id(value))
        if entry is None or entry[0] is not value or entry[1] > limit:
            over = self._over("StepExited", step_name, "input", value)
            if over is not None:
                return over
        entry = known.get(id(local))
        if entry is not None and entry[0] is local and entry[1] <= limit:
            return None
        return self._over("StepExited", step_name, "local", local)

    def folds(
        self, kind: str, step_name: str, time: str, entered: int, value: Any, local: Any
    ) -> EventDataTooLarge | None:
        """`exit_over` then, when it finds nothing over the quota, `fold`: the end of a
        folded step in one call. Returns the error, with nothing appended, otherwise.

        Only `local` is checked against the quota: `value`, the step's input, passed the
        same check when the step entered (`enters_at`, or `record_step` for a choice whose
        entry was recorded row by row), and a value's size never changes, so checking it
        again, as `exit_over` does, finds nothing."""
        if self.closed:
            return None
        limit = self.data_limit
        if limit > 0:
            entry = self.sizes.known.get(id(local))
            size = entry[1] if entry is not None and entry[0] is local else self._size(local)
            if size is not None and size > limit:
                return EventDataTooLarge("StepExited", step_name, "local", size, limit)
        if (type(local) is dict and len(local) > WIDE) or (
            type(value) is dict and len(value) > WIDE
        ):
            self.unfold(kind, step_name, time, entered, value, local, FOLDED_EVENTS[kind])
            return None
        self.events.append(
            (kind, self.first_id + self.count, step_name, time, entered, value, local)
        )
        self.count += FOLDED_EVENTS[kind]
        return None

    def fold(
        self, kind: str, step_name: str, time: str, entered: int, value: Any, local: Any
    ) -> None:
        """Append the events of a folded record (`Folded`), starting at the next EventId: as
        one record, or, when a value is WIDE, as the rows `record_step` would have kept."""
        if self.closed:
            return
        if (type(value) is dict and len(value) > WIDE) or (
            type(local) is dict and len(local) > WIDE
        ):
            self.unfold(kind, step_name, time, entered, value, local, FOLDED_EVENTS[kind])
            return
        self.events.append(
            (kind, self.first_id + self.count, step_name, time, entered, value, local)
        )
        self.count += FOLDED_EVENTS[kind]

    def unfold(
        self,
        kind: str,
        step_name: str,
        time: str,
        entered: int,
        value: Any,
        local: Any,
        events: int,
    ) -> None:
        """Append the first `events` rows of a folded record one by one: what a step recorded
        before it failed (or a record holding a WIDE value, written at once as `record_step`
        writes it)."""
        if self.closed:
            return
        record = (kind, self.first_id + self.count, step_name, time, entered, value, local)
        for row in expand(record)[:events]:
            if len(row) > 5 and _holds_wide(row[5]):
                row = (*row[:5], compact(row[5]))
            self.events.append(row)
        self.count += events

    def _over(self, kind: str, step_name: str, key: str, value: Any) -> EventDataTooLarge | None:
        """`record_step`'s quota check of one data field."""
        entry = self.sizes.known.get(id(value))
        size = entry[1] if entry is not None and entry[0] is value else None
        if size is None:
            size = self._size(value)
        if size is not None and size > self.data_limit:
            return EventDataTooLarge(kind, step_name, key, size, self.data_limit)
        return None

    def mark(self, kind: str, step_name: str, schedule_event_id: int) -> int:
        """Append one event without detail at the workflow's time (StepStarted and
        StepSucceeded of every inline step): `record` without a detail, with nothing to check.
        Read `closed` here, where an override would cost a call through `super()` a step."""
        if self.closed:
            return 0
        event_id = self.first_id + self.count
        self.count += 1
        moment = self._now()
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        self.events.append((event_id, kind, step_name, moment, schedule_event_id))
        return event_id

    def merge(self, base: Any, update: Any) -> dict[str, Any]:
        """data.merge, keeping the result's size at hand when the quota will measure it."""
        if self.data_limit > 0:
            return self.sizes.merge(base, update)
        if self.lean:
            return lean_merge(base, update)
        return merge(base, update)

    def use_lean_sizes(self) -> None:
        """Size and merge data as runs since sizes.LEAN_SINCE do (`LeanSizes`): called
        before anything is measured."""
        self.lean = True
        self.sizes = LeanSizes()

    def _now(self) -> str:
        """The workflow's time as an event's Time, formatted once per activation."""
        moment = self.activation.moment_ns
        if moment < 0:
            moment = self.activation.time_ns()
        if self._clock[0] != moment:
            self._clock = (moment, format_time(workflow.now()))
        return self._clock[1]

    def _over_quota(
        self, kind: str, step_name: str, detail: dict[str, Any]
    ) -> EventDataTooLarge | None:
        for key, value in detail.items():
            if key in DATA_FIELDS:
                size = self._size(value)
                if size is not None and size > self.data_limit:
                    return EventDataTooLarge(kind, step_name, key, size, self.data_limit)
        return None

    def _size(self, value: Any) -> int | None:
        """The value's size; for text that UTF-8 cannot encode (a lone surrogate, which only
        a value that bypassed the input checks holds), the rule as it always was: measured
        only when its text is long enough to matter, and then failing as it always did."""
        try:
            return self.sizes.size(value)
        except UnicodeEncodeError:
            return text_size_over(compact(value), self.data_limit)
