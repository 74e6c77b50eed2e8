"""A function task run as Temporal local activities (registry `localActivity: true`).

A local activity runs in the worker that runs the workflow task, and Temporal records only its
result (a marker), with no task-queue round trip and no activity events: about a sixth of a
regular activity's server work. It cannot heartbeat and has no heartbeat details, so the FDL
retries run here, one local activity per FDL attempt: the activity decides each retry from the
counters the workflow hands it (DESIGN 7, worker/activities/attempts.py), and the backoff is a
durable timer. The FnF history is the one a regular task writes: TaskScheduled, TaskStarted
(its true start time), TaskSucceeded | TaskFailed | TaskTimedOut per attempt, and the retry's
TaskScheduled right after a failure, before the backoff (attempt_reports.py).

A start that Temporal runs again because it outlived its start-to-close bound is shown as a
restart. A worker lost during a local activity leaves nothing in Temporal's history: the
workflow task times out and the next worker calls the function again, the same FDL attempt with
the same request id (at least once), with a single TaskStarted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, is_cancelled_exception

from translator.graph import StepNode
from worker.activities.requests import (
    INVOKE_FUNCTION_LOCAL,
    FunctionMode,
    LocalAttempt,
    LocalAttemptResult,
    TaskRequest,
    compact,
    local_attempt_result_of,
)
from worker.interpreter.attempt_reports import record_starts
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import clock, step_label, task_summary
from worker.interpreter.steps.backoff import retry_backoff
from worker.interpreter.steps.base import StepRun

BOUND_MARGIN_SECONDS = 10.0
"""Temporal's start-to-close bound of a local attempt, past the call's own bounds (the step's
timeoutSeconds and the function's timeout, which give FDL errors retry and catch see)."""

LOCAL_INFRASTRUCTURE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
)
"""Retries Temporal decides alone: a start that outlived its bound. An FDL failure is a result,
never an activity failure, so this never retries a function error."""


async def call_local_activity(
    node: StepNode,
    value: dict[str, Any],
    run: StepRun,
    mode: FunctionMode,
    request: TaskRequest,
    scheduled: int,
) -> Any:
    """Run the task's FDL attempts as local activities, the first one scheduled by event
    `scheduled`; record them; its output, or a StepFailure."""
    detail = {"resourceArn": node["resource"]["arn"], "input": value}
    attempt = LocalAttempt(request, 1)
    while True:
        result = await _attempt(attempt, _bound(node, mode), run)
        record = result.record
        record_starts(run, attempt.attempt, scheduled, record)
        if record.error is None:
            run.record("TaskSucceeded", {"output": result.output}, scheduled, record.ended)
            return result.output
        kind = "TaskTimedOut" if record.timed_out else "TaskFailed"
        run.record(kind, {"error": record.error, "cause": record.cause}, scheduled, record.ended)
        if result.retry_after is None:
            raise StepFailure(record.error, record.cause or "", retry_count=attempt.attempt - 1)
        scheduled = run.record("TaskScheduled", detail)
        if result.retry_after > 0:
            await retry_backoff(run, record.error, attempt.attempt + 1, result.retry_after)
        attempt = LocalAttempt(request, attempt.attempt + 1, result.counters)


async def _attempt(attempt: LocalAttempt, bound: timedelta, run: StepRun) -> LocalAttemptResult:
    node, path = run.node, run.interpreter.path
    doing = f"task {step_label(node['name'], path)}: attempt {attempt.attempt} of "
    doing += f"{node['resource']['arn']} since {clock(workflow.now())} (local activity)"
    try:
        with run.interpreter.details.doing(doing):
            returned = await workflow.execute_local_activity(
                INVOKE_FUNCTION_LOCAL,
                compact(attempt),
                result_type=dict,
                start_to_close_timeout=bound,
                retry_policy=LOCAL_INFRASTRUCTURE_RETRY,
                summary=task_summary(node, path, attempt.attempt),
            )
    except ActivityError as error:
        if is_cancelled_exception(error) and run.interpreter.cancels_cleanly:
            # Cancelled by a stop or a failed sibling: the step's StepFailed closes the task.
            raise asyncio.CancelledError() from None
        cause = error.cause or error
        raise StepFailure(RUNTIME_ERROR, f"the task activity failed: {cause}") from None
    return local_attempt_result_of(returned)


def _bound(node: StepNode, mode: FunctionMode) -> timedelta:
    timeout = node.get("timeoutSeconds")
    seconds = mode.timeout if timeout is None else min(float(timeout), mode.timeout)
    return timedelta(seconds=seconds + BOUND_MARGIN_SECONDS)
