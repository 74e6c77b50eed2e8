"""The FnF execution history (DESIGN 9), recorded deterministically by the workflow.

Event ids count from 1 in the order the workflow records them; times come from
`workflow.now()` (or from an activity's clock for what it observed), so a replay rebuilds exactly
the same list. Times never go backwards: an event is never earlier than the one before it.
`ScheduleEventId` ties an event to the StepEntered (or, for task events, the TaskScheduled) it
answers. Each event's data keeps within FnF's per-event quota (worker/interpreter/budget.py).

An event keeps its detail as the values themselves and writes its EventDetail text when it is
first read (a `history` page): flow data is never changed in place once produced
(worker/interpreter/sizes.py), so the text is the same as if it had been written at once, and
a step that nobody reads costs no serialisation. The quota is checked when the event is
recorded, from the values' sizes, so it fails a step exactly where it always did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from temporalio import workflow

from worker.interpreter.activation import Activation
from worker.interpreter.budget import EventDataTooLarge, text_size_over
from worker.interpreter.data import merge
from worker.interpreter.sizes import JsonSizes, compact

DATA_FIELDS = frozenset({"input", "output", "local"})
"""The fields of an event's detail that hold flow data, each under the per-event quota."""

CONCLUSIONS = frozenset({"StepExited", "ExecutionSucceeded"})
"""Events that a failure replaces when their data is over the quota: the step or execution
did not end well after all. Any other event happened, so it is written before its step fails."""


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as FnF writes it: 2020-10-27T22:17:52.413Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class PendingEvent:
    """One recorded event whose EventDetail text is written when it is first read."""

    __slots__ = ("_dict", "detail", "event_id", "kind", "schedule_event_id", "step_name", "time")

    def __init__(
        self,
        event_id: int,
        kind: str,
        step_name: str,
        time: str,
        schedule_event_id: int,
        detail: dict[str, Any] | None,
    ) -> None:
        self.event_id = event_id
        self.kind = kind
        self.step_name = step_name
        self.time = time
        self.schedule_event_id = schedule_event_id
        self.detail = detail
        self._dict: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The event as the `history` query answers it (kept once written)."""
        if self._dict is None:
            self._dict = {
                "EventId": self.event_id,
                "Type": self.kind,
                "StepName": self.step_name,
                "Time": self.time,
                "ScheduleEventId": self.schedule_event_id,
                "EventDetail": compact(self.detail or {}),
            }
            self.detail = None
        return self._dict

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def row(self) -> tuple[Any, ...]:
        """The event as an archive row (worker/archive.py ROWS_FORMAT): its detail as the
        value itself while its text is not written, else the text."""
        written = self._dict
        if written is not None:
            detail: Any = written["EventDetail"]
        else:
            detail = self.detail if self.detail is not None else {}
        return (self.event_id, self.kind, self.step_name, self.time, self.schedule_event_id, detail)


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
garbage collector stops tracking, where a PendingEvent is tracked for as long as the run
keeps it: half of a long run's events are these."""

Event = dict[str, Any] | PendingEvent | Bare


def bare_as_dict(event: Bare) -> dict[str, Any]:
    event_id, kind, step_name, time, schedule_event_id = event
    return {
        "EventId": event_id,
        "Type": kind,
        "StepName": step_name,
        "Time": time,
        "ScheduleEventId": schedule_event_id,
        "EventDetail": "{}",
    }


def event_as_dict(event: Event) -> dict[str, Any]:
    kind = type(event)
    if kind is dict:
        return cast(dict[str, Any], event)
    if kind is tuple:
        return bare_as_dict(cast(Bare, event))
    return cast(PendingEvent, event).as_dict()


@dataclass
class EventLog:
    """This run's events. After continue-as-new a run starts at `first_id`; the earlier events
    stay answerable by the earlier runs (worker/history.py reads across them)."""

    events: list[Event] = field(default_factory=list)
    first_id: int = 1
    data_limit: int = 0
    """Bytes of JSON each data field of an event may take (0: no quota)."""
    last_time: str = ""
    """The Time of the last event, carried across continue-as-new."""
    sizes: JsonSizes = field(default_factory=JsonSizes)
    """Sizes of the data the quota measures, each value measured once."""
    activation: Activation = field(default_factory=Activation)
    """The workflow's time, read from Temporal once per stretch of workflow code."""
    _clock: tuple[int, str] = (-1, "")
    """The workflow's time (ns) and its text: one activation reads one time, formatted once."""

    def next_id(self) -> int:
        return self.first_id + len(self.events)

    def page(self, from_id: int, limit: int, max_bytes: int) -> list[dict[str, Any]]:
        """Events from `from_id` on: at most `limit`, and no more than `max_bytes` of them as
        JSON (non-ASCII text escaped, so Chinese data counts 6 bytes a character) unless the
        first alone is larger."""
        start = max(from_id, self.first_id) - self.first_id
        chosen: list[dict[str, Any]] = []
        size = 0
        for pending in self.events[start : start + max(limit, 0)]:
            event = event_as_dict(pending)
            size += len(json.dumps(event))  # ASCII-escaped, as the answer's JSON carries it
            if chosen and size > max_bytes:
                break
            chosen.append(event)
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
        event_id = self.first_id + len(self.events)
        moment = time or self._now()
        if moment < self.last_time:
            moment = self.last_time
        self.last_time = moment
        if not detail:
            self.events.append((event_id, kind, step_name, moment, schedule_event_id))
        else:
            event = PendingEvent(event_id, kind, step_name, moment, schedule_event_id, detail)
            if _holds_wide(detail):
                event.as_dict()  # its text takes less room than the object's copy
            self.events.append(event)
        if over is not None:
            raise over
        return event_id

    def merge(self, base: Any, update: Any) -> dict[str, Any]:
        """data.merge, keeping the result's size at hand when the quota will measure it."""
        if self.data_limit > 0:
            return self.sizes.merge(base, update)
        return merge(base, update)

    def _now(self) -> str:
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
