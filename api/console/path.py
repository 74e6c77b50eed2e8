"""Every run of every step of one execution, read from its FnF history, for the step panel,
the event table and the callback forms.

The graph's statuses, edge counts and foreach iterations come from translator.diagram.path;
this adds what the panel shows beyond them: each run of a step (a loop runs a step again, a
foreach once per iteration) with its member path, input, output, error, each attempt with its
own result, and the token of a callback still waited for. Events are placed in the member
that ran them (the flow, a branch, an iteration) by `translator.event_layout.EventLayout`, the
placement `fnf run` and `fnf exec watch` use, which also names each event's step node (keyed
as the drawn graph keys it, `s<id>`). A run is succeeded, failed (`caught` when a catch took
its error), running, waiting (for a callback) or stopped (the execution ended while it ran).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from translator.event_layout import EventLayout, Member
from translator.graph import StepNode

SUCCEEDED, FAILED, RUNNING, WAITING, STOPPED, NOT_REACHED = (
    "succeeded",
    "failed",
    "running",
    "waiting",
    "stopped",
    "not-reached",
)
TASK_FAILURES = frozenset({"TaskFailed", "TaskTimedOut", "TaskSubmitFailed"})
TASK_RESULTS = TASK_FAILURES | {"TaskSucceeded"}
EXECUTION_ENDS = frozenset({"ExecutionFailed", "ExecutionStopped", "ExecutionTimedOut"})


@dataclass
class Attempt:
    number: int
    started: str
    result: str = ""
    """TaskSucceeded, TaskFailed, TaskTimedOut... (empty while it runs)."""
    error: str = ""
    cause: str = ""


@dataclass
class StepRun:
    """One entry into a step, in one member."""

    node: str
    name: str
    within: list[str]
    iterations: list[tuple[str, int]]
    """(foreach node path, iteration index) of every foreach this run is inside."""
    entered_event: int
    entered: str
    status: str = RUNNING
    input: Any = None
    output: Any = None
    error: str = ""
    cause: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    task_token: str = ""
    caught: bool = False
    """Failed, and a catch of the step handled the error (the flow went on)."""
    events: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "name": self.name,
            "within": "/".join(self.within),
            "status": self.status,
            "entered": self.entered,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "attempts": [vars(a) for a in self.attempts],
            "taskToken": self.task_token,
            "caught": self.caught,
            "events": self.events,
        }


@dataclass
class ExecutionPath:
    runs: list[StepRun]
    events: list[dict[str, Any]]
    within: dict[int, str]
    """EventId -> the member path shown in the event table (`Both#1/Each#0`)."""
    nodes: dict[int, str]
    """EventId -> the node path of its step, where known."""
    error: str = ""
    cause: str = ""
    """The execution's error and cause (its ExecutionFailed/Stopped/TimedOut event)."""
    ended: str = ""

    def failed_step(self) -> StepRun | None:
        """The innermost step whose failure ended the execution (not one a catch handled)."""
        failed = [r for r in self.runs if r.status == FAILED and not r.caught]
        return max(failed, key=lambda r: (len(r.within), r.entered_event), default=None)

    def caught(self) -> list[StepRun]:
        return [r for r in self.runs if r.caught]

    def runs_of(self, node: str) -> list[StepRun]:
        return [r for r in self.runs if r.node == node]


def node_id(node: StepNode) -> str:
    """The step's node in the drawn graph (translator.diagram: `s<compiled step id>`)."""
    return f"s{node['id']}"


def detail_of(event: dict[str, Any]) -> Any:
    try:
        return json.loads(event.get("EventDetail") or "{}")
    except ValueError:
        return event.get("EventDetail")


def trace(steps: list[StepNode], events: list[dict[str, Any]], finished: bool) -> ExecutionPath:
    """The path of an execution whose history so far is `events` (EventId order); `finished`
    when it no longer runs (a step still open then was stopped)."""
    layout = EventLayout.of(steps)
    chains: dict[int, list[tuple[str, int]]] = {id(layout.root): []}
    by_entry: dict[int, StepRun] = {}
    by_task: dict[int, StepRun] = {}
    path = ExecutionPath([], events, {}, {})
    for event in events:
        member = layout.place(event)
        event_id = int(event.get("EventId", 0))
        placed = layout.placed.get(event_id)
        node = placed.node if placed is not None else None
        path.within[event_id] = "/".join(member.path())
        if node is not None:
            path.nodes[event_id] = node_id(node)
        kind = event.get("Type", "")
        detail = detail_of(event)
        detail = detail if isinstance(detail, dict) else {}
        if kind in EXECUTION_ENDS:
            path.error, path.cause = str(detail.get("error", "")), _text(detail.get("cause", ""))
            path.ended = kind
            if kind == "ExecutionStopped":
                _stop(path)
        elif kind == "ExecutionRedriven":  # the execution goes on from where it ended
            path.error, path.cause, path.ended = "", "", ""
        if kind == "StepEntered" and node is not None:
            run = StepRun(
                node_id(node),
                node["name"],
                member.path(),
                chains.get(id(member), []),
                event_id,
                str(event.get("Time", "")),
                input=detail.get("input"),
            )
            path.runs.append(run)
            by_entry[event_id] = run
            run.events.append(event_id)
            continue
        schedule = int(event.get("ScheduleEventId") or 0)
        owner = by_entry.get(schedule) or by_task.get(schedule)
        if kind in ("BranchEntered", "IterationEntered") and node is not None:
            _open_member(layout, chains, event, schedule, node)
        if owner is None:
            continue
        owner.events.append(event_id)
        _apply(owner, kind, detail, event, event_id, by_task)
    _settle(path, finished)
    return path


def _open_member(
    layout: EventLayout,
    chains: dict[int, list[tuple[str, int]]],
    event: dict[str, Any],
    schedule: int,
    node: StepNode,
) -> None:
    index = detail_of(event).get("index") if isinstance(detail_of(event), dict) else None
    if not isinstance(index, int):
        return
    opened: Member | None = layout.members.get((schedule, index))
    owner = layout.placed.get(schedule)
    parent = chains.get(id(owner.member), []) if owner is not None else []
    if opened is None:
        return
    if node["type"] == "foreach":
        chains[id(opened)] = [*parent, (node_id(node), index)]
    else:
        chains[id(opened)] = parent


def _apply(
    run: StepRun,
    kind: str,
    detail: dict[str, Any],
    event: dict[str, Any],
    event_id: int,
    by_task: dict[int, StepRun],
) -> None:
    if kind == "TaskScheduled":
        by_task[event_id] = run
    elif kind == "TaskStarted":
        number = detail.get("attempt")
        number = number if isinstance(number, int) else len(run.attempts) + 1
        run.attempts.append(Attempt(number, str(event.get("Time", ""))))
    elif kind == "TaskSubmitted":
        output = detail.get("output")
        token = output.get("taskToken") if isinstance(output, dict) else None
        run.task_token = token if isinstance(token, str) else ""
        run.status = WAITING
    elif kind in TASK_RESULTS:
        if run.attempts:
            run.attempts[-1].result = kind
            run.attempts[-1].error = str(detail.get("error", ""))
            run.attempts[-1].cause = _text(detail.get("cause", ""))
        if run.status == WAITING:
            run.status = RUNNING
            run.task_token = ""
    elif kind == "StepFailed":
        run.status = FAILED
        run.error = str(detail.get("error", ""))
        run.cause = _text(detail.get("cause", ""))
    elif kind in ("StepExited", "StepSucceeded"):
        last = run.attempts[-1] if run.attempts else None
        if last is not None and last.result in TASK_FAILURES:
            run.status, run.caught = FAILED, True  # a catch took the error: the step failed
            run.error, run.cause = run.error or last.error, run.cause or last.cause
        elif run.status != FAILED:
            run.status = SUCCEEDED
        if kind == "StepExited":
            run.output = detail.get("output", detail.get("local"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _stop(path: ExecutionPath) -> None:
    """At ExecutionStopped: a step that failed with the stop's own error and cause was
    stopped (a stop ends the steps in flight with StepFailed:
    worker/interpreter/cancellation.py). Marked as the stop comes, so a redrive that later
    fails or stops again leaves these runs as they were."""
    for run in path.runs:
        if run.status == FAILED and (run.error, run.cause) == (path.error, path.cause):
            run.status = STOPPED


def _settle(path: ExecutionPath, finished: bool) -> None:
    """What is still open when the execution has ended was stopped."""
    for run in path.runs:
        if finished and run.status in (RUNNING, WAITING):
            run.status = STOPPED
            run.task_token = ""
