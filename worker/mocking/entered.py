"""The steps a test case's execution entered, at every depth, named by their paths.

The FnF history interleaves the events of parallel branches and foreach iterations;
translator/event_layout.py places each StepEntered in its member, which gives its path
(`Both#1/Shaky`, `Each#0/Work`), as `fnf run` shows it. A sub-flow step (`acs:fnf:::flow/X`)
runs another execution, whose history is its own: its steps are listed after the sub-flow
step's, under its path (`Call/Work`). Sub-flow steps and the child executions they started are
paired in order: each starts its child right after it is entered, so the parent's history
(Temporal's, ChildWorkflowExecutionStarted, across every run the execution continued as new
into) holds the children in the order of their steps. A part run (a foreach batch, the rest of
a long nested sequence) is read like an execution, its steps listed where it was entered, and
its sub-flows paired with its own children.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Memo
from temporalio.client import Client

from translator.event_layout import EventLayout, Member
from translator.graph import StepNode
from worker.history import read_history, run_chain
from worker.interpreter.steps.subflow import PARENT_STEP_MEMO
from worker.mocking.step_paths import SEPARATOR, step_key
from worker.naming import split_workflow_id

PART_MARK = "/part-"
"""Child runs that execute part of their parent's graph (worker/interpreter/parts.py) have
ids `<workflow id>/part-N`; the parent's history shows each as PartEntered, naming the part's
workflow id, and the part's events are in its own history."""

MAX_DEPTH = 8
"""Sub-flows in sub-flows listed (a flow that starts itself is cut off there)."""


Entry = tuple[str, StepNode | None, int] | list[str]
"""A step entered (its path, node and StepEntered EventId), or the steps a part run entered,
listed already."""


@dataclass(frozen=True)
class Child:
    """A sub-flow execution a run started, and the visit that started it when its memo says."""

    workflow_id: str
    entered: int | None
    """The parent's StepEntered EventId (PARENT_STEP_MEMO); None for a child without one."""
    attempt: int = 1


@dataclass
class Pairing:
    """Which children each sub-flow step's visit started: by the visit's EventId, else (for
    children without a memo) the next one in start order."""

    by_visit: dict[int, list[str]]
    unnamed: Iterator[str]

    @classmethod
    def of(cls, children: list[Child]) -> Pairing:
        by_visit: dict[int, list[Child]] = {}
        for child in children:
            if child.entered is not None:
                by_visit.setdefault(child.entered, []).append(child)
        ordered = {
            visit: [child.workflow_id for child in sorted(started, key=lambda c: c.attempt)]
            for visit, started in by_visit.items()
        }
        unnamed = iter([child.workflow_id for child in children if child.entered is None])
        return cls(ordered, unnamed)

    def started_by(self, visit: int) -> list[str]:
        named = self.by_visit.get(visit)
        if named is not None:
            return named
        child = next(self.unnamed, None)
        return [] if child is None else [child]


async def entered_steps(
    client: Client,
    workflow_id: str,
    graph: Any,
    events: list[dict[str, Any]],
    flows: dict[str, Any] | None = None,
    depth: int = 0,
) -> list[str]:
    """The path of every step entered, in order, with the steps of its sub-flows after it and
    the steps of its part runs where each part was entered."""
    layout = EventLayout.of(list(graph.get("steps") or []))
    return await _steps_of(client, workflow_id, layout, events, flows or {}, depth)


async def _steps_of(
    client: Client,
    workflow_id: str,
    layout: EventLayout,
    events: list[dict[str, Any]],
    flows: dict[str, Any],
    depth: int,
) -> list[str]:
    """The steps `events` (the FnF history of `workflow_id`, an execution or a part run)
    entered, each sub-flow step followed by the steps of the child that run started."""
    entries: list[Entry] = []
    for event in events:
        member = layout.place(event)
        if event.get("Type") == "PartEntered":
            entries.append(await _part_steps(client, layout, event, flows, depth))
        if event.get("Type") != "StepEntered":
            continue
        placed = layout.placed.get(int(event.get("EventId", 0)))
        path = SEPARATOR.join(member.path())
        node = placed.node if placed is not None else None
        visit = int(event.get("EventId", 0))
        entries.append((step_key(path, str(event.get("StepName", ""))), node, visit))
    calls = any(isinstance(entry, tuple) and _starts_subflow(entry[1]) for entry in entries)
    started = await _children(client, workflow_id) if calls and depth < MAX_DEPTH else []
    pairing = Pairing.of(started)
    steps: list[str] = []
    for entry in entries:
        if isinstance(entry, list):
            steps += entry
            continue
        path, node, visit = entry
        steps.append(path)
        for child in pairing.started_by(visit) if _starts_subflow(node) else []:
            steps += [
                f"{path}{SEPARATOR}{inner}"
                for inner in await _child_steps(client, child, flows, depth)
            ]
    return steps


async def _part_steps(
    client: Client, layout: EventLayout, event: dict[str, Any], flows: dict[str, Any], depth: int
) -> list[str]:
    """The steps of the part run a PartEntered event started, from the part's own history
    (worker/interpreter/parts.py), placed where the part runs in the parent: a foreach
    batch's iterations open under the foreach's StepEntered (in the part's history they
    answer event 0), the rest of a nested sequence continues in the member holding its step.
    """
    try:
        detail = json.loads(event.get("EventDetail") or "{}")
    except ValueError:
        return []
    part = str(detail.get("workflowId") or "") if isinstance(detail, dict) else ""
    if not part:
        return []
    owner = layout.placed.get(int(event.get("ScheduleEventId") or 0))
    if owner is not None:
        within = EventLayout(owner.member)
        within.placed[0] = owner
    else:
        within = EventLayout(_member_holding(layout, str(detail.get("step") or "")))
    events = await read_history(client, part)
    return await _steps_of(client, part, within, events, flows, depth)


def _member_holding(layout: EventLayout, step: str) -> Member:
    """The deepest open member whose sequence has `step`, else the flow's own."""
    holding = [member for member in layout.open_members if step in member.steps]
    return max(holding, key=lambda member: member.depth) if holding else layout.root


def _starts_subflow(node: StepNode | None) -> bool:
    return bool(node and node["type"] == "task" and node["resource"]["kind"] == "fnf-flow")


async def _children(client: Client, workflow_id: str) -> list[Child]:
    """The executions this run chain (an execution's, or a part run's) started as sub-flows,
    in the order they started, each with the visit its memo names. Every run counts: a
    continue-as-new starts a run with a history of its own, so a sub-flow started before it is
    in an earlier run's. Part runs are not sub-flows; their own sub-flows are theirs
    (`_part_steps`). A start Temporal refused (the id was taken) started nothing."""
    started: list[Child] = []
    for run_id in await run_chain(client, workflow_id):
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        initiated: dict[int, Memo] = {}
        for event in history.events:
            if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
                command = event.start_child_workflow_execution_initiated_event_attributes
                initiated[event.event_id] = command.memo
            if event.HasField("child_workflow_execution_started_event_attributes"):
                attributes = event.child_workflow_execution_started_event_attributes
                child = attributes.workflow_execution.workflow_id
                memo = initiated.get(attributes.initiated_event_id)
                started.append(_child(client, child, memo))
    return [child for child in started if PART_MARK not in child.workflow_id]


def _child(client: Client, workflow_id: str, memo: Memo | None) -> Child:
    """The child and the visit its memo names (PARENT_STEP_MEMO), if it names one."""
    payload = memo.fields.get(PARENT_STEP_MEMO) if memo is not None else None
    if payload is None:
        return Child(workflow_id, None)
    try:
        where = client.data_converter.payload_converter.from_payload(payload)
    except Exception:  # a memo this release did not write: pair it in start order
        return Child(workflow_id, None)
    if not isinstance(where, dict):
        return Child(workflow_id, None)
    entered, attempt = where.get("entered"), where.get("attempt")
    if not isinstance(entered, int) or isinstance(entered, bool):
        return Child(workflow_id, None)
    return Child(workflow_id, entered, attempt if isinstance(attempt, int) else 1)


async def _child_steps(client: Client, child: str, flows: dict[str, Any], depth: int) -> list[str]:
    names = split_workflow_id(child)
    graph = flows.get(names[0]) if names is not None else None
    if graph is None:
        return []
    events = await read_history(client, child)
    return await entered_steps(client, child, graph, events, flows, depth + 1)
