"""The FnF execution history (DESIGN 9), recorded deterministically by the workflow.

Event ids count from 1 in the order the workflow records them; times come from
`workflow.now()` (or from an activity's clock for what it observed), so a replay rebuilds exactly
the same list. Times never go backwards: an event is never earlier than the one before it.
`ScheduleEventId` ties an event to the StepEntered (or, for task events, the TaskScheduled) it
answers. Each event's data keeps within FnF's per-event quota (worker/interpreter/budget.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow

from worker.interpreter.budget import EventDataTooLarge, text_size_over

DATA_FIELDS = frozenset({"input", "output", "local"})
"""The fields of an event's detail that hold flow data, each under the per-event quota."""

CONCLUSIONS = frozenset({"StepExited", "ExecutionSucceeded"})
"""Events that a failure replaces when their data is over the quota: the step or execution
did not end well after all. Any other event happened, so it is written before its step fails."""


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as FnF writes it: 2020-10-27T22:17:52.413Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class EventLog:
    """This run's events. After continue-as-new a run starts at `first_id`; the earlier events
    stay answerable by the earlier runs (worker/history.py reads across them)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    first_id: int = 1
    data_limit: int = 0
    """Bytes of JSON each data field of an event may take (0: no quota)."""
    last_time: str = ""
    """The Time of the last event, carried across continue-as-new."""

    def next_id(self) -> int:
        return self.first_id + len(self.events)

    def page(self, from_id: int, limit: int, max_bytes: int) -> list[dict[str, Any]]:
        """Events from `from_id` on: at most `limit`, and no more than `max_bytes` of them as
        JSON (non-ASCII text escaped, so Chinese data counts 6 bytes a character) unless the
        first alone is larger."""
        start = max(from_id, self.first_id) - self.first_id
        chosen: list[dict[str, Any]] = []
        size = 0
        for event in self.events[start : start + max(limit, 0)]:
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
        parts = {key: _compact(value) for key, value in (detail or {}).items()}
        over = self._over_quota(kind, step_name, parts) if checked else None
        if over is not None and kind in CONCLUSIONS:
            raise over
        event_id = self.next_id()
        moment = max(time or format_time(workflow.now()), self.last_time)
        self.last_time = moment
        self.events.append(
            {
                "EventId": event_id,
                "Type": kind,
                "StepName": step_name,
                "Time": moment,
                "ScheduleEventId": schedule_event_id,
                "EventDetail": "{" + ",".join(f"{_compact(k)}:{v}" for k, v in parts.items()) + "}",
            }
        )
        if over is not None:
            raise over
        return event_id

    def _over_quota(
        self, kind: str, step_name: str, parts: dict[str, str]
    ) -> EventDataTooLarge | None:
        if self.data_limit <= 0:
            return None
        for key, text in parts.items():
            if key in DATA_FIELDS:
                size = text_size_over(text, self.data_limit)
                if size is not None:
                    return EventDataTooLarge(kind, step_name, key, size, self.data_limit)
        return None


def _compact(value: Any) -> str:
    """JSON as FnF's EventDetail writes it: compact, non-ASCII text kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
