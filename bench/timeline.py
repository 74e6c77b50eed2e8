"""Where an execution's wall time goes, task by task, across its continue-as-new chain.

From the server's timestamps of every run's history: each workflow task (started -> completed)
is named by what it sent (a pause, an archive slice, a continue-as-new, the close) and each gap
between two tasks by what the workflow waited for (the pause's or the slice's activity round
trip, a hand-over from one run to the next). The sums say how much of the wall time was the
worker running workflow code and how much the round trips between.

Imported by `inline_steps.py --breakdown` as a sibling module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from worker.history import run_chain

PAUSE = "FnFPause"
SLICE = "ArchiveHistorySlice"


@dataclass
class Part:
    """Time spent in one kind of task or gap: how many, their sum and the longest."""

    count: int = 0
    total_ms: float = 0.0
    longest_ms: float = 0.0

    def add(self, ms: float) -> None:
        self.count += 1
        self.total_ms += ms
        self.longest_ms = max(self.longest_ms, ms)

    def as_dict(self) -> dict[str, Any]:
        mean = self.total_ms / self.count if self.count else 0.0
        return {
            "count": self.count,
            "total_ms": round(self.total_ms, 1),
            "mean_ms": round(mean, 2),
            "longest_ms": round(self.longest_ms, 1),
        }


@dataclass
class Timeline:
    """Tasks by what they sent, gaps by what was awaited, and the whole span."""

    tasks: dict[str, Part] = field(default_factory=lambda: defaultdict(Part))
    gaps: dict[str, Part] = field(default_factory=lambda: defaultdict(Part))
    span_ms: float = 0.0
    runs: int = 0
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "events": self.events,
            "span_ms": round(self.span_ms, 1),
            "tasks": {kind: part.as_dict() for kind, part in sorted(self.tasks.items())},
            "gaps": {kind: part.as_dict() for kind, part in sorted(self.gaps.items())},
        }


def _ms(event: HistoryEvent) -> float:
    return event.event_time.ToMilliseconds() * 1.0


def _sent(events: list[HistoryEvent], completed: int) -> str:
    """What the task completed at index `completed` sent: its commands' events after it."""
    kinds: list[str] = []
    for event in events[completed + 1 :]:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            kinds.append({PAUSE: "pause", SLICE: "slice"}.get(name, "activity"))
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            kinds.append("marker")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            kinds.append("continue-as-new")
        elif kind in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        ):
            kinds.append("close")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            break
        elif kind not in (
            EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        ):
            kinds.append("other")
    for name in ("continue-as-new", "close", "slice", "pause", "activity"):
        if name in kinds:
            return name
    return "marker" if "marker" in kinds else "nothing"


def add_run(timeline: Timeline, events: list[HistoryEvent], first: bool) -> float:
    """Add one run's tasks and gaps; returns the time its last event was written."""
    started: dict[int, float] = {}
    last_completed: tuple[float, str] | None = None
    for index, event in enumerate(events):
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started[event.event_id] = _ms(event)
            if last_completed is not None:  # waited for what the previous task sent
                timeline.gaps[f"after {last_completed[1]}"].add(_ms(event) - last_completed[0])
            elif not first:
                timeline.gaps["hand-over (run start to first task)"].add(
                    _ms(event) - _ms(events[0])
                )
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attributes = event.workflow_task_completed_event_attributes
            began = started[attributes.started_event_id]
            sent = _sent(events, index)
            timeline.tasks[sent].add(_ms(event) - began)
            last_completed = (_ms(event), sent)
    timeline.events += len(events)
    return _ms(events[-1])


async def timeline_of(client: Client, workflow_id: str) -> Timeline:
    """The chain's timeline: every run's history, in order."""
    timeline = Timeline()
    runs = await run_chain(client, workflow_id)
    timeline.runs = len(runs)
    begin = closed = None
    for number, run_id in enumerate(runs):
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        events = list(history.events)
        if begin is None:
            begin = _ms(events[0])
        if closed is not None:  # the previous run's close to this run's first event
            timeline.gaps["hand-over (close to next run)"].add(_ms(events[0]) - closed)
        closed = add_run(timeline, events, number == 0)
    timeline.span_ms = (closed or 0.0) - (begin or 0.0)
    return timeline


def print_timeline(timeline: Timeline) -> None:
    report = timeline.as_dict()
    print(
        f"  timeline: {report['runs']} runs, {report['events']} events, "
        f"{report['span_ms']:.0f} ms from the first event to the last",
        flush=True,
    )
    for title in ("tasks", "gaps"):
        for kind, part in report[title].items():
            print(
                f"    {title[:-1]:>4} {kind:<38} {part['count']:>5} x {part['mean_ms']:>7.2f} ms"
                f" = {part['total_ms']:>8.1f} ms (longest {part['longest_ms']:.1f})",
                flush=True,
            )
