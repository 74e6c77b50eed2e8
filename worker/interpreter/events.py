"""The FnF execution history (DESIGN 9), recorded deterministically by the workflow.

Event ids count from 1 in the order the workflow records them; times come from
`workflow.now()`, so a replay rebuilds exactly the same list. `ScheduleEventId` ties an event to
the StepEntered (or, for task events, the TaskScheduled) it answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as FnF writes it: 2020-10-27T22:17:52.413Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class EventLog:
    """This run's events. After continue-as-new a run starts at `first_id`; the earlier events
    stay answerable by the earlier runs (worker/history.py reads across them)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    first_id: int = 1

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
    ) -> int:
        """Append one event; `time` overrides the workflow clock for facts an activity
        observed (the start and end of each task attempt)."""
        event_id = self.next_id()
        self.events.append(
            {
                "EventId": event_id,
                "Type": kind,
                "StepName": step_name,
                "Time": time or format_time(workflow.now()),
                "ScheduleEventId": schedule_event_id,
                "EventDetail": json.dumps(detail or {}, ensure_ascii=False, separators=(",", ":")),
            }
        )
        return event_id
