"""task on `acs:fnf:::flow/<name>`: a sub-flow, run as a Temporal child workflow (FDL 11.13).

`requestResponse` starts the child and goes on with `{Name, FlowName, Status, StartedTime}`;
`sync` waits and takes the child's output, or fails with the child's error name: its `fail`
step's error, or the Error given to StopExecution when the child was stopped (FDL spec 2.1.2,
6.1; Alibaba's post-execution-actions sample catches it). Temporal's record of a cancelled
child carries no error, so a stopped `sync` child signals its stop to the parent before it
closes (CHILD_STOPPED_SIGNAL, kept in the parent's history ahead of the child's close); a stop
without Error gives FnF.Stopped. The child runs the definition pinned when the parent started
(DESIGN 2). Retry policies work as for any task, with durable timers between attempts.

Each child records in its memo which visit and attempt of which step started it
(PARENT_STEP_MEMO): sub-flow steps of parallel branches and foreach iterations start their
children concurrently, so the order children started in says nothing about which step each
belongs to, and readers (`fnf test`'s step list, worker/mocking/entered.py) pair by identity.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
    TerminatedError,
    WorkflowAlreadyStartedError,
    is_cancelled_exception,
)
from temporalio.workflow import ParentClosePolicy

from translator.graph import RetryNode, StepNode
from translator.json_values import JsonValueError, check_json_value
from translator.names import EXECUTION
from worker.activities.retry import count_retry, next_retry
from worker.execution import EXECUTION_TIMEOUT, FlowRun, workflow_args
from worker.interpreter import versions
from worker.interpreter.cancellation import STOPPED
from worker.interpreter.child_starts import start_child, stop_child, stops_with_reason
from worker.interpreter.events import format_time
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import execution_details, execution_summary, step_label
from worker.interpreter.steps.backoff import retry_backoff
from worker.interpreter.steps.base import StepOutcome, StepRun
from worker.interpreter.steps.service_params import service_params
from worker.naming import EXECUTION_NAME, FLOW_ID, FLOW_NAME, join_workflow_id, workflow_id

if TYPE_CHECKING:
    from worker.interpreter.sequence import Interpreter

FLOW_NOT_EXISTS = "fnf.FlowNotExists"
EXECUTION_ALREADY_EXISTS = "fnf.ExecutionAlreadyExists"
INVALID_ARGUMENT = "fnf.InvalidArgument"
CHECK_CHILD_NAME = "subflow-execution-name-grammar"
"""Marks executions that check serviceParams.ExecutionName against the name grammar before
starting the child; older histories started children under any name and replay that way."""
CHILD_NAME_IS_TEXT = "subflow-execution-name-is-a-string"
"""Marks executions that refuse a serviceParams.ExecutionName that is not a string (a number,
a boolean, an object, a list) instead of starting the child under its Python str(); older
histories started such children (or, for 0, false and empty values, a random name) and
replay that way."""
SUBFLOW_DEPTH_PATCH = "subflow-depth-bounded"
"""Marks executions that refuse to start a sub-flow deeper than MAX_SUBFLOW_DEPTH; older
histories started children at any depth and replay that way. Asked only at that depth, so
other runs carry no marker."""
MAX_SUBFLOW_DEPTH = 100
"""Sub-flows nest at most this deep. A flow that starts itself (directly or through others)
without an end otherwise starts children for ever: each level is started as fast as a
StopExecution's cancellation travels down, so the stop never reached the newest child and the
execution stayed Running while the chain grew by about ten executions a second. FnF
documents no depth (it has an account quota of 10,000 running executions); 100 levels is far
beyond a flow's own structure and ends a runaway chain within seconds."""
CHECK_CHILD_INPUT = "subflow-input-json-value-check"
"""Marks executions that pass a child's input through the one JSON value check before starting
it; older histories started children with any input and replay that way."""
PARENT_STEP = "subflow-memo-names-parent-step"
"""Marks executions whose children carry PARENT_STEP_MEMO; older histories started children
without a memo and replay that way."""
PARENT_STEP_MEMO = "parentStep"
"""The child's memo key naming the visit that started it: `entered`, the EventId of the
parent's StepEntered (unique in the parent's run chain, or in a part run's own history),
`path` and `step`, where the step runs (`Both#1` and `Call`), and `attempt` (1, 2, ... one per
FDL retry)."""


class SubflowTask:
    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        policies: list[RetryNode] = node.get("retry", [])
        counters: list[int] = []
        retries = 0
        while True:
            scheduled = run.record("TaskScheduled", {"resourceArn": node["resource"]["arn"]})
            run.record("TaskStarted", {}, scheduled)
            try:
                output = await self.attempt(node, value, run, attempt=retries + 1)
            except StepFailure as failure:
                failed = {"error": failure.error, "cause": failure.cause}
                run.record("TaskFailed", failed, scheduled)
                decision = next_retry(policies, counters, failure.error)
                if decision is None:
                    raise StepFailure(failure.error, failure.cause, retry_count=retries) from None
                counters = count_retry(counters, decision, len(policies))
                retries += 1
                await retry_backoff(run, failure.error, retries + 1, decision.delay_seconds)
                continue
            run.record("TaskSucceeded", {"output": output}, scheduled)
            return StepOutcome(local=output)

    async def attempt(
        self, node: StepNode, value: dict[str, Any], run: StepRun, attempt: int = 1
    ) -> Any:
        """One attempt: start the child (`attempt` counts this visit's attempts from 1)."""
        flow = node["resource"]["flow"]
        facts = run.interpreter.facts
        graph = facts.flows.get(flow)
        if graph is None:
            raise StepFailure(FLOW_NOT_EXISTS, f"flow {flow} does not exist")
        interpreter = run.interpreter
        params = service_params(node, value, run.context) or {}
        given = params.get("ExecutionName")
        if not isinstance(given, str | None) and versions.patched(CHILD_NAME_IS_TEXT):
            raise StepFailure(INVALID_ARGUMENT, _not_text(given))
        name = str(given or workflow.uuid4())
        if not EXECUTION.is_valid(name) and versions.patched(CHECK_CHILD_NAME):
            raise StepFailure(
                INVALID_ARGUMENT, EXECUTION.explain(name, "serviceParams.ExecutionName")
            )
        child_input = params.get("Input", value)
        if not isinstance(child_input, dict):
            raise StepFailure(RUNTIME_ERROR, "serviceParams.Input must be a JSON object")
        refused = _refused_input(node["name"], child_input)
        if refused is not None and versions.patched(CHECK_CHILD_INPUT):
            raise StepFailure(INVALID_ARGUMENT, refused)
        depth = interpreter.parts.template.subflow_depth if interpreter.parts else 0
        if depth >= MAX_SUBFLOW_DEPTH and versions.patched(SUBFLOW_DEPTH_PATCH):
            raise StepFailure(RUNTIME_ERROR, _too_deep(flow, depth))
        child = child_run(interpreter, flow, graph, child_input, name)
        memo = _parent_step(run, attempt)
        if node.get("pattern") == "sync":
            child.report_stop_to_parent = interpreter.cancels_cleanly
            return await _run_child(
                child, wait=True, interpreter=interpreter, step=node["name"], memo=memo
            )
        started = workflow.now()
        await _run_child(child, wait=False, interpreter=interpreter, step=node["name"], memo=memo)
        return {
            "Name": name,
            "FlowName": flow,
            "Status": "Running",
            "StartedTime": format_time(started),
        }


def child_run(
    interpreter: Interpreter, flow: str, graph: Any, child_input: dict[str, Any], name: str
) -> FlowRun:
    """The sub-flow's FlowRun: the parent's pinned settings (the data limit, continue-as-new,
    attempt reports, work per activation, batches, handovers), as part runs get them
    (worker/interpreter/parts.py), and, when the parent's definition is pinned by reference,
    that reference with the sub-flow's name instead of its graph and every sub-flow's graph
    inline (worker/definitions.py). Runs on their pre-patch path have no part template and
    start children as they always did, with the defaults of the settings."""
    facts = interpreter.facts
    parts = interpreter.parts
    if parts is None:
        return FlowRun(
            graph=graph,
            input=child_input,
            flow_name=flow,
            execution_name=name,
            flows=facts.flows,
            heartbeat_timeout=facts.heartbeat_timeout,
            step_data_limit=facts.step_data_limit,
        )
    pinned = parts.template
    depth = pinned.subflow_depth + 1
    if pinned.definition_ref:
        return replace(
            pinned,
            input=child_input,
            flow_name=flow,
            execution_name=name,
            definition_flow=flow,
            subflow_depth=depth,
        )
    return replace(
        pinned,
        graph=graph,
        input=child_input,
        flow_name=flow,
        execution_name=name,
        flows=facts.flows,
        definition="",
        definition_flow="",
        subflow_depth=depth,
    )


def _too_deep(flow: str, depth: int) -> str:
    return (
        f"sub-flow {flow} would run {depth + 1} sub-flow levels deep; sub-flows nest at most "
        f"{MAX_SUBFLOW_DEPTH} levels (does a flow start itself without an end?)"
    )


def _parent_step(run: StepRun, attempt: int) -> dict[str, Any] | None:
    """The child's memo naming the visit and attempt that starts it (PARENT_STEP_MEMO), for
    runs that have PARENT_STEP."""
    if not versions.patched(PARENT_STEP):
        return None
    where = {
        "entered": run.entered_id,
        "path": run.interpreter.path,
        "step": run.node["name"],
        "attempt": attempt,
    }
    return {PARENT_STEP_MEMO: where}


def _not_text(given: Any) -> str:
    """Why a non-string ExecutionName is refused. An execution name is a string of the name
    grammar (StartExecution's ExecutionName is a String, API 2019-03-15): `123` or `true`
    names no execution, and turning it into one (`True`, `{'a': 1}`) would start a child under
    a name nobody asked for. Absent or null still means a random name."""
    shown = json.dumps(given, ensure_ascii=False, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    kind = {bool: "a boolean", int: "a number", float: "a number", dict: "an object"}
    return (
        f"serviceParams.ExecutionName must be a string (an execution name: "
        f"{EXECUTION.rule}), got {kind.get(type(given), 'a list')} {shown}"
    )


def _refused_input(step: str, child_input: dict[str, Any]) -> str | None:
    """Why the child's input may not enter an execution, else None. A sub-flow's input is a
    door like StartExecution's Input (translator/json_values.py): the step input a mapping
    built can nest deeper than the limit (each mapping target adds a level), and an execution
    started on Temporal directly, past every API door, may carry a lone surrogate or NaN, which
    the child would hold where no reader of its input or history can take it back. The size
    needs no check here: the step's input, which the child's input is or is part of, was held to
    the same per-event quota (or payload bound) when the step was entered."""
    try:
        check_json_value(child_input, f"step {step}: the sub-flow's input")
    except JsonValueError as refused:
        return str(refused)
    return None


async def _run_child(
    child: FlowRun,
    wait: bool,
    interpreter: Interpreter,
    step: str,
    memo: dict[str, Any] | None = None,
) -> Any:
    if EXECUTION.is_valid(child.execution_name):
        child_id = workflow_id(child.flow_name, child.execution_name)
    else:  # only when replaying a history from before CHECK_CHILD_NAME
        child_id = join_workflow_id(child.flow_name, child.execution_name)

    def start() -> Awaitable[workflow.ChildWorkflowHandle[Any, Any]]:
        return workflow.start_child_workflow(
            "FnFFlow",
            args=workflow_args(child),
            id=child_id,
            result_type=dict,
            parent_close_policy=ParentClosePolicy.TERMINATE if wait else ParentClosePolicy.ABANDON,
            search_attributes=_inherited_search_attributes(child),
            memo=memo,
            execution_timeout=EXECUTION_TIMEOUT,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=execution_summary(child.flow_name, child.execution_name),
            static_details=execution_details(
                child.flow_name,
                child.execution_name,
                child.input,
                f"**Started by** {workflow.info().workflow_id}, step "
                f"{step_label(step, interpreter.path)}",
            ),
        )

    try:
        if interpreter.cancels_cleanly:
            handle = await start_child(start, interpreter.scope)
        else:
            handle = await start()
    except WorkflowAlreadyStartedError:
        raise StepFailure(
            EXECUTION_ALREADY_EXISTS, f"execution {child.execution_name} already exists"
        ) from None
    if not wait:
        return None
    doing = f"task {step_label(step, interpreter.path)}: waiting for sub-flow {child_id}"
    try:
        with interpreter.details.doing(doing):
            if interpreter.cancels_cleanly and stops_with_reason():
                return await _awaited(handle, interpreter)
            return await handle
    except ChildWorkflowError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type:
            raise StepFailure(cause.type, _child_cause(cause)) from None
        if interpreter.cancels_cleanly:
            _raise_if_stopped(child_id, error, interpreter)
        raise StepFailure(RUNTIME_ERROR, f"sub-flow {child_id} ended: {cause or error}") from None


async def _awaited(handle: workflow.ChildWorkflowHandle[Any, Any], interpreter: Interpreter) -> Any:
    """The child's result. Cancelled meanwhile (a stop, a failed sibling), the child is
    cancelled with the reason, which its ExecutionStopped records, and awaited until it ended."""
    try:
        return await asyncio.shield(handle)
    except asyncio.CancelledError:
        await stop_child(handle, interpreter.scope)
        raise


def _child_cause(failure: ApplicationError) -> str:
    """The cause a failed sub-flow hands its parent's task: what the child's failure message
    was before it named the failed step (its cause, else its error), read from the details."""
    detail = failure.details[0] if failure.details else None
    if isinstance(detail, dict) and "step" in detail:
        return str(detail.get("cause") or detail.get("error") or "the flow failed")
    return failure.message


def _raise_if_stopped(child_id: str, error: ChildWorkflowError, interpreter: Interpreter) -> None:
    """A cancelled child: this step's own cancellation when the parent is stopping or a
    sibling failed (the parent cancelled the child); otherwise the child was stopped on its own
    and the task fails with the stop's Error. A terminated child counts as stopped."""
    if is_cancelled_exception(error):
        if interpreter.scope.cancelling():
            raise asyncio.CancelledError() from None
        stop = interpreter.child_stops.pop(child_id, None)
        if stop is None:
            raise StepFailure(STOPPED, f"sub-flow {child_id} was stopped") from None
        raise StepFailure(stop.error or STOPPED, stop.cause) from None
    if isinstance(error.cause, TerminatedError):
        raise StepFailure(STOPPED, f"sub-flow {child_id} was terminated") from None


def _inherited_search_attributes(child: FlowRun) -> Any:
    """Children carry the flow and execution name attributes when their parent does (the
    cluster has them registered). The parent's FnFFlowId names the parent flow's incarnation,
    not the child's, so it is not passed on: a child without one belongs to its flow's
    incarnation by start time (api/services/incarnation.py). Parents started before
    FnFFlowId existed have none, so their replays issue the same command as before."""
    parent = workflow.info().typed_search_attributes
    if parent.get(FLOW_NAME) is None:
        return None
    kept = [pair for pair in parent.search_attributes if pair.key.name != FLOW_ID.name]
    return TypedSearchAttributes(kept).updated(
        SearchAttributePair(FLOW_NAME, child.flow_name),
        SearchAttributePair(EXECUTION_NAME, child.execution_name),
    )
