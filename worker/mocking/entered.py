"""The steps a test case's execution entered, at every depth, named by their paths.

The FnF history interleaves the events of parallel branches and foreach iterations;
translator/event_layout.py places each StepEntered in its member, which gives its path
(`Both#1/Shaky`, `Each#0/Work`), as `fnf run` shows it. A sub-flow step (`acs:fnf:::flow/X`)
runs another execution, whose history is its own: its steps are listed after the sub-flow
step's, under its path (`Call/Work`). Sub-flow steps and the child executions they started are
paired in order: each starts its child right after it is entered, so the parent's history
(Temporal's, ChildWorkflowExecutionStarted) holds the children in the order of their steps.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from translator.event_layout import EventLayout
from translator.graph import StepNode
from worker.history import read_history
from worker.mocking.step_paths import SEPARATOR, step_key
from worker.naming import split_workflow_id

PART_MARK = "/part-"
"""Child runs that execute part of their parent's graph (worker/interpreter/parts.py) have
ids `<workflow id>/part-N`; their events are already in the execution's FnF history."""

MAX_DEPTH = 8
"""Sub-flows in sub-flows listed (a flow that starts itself is cut off there)."""


async def entered_steps(
    client: Client,
    workflow_id: str,
    graph: Any,
    events: list[dict[str, Any]],
    flows: dict[str, Any] | None = None,
    depth: int = 0,
) -> list[str]:
    """The path of every step entered, in order, with the steps of its sub-flows after it."""
    layout = EventLayout.of(list(graph.get("steps") or []))
    listed: list[tuple[str, StepNode | None]] = []
    for event in events:
        member = layout.place(event)
        if event.get("Type") != "StepEntered":
            continue
        placed = layout.placed.get(int(event.get("EventId", 0)))
        path = SEPARATOR.join(member.path())
        node = placed.node if placed is not None else None
        listed.append((step_key(path, str(event.get("StepName", ""))), node))
    if not any(_starts_subflow(node) for _, node in listed) or depth >= MAX_DEPTH:
        return [path for path, _ in listed]
    children = iter(await _children(client, workflow_id))
    steps: list[str] = []
    for path, node in listed:
        steps.append(path)
        child = next(children, None) if _starts_subflow(node) else None
        if child is not None:
            steps += [
                f"{path}{SEPARATOR}{inner}"
                for inner in await _child_steps(client, child, flows or {}, depth)
            ]
    return steps


def _starts_subflow(node: StepNode | None) -> bool:
    return bool(node and node["type"] == "task" and node["resource"]["kind"] == "fnf-flow")


async def _children(client: Client, workflow_id: str) -> list[str]:
    """The executions this one started as sub-flows, in the order they started."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = [
        event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
        for event in history.events
        if event.HasField("child_workflow_execution_started_event_attributes")
    ]
    return [child for child in started if PART_MARK not in child]


async def _child_steps(client: Client, child: str, flows: dict[str, Any], depth: int) -> list[str]:
    names = split_workflow_id(child)
    graph = flows.get(names[0]) if names is not None else None
    if graph is None:
        return []
    events = await read_history(client, child)
    return await entered_steps(client, child, graph, events, flows, depth + 1)
