"""The path an execution took through its flow, from its FnF events.

A run's output is its function's (TaskSucceeded) for a task, else what the step changed in
its scope's `$local` (StepExited holds the whole scope); a step that failed, or whose error a
catch took, has none (its error and cause say what happened).

Input: the events GetExecutionHistory answers (`EventId`, `Type`, `StepName`, `Time`,
`ScheduleEventId`, `EventDetail` as JSON text), of every run of the execution (EventIds keep
counting across continue-as-new, so the pages simply follow each other). Output: per step a
status, its attempts, input, output, error and cause; how often each edge was taken; per
parallel step each branch's own path; per foreach step how many iterations succeeded, failed
or still run, and each iteration's own path.

Which sequence a `StepEntered` belongs to is not written in the event (FDL spec 5.5: only the
events that answer another carry `ScheduleEventId`), so it is placed by the rule
`fnf run` uses to indent events: a member (the flow, a branch, an iteration) runs its steps one
at a time and step names are unique within one `steps:` list, so a StepEntered goes to an open
member whose steps include the name and that is between steps; among several (iterations of
one foreach), to the one idle longest, the order in which the workflow runs its members.
Without the flow's definition every step is placed in the flow itself, keyed by its name.

Parts run as child runs (worker/interpreter/parts.py) show in this history only as
`PartEntered` / `PartExited`: a foreach batch (detail `firstIndex`, `count`) counts its items
as running, succeeded, or failed with the part; the rest of a nested sequence handed over to a
child (detail `step`) gives that step the part's status. Their own events are in the child's
history (its `workflowId` is in the detail).

This is the one model of an execution's path: `fnf graph --execution` draws it, and the web
console draws it and lists each run of a step (`ExecutionPath.runs`: input, output, error,
cause, every attempt, a callback's token) and each event's member and step
(`ExecutionPath.placed`). `PathTracker` builds it event by event, so a page that follows a
running execution feeds only the events it has not seen.

A redrive (RedriveExecution) enters a parallel or foreach step again and runs only its
members that did not complete; the members that did record no new event (worker/interpreter/
redrive.py), so they keep the path of the first attempt here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Literal

from translator.diagram.layout import as_flow_graph
from translator.diagram.model import END, START, edge_key, join_node_id, step_node_id
from translator.graph import FlowGraph, StepNode

Status = Literal["succeeded", "failed", "stopped", "running", "waiting", "caught", "not_reached"]
STATUSES: tuple[Status, ...] = (
    "succeeded",
    "failed",
    "stopped",
    "running",
    "waiting",
    "caught",
    "not_reached",
)
STATUS_TEXT: dict[Status, str] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "stopped": "stopped",
    "running": "running",
    "waiting": "waiting for a callback",
    "caught": "failed, caught",
    "not_reached": "not reached",
}
_RANK: dict[Status, int] = {
    "not_reached": 0,
    "succeeded": 1,
    "caught": 2,
    "stopped": 3,
    "failed": 4,
    "waiting": 5,
    "running": 6,
}
"""Which status a step shows when several runs of it disagree (iterations of a foreach): the
one that needs attention first."""

TERMINAL = {
    "ExecutionSucceeded": "Succeeded",
    "ExecutionFailed": "Failed",
    "ExecutionStopped": "Stopped",
    "ExecutionTimedOut": "TimedOut",
}


@dataclass
class Attempt:
    """One attempt of a task step (TaskStarted to its result)."""

    number: int
    started: str
    result: str = ""
    """TaskSucceeded, TaskFailed, TaskTimedOut or TaskSubmitFailed; empty while it runs."""
    error: str = ""
    cause: str = ""


@dataclass
class StepVisit:
    """One run of a step: from its StepEntered to its StepExited or StepFailed."""

    entered_id: int
    status: Status = "running"
    attempts: int = 0
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    entered: str = ""
    ended: str = ""
    goto: str | None = None
    """The step a catch went on to."""
    part: str | None = None
    """The workflow id of the child run this step's sequence was handed over to."""
    key: str = ""
    name: str = ""
    within: list[str] = field(default_factory=list)
    """The member labels this run is in (`["Both#1", "Each#0"]`; empty in the flow)."""
    tries: list[Attempt] = field(default_factory=list)
    task_token: str = ""
    """The token of a callback still waited for (TaskSubmitted, no result yet)."""
    events: list[int] = field(default_factory=list)
    """The EventIds of this run (its StepEntered and every event answering it)."""

    @property
    def caught(self) -> bool:
        return self.status == "caught"


@dataclass
class StepPath:
    """A step's runs within one member (the flow, a branch or an iteration)."""

    key: str
    """The step's node id (`s3`), or its name when the flow was not given."""
    name: str
    visits: list[StepVisit] = field(default_factory=list)

    @property
    def last(self) -> StepVisit:
        return self.visits[-1]

    @property
    def status(self) -> Status:
        return self.last.status if self.visits else "not_reached"

    @property
    def attempts(self) -> int:
        return self.last.attempts if self.visits else 0

    @property
    def input(self) -> Any:
        return self.last.input if self.visits else None

    @property
    def output(self) -> Any:
        return self.last.output if self.visits else None

    @property
    def error(self) -> str | None:
        return self.last.error if self.visits else None

    @property
    def cause(self) -> str | None:
        return self.last.cause if self.visits else None


@dataclass
class BatchPart:
    """A foreach batch run as a child (PartEntered/PartExited)."""

    workflow_id: str
    first_index: int
    count: int
    status: Status = "running"
    error: str | None = None
    cause: str | None = None


@dataclass
class ForeachPath:
    """A foreach step's iterations (of its latest run): counts, and each one's own path."""

    key: str
    iterations: dict[int, MemberPath] = field(default_factory=dict)
    batches: list[BatchPart] = field(default_factory=list)

    def _count(self, status: Status) -> int:
        inline = sum(1 for m in self.iterations.values() if m.status == status)
        return inline + sum(b.count for b in self.batches if b.status == status)

    @property
    def succeeded(self) -> int:
        return self._count("succeeded")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def running(self) -> int:
        return self._count("running")

    @property
    def stopped(self) -> int:
        return self._count("stopped")

    @property
    def total(self) -> int:
        return len(self.iterations) + sum(b.count for b in self.batches)


@dataclass
class MemberPath:
    """The path of one sequence run: the flow itself, a parallel branch or an iteration."""

    label: str
    index: int = 0
    status: Status = "running"
    error: str | None = None
    cause: str | None = None
    steps: dict[str, StepPath] = field(default_factory=dict)
    edges: Counter[str] = field(default_factory=Counter)
    branches: dict[str, list[MemberPath]] = field(default_factory=dict)
    """Per parallel step (node key), its branches in index order (of its latest run)."""
    foreach: dict[str, ForeachPath] = field(default_factory=dict)
    """Per foreach step (node key), its iterations (of its latest run)."""
    parts: list[str] = field(default_factory=list)
    """Child runs that ran the rest of this sequence (nested handover)."""


@dataclass
class PathView:
    """An ExecutionPath flattened onto the diagram's nodes and edges: one status per node,
    how often each edge was taken. Each foreach shows all its iterations together (the
    status needing attention first, edges counted over all of them) unless one is chosen."""

    steps: dict[str, StepPath]
    statuses: dict[str, Status]
    edges: dict[str, int]
    foreach: dict[str, ForeachPath]
    chosen: dict[str, int]

    execution_status: str = "Running"

    def status(self, key: str, name: str = "") -> Status:
        """A node's status. The start is reached once anything ran, the end when the
        execution succeeded, a join once the flow went on from it."""
        if key == START:
            return "succeeded" if self.edges else "not_reached"
        if key == END:
            return "succeeded" if self.execution_status == "Succeeded" else "not_reached"
        if key.endswith(".join"):  # reached once every member has: the flow went on from it
            taken = any(c for k, c in self.edges.items() if k.startswith(key + "->"))
            return "succeeded" if taken else "not_reached"
        return self.statuses.get(key) or self.statuses.get(name) or "not_reached"

    def step(self, key: str, name: str = "") -> StepPath | None:
        return self.steps.get(key) or self.steps.get(name)


@dataclass
class ExecutionPath:
    status: str
    """FnF's execution status: Running, Succeeded, Failed, Stopped or TimedOut."""
    root: MemberPath
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    events: int = 0
    keyed_by_name: bool = False
    """True when no flow was given: steps are keyed by their names, all in the root."""
    runs: list[StepVisit] = field(default_factory=list)
    """Every run of every step, in the order they were entered."""
    placed: dict[int, tuple[str, str]] = field(default_factory=dict)
    """EventId -> (its member path `Both#1/Each#0`, its step's key), for the event table."""

    def failed_step(self) -> StepVisit | None:
        """The innermost run whose failure ended the execution (not one a catch handled)."""
        failed = [r for r in self.runs if r.status == "failed"]
        return max(failed, key=lambda r: (len(r.within), r.entered_id), default=None)

    def caught_runs(self) -> list[StepVisit]:
        return [r for r in self.runs if r.caught]

    def view(self, iteration: int | Mapping[str, int] | None = None) -> PathView:
        """Flatten for drawing. `iteration`: the foreach iteration to show, one index for
        every foreach, or per foreach step (node id or step name)."""
        view = PathView({}, {}, {}, {}, {}, self.status)
        _flatten(self.root, view, iteration)
        return view


def execution_path(
    events: Iterable[Mapping[str, Any]], flow: FlowGraph | str | Any | None = None
) -> ExecutionPath:
    """The path of one execution from its FnF events (any order, duplicates allowed: they
    are sorted and de-duplicated by EventId). `flow` (FDL text, a FlowGraph or a FlowDocument:
    what layout_flow takes) places the steps of branches and iterations in their own member
    and keys steps by their diagram node id; without it steps are keyed by name."""
    tracker = PathTracker(flow)
    unique = {int(e.get("EventId") or 0): e for e in events}
    tracker.feed(unique[event_id] for event_id in sorted(unique))
    return tracker.path


class PathTracker:
    """The path, built event by event: `feed` the events that follow those fed before (in
    EventId order; one already fed is skipped), and read `path`, which is always up to
    date."""

    def __init__(self, flow: FlowGraph | str | Any | None = None) -> None:
        self._tracker = _Tracker(_graph(flow))
        self.last_event = 0
        """The highest EventId fed so far."""

    @property
    def path(self) -> ExecutionPath:
        return self._tracker.path

    def feed(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Feed events; returns how many were new."""
        fed = 0
        for event in events:
            event_id = int(event.get("EventId") or 0)
            if event_id <= self.last_event:
                continue
            self._tracker.feed(event_id, event)
            self.last_event = event_id
            fed += 1
        self._tracker.path.events += fed
        return fed


def _graph(flow: FlowGraph | str | Any | None) -> FlowGraph | None:
    if flow is None:
        return None
    return as_flow_graph(flow)


# -- placing events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    id: int
    kind: str
    name: str
    time: str
    schedule: int
    detail: dict[str, Any]


@dataclass(eq=False)
class _Member:
    path: MemberPath
    steps: dict[str, StepNode]
    depth: int
    last: str | None
    """The node the member was last at: the source of the next edge it takes."""
    active: int = 0
    idle_since: int = 0
    within: list[str] = field(default_factory=list)
    local: Any = field(default_factory=dict)
    """The member's `$local` after its last step (StepExited's `local`); None when unknown
    (a member a redrive goes on with)."""


@dataclass
class _Owner:
    member: _Member
    node: StepNode | None
    key: str
    visit: StepVisit


def _detail(event: Mapping[str, Any]) -> dict[str, Any]:
    text = event.get("EventDetail") or "{}"
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class _Tracker:
    def __init__(self, graph: FlowGraph | None) -> None:
        self.graph = graph
        steps = _member_steps(graph["steps"]) if graph else {}
        self.root = _Member(MemberPath("flow"), steps, 0, START)
        self.open: list[_Member] = [self.root]
        self.owners: dict[int, _Owner] = {}
        self.members: dict[tuple[int, int], _Member] = {}
        self.parts: dict[int, tuple[_Owner | None, BatchPart | None]] = {}
        self.clock = count(1)
        self.path = ExecutionPath("Running", self.root.path, keyed_by_name=graph is None)

    def feed(self, event_id: int, event: Mapping[str, Any]) -> None:
        e = _Event(
            event_id,
            str(event.get("Type") or ""),
            str(event.get("StepName") or ""),
            str(event.get("Time") or ""),
            int(event.get("ScheduleEventId") or 0),
            _detail(event),
        )
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e)
        owner = self.owners.get(e.id) or self.owners.get(e.schedule)
        if owner is not None:
            self.path.placed[e.id] = ("/".join(owner.member.within), owner.key)
            if owner.visit.events[-1:] != [e.id]:
                owner.visit.events.append(e.id)
        elif e.id in self.parts or e.schedule in self.parts:
            part_owner, _ = self.parts.get(e.id) or self.parts.get(e.schedule) or (None, None)
            if part_owner is not None:
                self.path.placed[e.id] = ("/".join(part_owner.member.within), part_owner.key)

    # the execution

    def _on_ExecutionStarted(self, e: _Event) -> None:
        if self.path.input is None:
            self.path.input = e.detail.get("input")

    def _terminal(self, e: _Event) -> None:
        self.path.status = TERMINAL[e.kind]
        self.path.error = _text(e.detail.get("error"))
        self.path.cause = _text(e.detail.get("cause"))
        self.root.path.error, self.root.path.cause = self.path.error, self.path.cause
        self.root.path.status = _member_status(self.path.status)

    def _on_ExecutionSucceeded(self, e: _Event) -> None:
        self._terminal(e)
        self.path.output = e.detail.get("output")
        if self.root.last is not None:
            self.root.path.edges[edge_key(self.root.last, END)] += 1

    def _on_ExecutionFailed(self, e: _Event) -> None:
        self._terminal(e)

    def _on_ExecutionTimedOut(self, e: _Event) -> None:
        """Temporal closes a timed-out execution without running workflow code: what was
        still open then was stopped by it."""
        self._terminal(e)
        _mark_stopped(self.root.path, (_OPEN_ONLY, _OPEN_ONLY))

    def _on_ExecutionStopped(self, e: _Event) -> None:
        """A stop ends every step, branch and iteration in flight with StepFailed,
        BranchExited or IterationExited carrying the stop's own error and cause
        (worker/interpreter/cancellation.py), before ExecutionStopped, the last event: those
        runs, and any still open, were stopped rather than failed."""
        self._terminal(e)
        _mark_stopped(self.root.path, (self.path.error, self.path.cause))

    def _on_ExecutionRedriven(self, e: _Event) -> None:
        """A redrive (RedriveExecution) goes on from where the execution ended: it runs
        again until its next end event."""
        self.path.status = "Running"
        self.path.error = self.path.cause = None
        self.root.path.status = "running"
        self.root.path.error = self.root.path.cause = None

    # steps

    def _on_StepEntered(self, e: _Event) -> None:
        name = e.name
        member = self._member_for(name)
        node = member.steps.get(name)
        key = step_node_id(node["id"]) if node else name
        visit = self._visit(e, member, key, name, e.detail.get("input"))
        step = member.path.steps.setdefault(key, StepPath(key, name))
        redriven = bool(step.visits) and step.last.status in ("failed", "stopped")
        step.visits.append(visit)
        if member.last is not None and not redriven:
            member.path.edges[edge_key(member.last, key)] += 1
        member.last = key
        member.active += 1
        if redriven:  # a redrive runs again only the members that did not complete: keep all
            pass
        elif node is not None and node["type"] == "parallel":
            member.path.branches[key] = []
        elif node is not None and node["type"] == "foreach":
            member.path.foreach[key] = ForeachPath(key)
        self.owners[e.id] = _Owner(member, node, key, visit)

    def _visit(self, e: _Event, member: _Member, key: str, name: str, value: Any) -> StepVisit:
        visit = StepVisit(e.id, input=value, entered=e.time, key=key, name=name)
        visit.within = list(member.within)
        visit.events.append(e.id)
        self.path.runs.append(visit)
        return visit

    def _ended(self, owner: _Owner, e: _Event) -> None:
        member = owner.member
        member.active = max(member.active - 1, 0)
        member.idle_since = next(self.clock)
        owner.visit.ended = e.time

    def _on_StepExited(self, e: _Event) -> None:
        owner = self.owners.get(e.schedule)
        if owner is None:
            return
        visit = owner.visit
        local = e.detail.get("local")
        if "error" in e.detail and "goto" in e.detail:
            visit.status = "caught"
            visit.error, visit.cause = _text(e.detail.get("error")), _text(e.detail.get("cause"))
            visit.goto = _text(e.detail.get("goto"))
            visit.output = None  # it produced no output: its panel shows the error
        else:
            visit.status = "succeeded"
            if visit.output is None:  # a task's output is its function's (TaskSucceeded)
                visit.output = added(owner.member.local, local)
        visit.task_token = ""
        owner.member.local = local
        node = owner.node
        if node is not None and node["type"] in ("parallel", "foreach"):
            owner.member.last = join_node_id(node["id"])
        self._ended(owner, e)

    def _on_StepFailed(self, e: _Event) -> None:
        owner = self.owners.get(e.schedule)
        if owner is None:
            return
        owner.visit.status = "failed"
        owner.visit.error = _text(e.detail.get("error"))
        owner.visit.cause = _text(e.detail.get("cause"))
        owner.visit.output = None
        owner.visit.task_token = ""
        self._ended(owner, e)

    # tasks

    def _task_owner(self, e: _Event) -> _Owner | None:
        owner = self.owners.get(e.schedule)
        if owner is not None:
            self.owners[e.id] = owner
        return owner

    def _on_TaskScheduled(self, e: _Event) -> None:
        owner = self._task_owner(e)
        if owner is not None:
            owner.visit.attempts += 1
            owner.visit.status = "running"

    def _on_TaskStarted(self, e: _Event) -> None:
        owner = self.owners.get(e.schedule)
        attempt = e.detail.get("attempt")
        if owner is None:
            return
        number = len(owner.visit.tries) + 1
        if isinstance(attempt, int) and not isinstance(attempt, bool):
            owner.visit.attempts = max(owner.visit.attempts, attempt)
            number = attempt
        owner.visit.tries.append(Attempt(number, e.time))

    def _on_TaskSubmitted(self, e: _Event) -> None:
        owner = self.owners.get(e.schedule)
        if owner is not None:
            owner.visit.status = "waiting"
            output = e.detail.get("output")
            token = output.get("taskToken") if isinstance(output, dict) else None
            owner.visit.task_token = token if isinstance(token, str) else ""

    def _task_result(self, e: _Event) -> _Owner | None:
        owner = self.owners.get(e.schedule)
        if owner is None:
            return None
        owner.visit.status, owner.visit.output = "running", None
        owner.visit.task_token = ""
        if owner.visit.tries:
            last = owner.visit.tries[-1]
            last.result = e.kind
            last.error = str(e.detail.get("error") or "")
            last.cause = _text(e.detail.get("cause")) or ""
        return owner

    def _on_TaskSucceeded(self, e: _Event) -> None:
        owner = self._task_result(e)
        if owner is not None:
            owner.visit.output = e.detail.get("output")

    def _on_TaskFailed(self, e: _Event) -> None:
        owner = self._task_result(e)
        if owner is not None:
            owner.visit.error = _text(e.detail.get("error"))
            owner.visit.cause = _text(e.detail.get("cause"))

    _on_TaskTimedOut = _on_TaskFailed
    _on_TaskSubmitFailed = _on_TaskFailed

    # branches and iterations

    def _on_BranchEntered(self, e: _Event) -> None:
        self._open(e, "branch")

    def _on_IterationEntered(self, e: _Event) -> None:
        self._open(e, "iteration")

    def _open(self, e: _Event, kind: str) -> None:
        owner = self.owners.get(e.schedule)
        index = e.detail.get("index")
        if owner is None or not isinstance(index, int):
            return
        node = owner.node
        steps: list[StepNode] = []
        if node is not None and node["type"] == "parallel":
            branches = node.get("branches") or []
            steps = branches[index] if 0 <= index < len(branches) else []
        elif node is not None:
            steps = node.get("steps") or []
        label = f"{node['name'] if node is not None else owner.key}#{index}"
        earlier = self._earlier_member(owner, kind, index)
        path = earlier or MemberPath(label, index)
        path.status, path.error, path.cause = "running", None, None
        member = _Member(path, _member_steps(steps), owner.member.depth + 1, owner.key)
        if earlier is not None:  # it goes on from the step it ended at, with an unknown local
            member.last, member.local = None, None
        member.within = [*owner.member.within, label]
        member.idle_since = next(self.clock)
        self.members[(e.schedule, index)] = member
        self.open.append(member)
        if kind == "branch":
            members = owner.member.path.branches.setdefault(owner.key, [])
            if all(m is not path for m in members):
                members.append(path)
                members.sort(key=lambda m: m.index)
        else:
            fan = owner.member.path.foreach.setdefault(owner.key, ForeachPath(owner.key))
            fan.iterations[index] = path

    def _earlier_member(self, owner: _Owner, kind: str, index: int) -> MemberPath | None:
        """The member a redrive runs again (kept by _on_StepEntered): it goes on with the
        path of its first attempt; None for a member entered the first time."""
        if kind == "branch":
            branches = owner.member.path.branches.get(owner.key, [])
            return next((m for m in branches if m.index == index), None)
        fan = owner.member.path.foreach.get(owner.key)
        return fan.iterations.get(index) if fan is not None else None

    def _on_BranchExited(self, e: _Event) -> None:
        index = e.detail.get("index")
        member = self.members.pop((e.schedule, index if isinstance(index, int) else -1), None)
        owner = self.owners.get(e.schedule)
        if member is None or owner is None:
            return
        if member in self.open:
            self.open.remove(member)
        if "error" in e.detail:
            member.path.status = "failed"
            member.path.error = _text(e.detail.get("error"))
            member.path.cause = _text(e.detail.get("cause"))
        else:
            member.path.status = "succeeded"
            if member.last is not None and owner.node is not None:
                member.path.edges[edge_key(member.last, join_node_id(owner.node["id"]))] += 1

    _on_IterationExited = _on_BranchExited

    # parts run as child runs

    def _on_PartEntered(self, e: _Event) -> None:
        workflow_id = str(e.detail.get("workflowId") or "")
        if e.schedule:  # a foreach batch: answers its foreach's StepEntered
            owner = self.owners.get(e.schedule)
            if owner is None:
                return
            batch = BatchPart(
                workflow_id, int(e.detail.get("firstIndex") or 0), int(e.detail.get("count") or 0)
            )
            fan = owner.member.path.foreach.setdefault(owner.key, ForeachPath(owner.key))
            fan.batches = [b for b in fan.batches if b.first_index != batch.first_index]
            fan.batches.append(batch)  # a redrive runs a failed batch again whole
            self.parts[e.id] = (None, batch)
            return
        name = str(e.detail.get("step") or e.name or "")
        member = self._member_for(name)
        node = member.steps.get(name)
        key = step_node_id(node["id"]) if node else name
        visit = self._visit(e, member, key, name, None)
        visit.part = workflow_id
        member.path.steps.setdefault(key, StepPath(key, name)).visits.append(visit)
        member.path.parts.append(workflow_id)
        if member.last is not None:
            member.path.edges[edge_key(member.last, key)] += 1
        member.last = None  # the rest of the sequence runs in the child: its path is there
        member.active += 1
        self.parts[e.id] = (_Owner(member, node, key, visit), None)

    def _on_PartExited(self, e: _Event) -> None:
        owner, batch = self.parts.get(e.schedule, (None, None))
        failed = "error" in e.detail
        status: Status = "failed" if failed else "succeeded"
        if batch is not None:
            batch.status = status
            batch.error, batch.cause = _text(e.detail.get("error")), _text(e.detail.get("cause"))
        if owner is not None:
            owner.visit.status = status
            owner.visit.error, owner.visit.cause = (
                _text(e.detail.get("error")),
                _text(e.detail.get("cause")),
            )
            self._ended(owner, e)

    # placement

    def _member_for(self, name: str) -> _Member:
        candidates = [m for m in self.open if name in m.steps]
        idle = [m for m in candidates if m.active == 0]
        if idle:
            return min(idle, key=lambda m: (m.idle_since, -m.depth))
        if candidates:
            return max(candidates, key=lambda m: m.depth)
        return self.root


def _member_steps(steps: list[StepNode]) -> dict[str, StepNode]:
    """The steps a member runs itself: its list and its choices' options, not the members of
    its parallel and foreach steps."""
    found: dict[str, StepNode] = {}
    for step in steps:
        found.setdefault(step["name"], step)
        if step["type"] == "choice":
            options = list(step.get("choices") or [])
            default = step.get("default")
            if default:
                options.append(default)
            for option in options:
                for name, nested in _member_steps(option.get("steps") or []).items():
                    found.setdefault(name, nested)
    return found


def _member_status(execution_status: str) -> Status:
    ends: dict[str, Status] = {"Succeeded": "succeeded", "Stopped": "stopped"}
    return ends.get(execution_status, "failed")


_OPEN: tuple[Status, ...] = ("running", "waiting")
_OPEN_ONLY = object()
"""A stop whose error and cause match no failure: only what is still open was stopped."""


def _stopped(status: Status, error: str | None, cause: str | None, stop: tuple[Any, Any]) -> bool:
    """Ended by the stop: still open when it came, or failed with its very error and cause."""
    return status in _OPEN or (status == "failed" and (error, cause) == stop)


def added(before: Any, after: Any) -> Any:
    """What a step put into its scope's `$local` (StepExited's `local` holds the whole
    scope): the fields that are new or changed, None when there are none."""
    if not isinstance(after, dict):
        return after
    if not isinstance(before, dict):
        return after or None
    new = {k: v for k, v in after.items() if k not in before or before[k] != v}
    return new or None


def _mark_stopped(member: MemberPath, stop: tuple[Any, Any]) -> None:
    for step in member.steps.values():
        for visit in step.visits:
            if _stopped(visit.status, visit.error, visit.cause, stop):
                visit.status = "stopped"
                visit.task_token = ""
    members = [m for branches in member.branches.values() for m in branches]
    for fan in member.foreach.values():
        members += fan.iterations.values()
        for batch in fan.batches:
            if _stopped(batch.status, batch.error, batch.cause, stop):
                batch.status = "stopped"
    for inner in members:
        if _stopped(inner.status, inner.error, inner.cause, stop):
            inner.status = "stopped"
        _mark_stopped(inner, stop)


# -- flattening ---------------------------------------------------------------------------------


def _flatten(
    member: MemberPath,
    view: PathView,
    iteration: int | Mapping[str, int] | None,
) -> None:
    for key, step in member.steps.items():
        _merge_step(view, key, step)
    for key, taken in member.edges.items():
        view.edges[key] = view.edges.get(key, 0) + taken
    for branches in member.branches.values():
        for branch in branches:
            _flatten(branch, view, iteration)
    for key, fan in member.foreach.items():
        view.foreach[key] = fan
        chosen = _chosen(iteration, key, member.steps.get(key))
        if chosen is not None and chosen in fan.iterations:
            view.chosen[key] = chosen
            _flatten(fan.iterations[chosen], view, iteration)
        else:
            for index in sorted(fan.iterations):
                _flatten(fan.iterations[index], view, iteration)


def _chosen(
    iteration: int | Mapping[str, int] | None, key: str, step: StepPath | None
) -> int | None:
    if iteration is None or isinstance(iteration, bool):
        return None
    if isinstance(iteration, int):
        return iteration
    if key in iteration:
        return iteration[key]
    if step is not None and step.name in iteration:
        return iteration[step.name]
    return None


def _merge_step(view: PathView, key: str, step: StepPath) -> None:
    status = step.status
    known = view.statuses.get(key)
    if known is None or _RANK[status] >= _RANK[known]:
        view.statuses[key] = status
        view.steps[key] = step
