"""Parts of a flow's graph run as child FnFFlow runs, so that no history grows without bound
(DESIGN 10).

Only the root sequence can continue as new, between two of its steps. Two things outgrow one
Temporal run anyway: a foreach over very many items (every iteration's activities land in the
one history; past about 100 completions in one workflow task the server even fails the task,
and the worker replays the whole history) and a long loop inside a parallel branch, a foreach
iteration or a choice option. Both run as children of the one generic workflow (DESIGN 3)
whose FlowRun carries a `Part` (worker/execution.py), the way Step Functions' Distributed Map
runs batches of items as child executions:

- `iterations`: a batch of a foreach's items (worker/interpreter/steps/foreach_batches.py);
  the child returns their locals, in order, as `{"locals": [...]}`. A batch child whose own
  history grows long starts no more items, lets the running ones finish and continues as new
  with the rest.
- `steps`: the rest of a nested sequence, from the step it would run next, with its local;
  the child runs it as its root sequence (so it continues as new between steps as often as it
  needs) and returns the sequence's final local.

The parent's FnF history shows one `PartEntered` per child (detail: the child's `workflowId`,
and `firstIndex` and `count` for a batch or `step` for the rest of a sequence) and a
`PartExited` when it ends (with `error` and `cause` when it failed or was cancelled). The
child's own FnF history, read by its workflow id like any execution's (worker/history.py),
starts with `ExecutionStarted` (detail: its `$input` and the part), holds the part's events
(EventIds from 1; iteration events carry ScheduleEventId 0, their StepEntered being the
parent's) and ends with its terminal event. Child workflow ids are the parent's id, `/part-`
and the PartEntered EventId: unique, never an execution's (`/` is in no execution name) and
never listed as executions (their FnFFlowName, PART_FLOW_NAME, names no flow).

A stop or a failed sibling cancels a running child with a Temporal cancellation whose reason
carries the Error and Cause (cancellation.Reason.encode), so the child's cancelled work
records what it would have recorded inline, and the child ends Stopped.

Task tokens name the execution's workflow, so a part that contains a waitForCallback task
never runs as a child: it stays inline, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, ChildWorkflowError, TerminatedError
from temporalio.workflow import ParentClosePolicy

from translator.graph import StepNode, child_sequences, iter_steps
from worker.execution import FlowRun, Part
from worker.interpreter import versions
from worker.interpreter.cancellation import STOPPED, CancelScope
from worker.interpreter.child_starts import start_child
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import (
    execution_details,
    execution_summary,
    step_label,
    summary,
)
from worker.naming import FLOW_NAME, join_workflow_id

if TYPE_CHECKING:
    from worker.interpreter.sequence import Interpreter

ITERATIONS = "iterations"
STEPS = "steps"

BATCHES_PATCH = "fnf-foreach-batches-as-child-runs"
"""Executions started since this patch run a large foreach as batches of child runs."""
PART_FLOW_NAME = "/part"
"""The FnFFlowName of part runs: `/` is in no flow name."""
HANDOVER_PATCH = "fnf-nested-sequence-handover"
"""Executions started since this patch hand a long nested sequence over to a child run."""


@dataclass
class PartRuns:
    """How this run starts children for parts: its own FlowRun without what belongs to the
    execution (its input, position, callback and stop reporting), plus the pinned settings."""

    template: FlowRun
    workflow_id: str
    """This run's workflow id, as its parent or starter named it: child ids are derived from
    it, never from `workflow.info()`, so a history replays under any id."""

    @classmethod
    def of(cls, run: FlowRun) -> PartRuns:
        template = replace(
            run,
            input={},
            resumption=None,
            part=None,
            callback_token="",
            report_stop_to_parent=False,
            redrive=None,
        )
        own = (
            run.part.workflow_id
            if run.part
            else join_workflow_id(run.flow_name, run.execution_name)
        )
        return cls(template, own)

    async def run(
        self,
        interpreter: Interpreter,
        part: Part,
        step_name: str,
        schedule_id: int,
        detail: dict[str, Any],
    ) -> dict[str, Any]:
        """Run `part` as a child between PartEntered and PartExited; its result, or its
        failure as a StepFailure, or CancelledError once the cancelled child has ended."""
        log = interpreter.log
        child_id = f"{self.workflow_id}/part-{log.next_id()}"
        entered = log.record(
            "PartEntered", step_name, {"workflowId": child_id, **detail}, schedule_id
        )
        part = replace(part, parent_workflow_id=self.workflow_id, workflow_id=child_id)
        child = replace(self.template, input=part.container_input, part=part)
        try:
            what = summary(
                f"part of {self.workflow_id}: step {step_label(step_name, interpreter.path)} "
                + json.dumps(detail, separators=(",", ":"))
            )
            with interpreter.details.doing(f"waiting for the part run {child_id}: {what}"):
                metadata = _part_metadata(child, what)
                result = await _run_child(child_id, child, interpreter.scope, metadata)
        except StepFailure as failure:
            failed = {**detail, "error": failure.error, "cause": failure.cause}
            log.record("PartExited", step_name, failed, entered, checked=False)
            raise
        except asyncio.CancelledError:
            log.record(
                "PartExited", step_name, {**detail, **interpreter.scope.why().detail()}, entered
            )
            raise
        log.record("PartExited", step_name, detail, entered, checked=False)
        return result

    def hands_over(self, interpreter: Interpreter, steps: list[StepNode], ran: int) -> bool:
        """Whether a nested sequence that ran `ran` steps in this run hands its rest over now:
        it ran long enough here, the history is long, and it waits for no callback."""
        return (
            ran >= self.template.nested_handover_steps
            and history_is_long(self.template.continue_as_new_at)
            and not has_callbacks(steps)
            and versions.patched(HANDOVER_PATCH)
        )

    async def run_rest(
        self,
        interpreter: Interpreter,
        steps: list[StepNode],
        position: int,
        local: dict[str, Any],
        container_input: Any,
    ) -> dict[str, Any]:
        """The rest of a nested sequence, from `position`, as a child run; its final local."""
        node = steps[position]
        container = container_input if isinstance(container_input, dict) else {}
        part = Part(STEPS, node["id"], projected_input(steps, container), local=local)
        return await self.run(interpreter, part, node["name"], 0, {"step": node["name"]})


def _part_metadata(child: FlowRun, what: str) -> tuple[str, str]:
    """A part run's static summary and details: the execution's flow and name as its first
    run shows them, what part it runs, and the part's own input (its `$input`)."""
    text = summary(f"{execution_summary(child.flow_name, child.execution_name)} · {what}")
    details = execution_details(
        child.flow_name, child.execution_name, child.input, f"**Part run** {what}", "Part input"
    )
    return text, details


async def _run_child(
    child_id: str, child: FlowRun, scope: CancelScope, metadata: tuple[str, str]
) -> dict[str, Any]:
    handle = await start_child(
        lambda: workflow.start_child_workflow(
            "FnFFlow",
            child,
            id=child_id,
            result_type=dict,
            parent_close_policy=ParentClosePolicy.TERMINATE,
            search_attributes=_part_search_attributes(),
            static_summary=metadata[0],
            static_details=metadata[1],
        ),
        scope,
    )
    try:
        # Shielded: a cancellation here is turned into the child's cancellation with the
        # Error and Cause as its reason, and the child is awaited until it has ended.
        return dict(await asyncio.shield(handle))
    except asyncio.CancelledError:
        handle.cancel(scope.why().encode())
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await handle
        raise
    except ChildWorkflowError as error:
        raise _failure(child_id, error, scope) from None


def _part_search_attributes() -> Any:
    """A part run is no execution: its FnFFlowName names no flow (PART_FLOW_NAME), so no
    ListExecutions or StopExecution query finds it. It has one at all when its parent has
    them, so that sub-flows started from the part carry theirs (subflow.py)."""
    if workflow.info().typed_search_attributes.get(FLOW_NAME) is None:
        return None
    return TypedSearchAttributes([SearchAttributePair(FLOW_NAME, PART_FLOW_NAME)])


def _failure(child_id: str, error: ChildWorkflowError, scope: CancelScope) -> BaseException:
    """The child's failure as its parent step sees it: the error and cause its failing step
    ended the child with (execution_failed keeps both exactly in the details)."""
    cause = error.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details else None
        if isinstance(details, dict) and "error" in details:
            failure = StepFailure(str(details["error"]), str(details.get("cause", "")))
            return failure.located(str(details.get("step", "")), str(details.get("within", "")))
        return StepFailure(cause.type or RUNTIME_ERROR, cause.message)
    if isinstance(cause, TerminatedError):
        return StepFailure(STOPPED, f"part {child_id} was terminated")
    if scope.cancelling():
        return asyncio.CancelledError()
    return StepFailure(STOPPED, f"part {child_id} ended: {cause or error}")


def history_is_long(continue_as_new_at: int) -> bool:
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() >= continue_as_new_at
    )


def has_callbacks(steps: list[StepNode]) -> bool:
    """Whether any step of `steps`, nested ones included, waits for a callback report."""
    return any(
        node["type"] == "task" and node.get("pattern") == "waitForCallback"
        for node in iter_steps(steps)
    )


def locate(steps: list[StepNode], step_id: int) -> tuple[list[StepNode], int]:
    """The sequence that holds step `step_id`, and its position there."""
    for position, node in enumerate(steps):
        if node["id"] == step_id:
            return steps, position
        for nested in child_sequences(node):
            try:
                return locate(nested, step_id)
            except LookupError:
                continue
    raise LookupError(f"no step {step_id} in the flow's graph")


def projected_input(steps: list[StepNode], container_input: dict[str, Any]) -> dict[str, Any]:
    """What of a sequence's `$input` its steps can read, so a child does not carry the rest
    (a foreach's step input holds its whole collection). Only the inputMappings of the
    sequence's own steps read `$input` (nested sequences read their step's input); a step
    without inputMappings takes the whole input, and a reference that is not by a top-level
    member name may read anything, so then everything is kept."""
    keys: set[str] = set()
    for node in steps:
        mappings = node["inputMappings"]
        if mappings is None:
            return container_input
        for mapping in mappings:
            source: Any = mapping["source"]
            if source.get("ref") != "input":
                continue
            segments = source["path"]["segments"]
            if not segments or "field" not in segments[0]:
                return container_input
            keys.add(segments[0]["field"])
    return {key: value for key, value in container_input.items() if key in keys}
