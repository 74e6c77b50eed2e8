"""A task's activity call: functions, `action:` APIs and MNS queues/topics.

The activity retries the FDL way (worker/activities/attempts.py) and reports its attempts as
they happen (worker/interpreter/attempt_reports.py) and all of them with its final outcome;
this module turns those attempts into the Task* events of the FnF history and a failure into
a StepFailure for the sequence's catch.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

from translator.graph import StepNode
from worker.activities.requests import (
    ACTIVITY_FOR_KIND,
    AttemptRecord,
    TaskRequest,
    attempt_record_of,
    compact,
    task_result_of,
)
from worker.interpreter.attempt_reports import TaskAttempts, record_starts
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import clock, step_label, task_summary
from worker.interpreter.steps.base import StepRun
from worker.interpreter.steps.local_activity_call import call_local_activity
from worker.interpreter.steps.service_params import service_params

TASK_QUEUE_PATCH = "task-queue-per-function"
"""Patch id: runs that schedule each function's activity on its registry `taskQueue` (the
queue is an attribute of the ScheduleActivityTask command, so runs before it keep theirs), and
whose waitForCallback tasks on functions ask the registry too. Checked once when a run starts
(Interpreter.routes_tasks): a `workflow.patched` call right after a local activity that
outlived its workflow task does not replay (the marker lands in the next workflow task, and
replay asks before it sees it)."""

LONGEST_ATTEMPT_SECONDS = 86400
"""FC's longest function timeout: an attempt with no timeoutSeconds is bounded by it."""

INFRASTRUCTURE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
)
"""Retries Temporal decides alone: an attempt lost with its worker. FDL errors always carry
their own decision (non_retryable or next_retry_delay), so this never retries a function error."""


async def call_activity(
    node: StepNode,
    value: dict[str, Any],
    run: StepRun,
    succeeded: str = "TaskSucceeded",
    failed: str = "TaskFailed",
    may_run_locally: bool = False,
) -> Any:
    """Run the task's activity; record its attempts; its output, or a StepFailure. A function
    task (`may_run_locally`) runs as local activities when the worker's registry says so;
    TaskScheduled is written first either way, so the events keep their order."""
    request = task_request(node, value, run)
    request.output_limit = run.interpreter.facts.step_data_limit
    request.output_event = succeeded
    scheduled = run.record("TaskScheduled", _scheduled_detail(node, value))
    task_queue = None
    routes = run.interpreter.routes_tasks
    if may_run_locally or (routes and node["resource"]["kind"] == "fc"):
        mode = await run.interpreter.local_functions.mode_of(node["resource"], routes)
        if may_run_locally and mode.local_activity:
            return await call_local_activity(node, value, run, mode, request, scheduled)
        task_queue = mode.task_queue if routes else None
    kinds = (succeeded, failed)
    _follow_reports(run, node, value, request, scheduled, kinds)
    path = run.interpreter.path
    verb = "submitting to" if succeeded == "TaskSubmitted" else "calling"
    doing = f"task {step_label(node['name'], path)}: {verb} {node['resource']['arn']} "
    doing += f"since {clock(workflow.now())}"
    try:
        with run.interpreter.details.doing(doing):
            returned = await workflow.execute_activity(
                ACTIVITY_FOR_KIND[node["resource"]["kind"]],
                compact(request),
                result_type=dict,
                start_to_close_timeout=_attempt_bound(node),
                heartbeat_timeout=timedelta(seconds=run.interpreter.facts.heartbeat_timeout),
                retry_policy=INFRASTRUCTURE_RETRY,
                task_queue=task_queue,
                summary=_summary(node, path, task_queue),
            )
    except ActivityError as error:
        if is_cancelled_exception(error) and run.interpreter.cancels_cleanly:
            # Cancelled by a stop or a failed sibling: not a task failure, so no retry or
            # catch may act on it (worker/interpreter/cancellation.py). The attempt's reports
            # end here: the step's StepFailed closes it, and nothing records after that.
            run.interpreter.attempt_reports.close(scheduled)
            raise asyncio.CancelledError() from None
        failure = _step_failure(error)
        earlier, attempts = _ledger_of(error.cause)
        record_attempts(run, node, value, scheduled, attempts, None, kinds, earlier)
        raise failure from None
    result = task_result_of(returned)
    attempts = result.attempts
    record_attempts(run, node, value, scheduled, attempts, result.output, kinds, result.earlier)
    return result.output


def _summary(node: StepNode, path: str, task_queue: str | None) -> str:
    """What a pending activity shows in the Web UI (and in its ActivityTaskScheduled event):
    the step, what it calls and its FDL retry, and the queue when it is not the execution's
    own, so a task no worker polls says which pool it waits for."""
    text = task_summary(node, path)
    return text if task_queue is None else f"{text} on task queue {task_queue}"


def task_request(node: StepNode, value: dict[str, Any], run: StepRun) -> TaskRequest:
    facts = run.interpreter.facts
    timeout = node.get("timeoutSeconds")
    return TaskRequest(
        # Empty parts of the ARN (region, account, qualifier) are left out: readers use .get.
        resource={key: part for key, part in node["resource"].items() if part not in ("", None)},
        payload=value,
        params=service_params(node, value, run.context),
        retry=[dict(policy) for policy in node.get("retry", [])],
        timeout_seconds=None if timeout is None else float(timeout),
        flow=facts.flow_name,
        execution=facts.execution_name,
        step=node["name"],
        path=run.interpreter.path,
    )


def record_attempts(
    run: StepRun,
    node: StepNode,
    value: dict[str, Any],
    scheduled: int,
    attempts: list[AttemptRecord],
    output: Any = None,
    kinds: tuple[str, str] = ("TaskSucceeded", "TaskFailed"),
    earlier: int = 0,
) -> None:
    """Task events per attempt: those its reports have not already recorded (a run that takes
    attempt reports), or all of them at once (a run started before reports existed).
    `attempts[0]` is attempt `earlier + 1`."""
    followed = run.interpreter.attempt_reports.close(scheduled)
    if followed is not None:
        followed.finished(attempts, output, earlier)
        return
    _record_all_attempts(run, node, value, scheduled, attempts, output, kinds, earlier)


def _follow_reports(
    run: StepRun,
    node: StepNode,
    value: dict[str, Any],
    request: TaskRequest,
    scheduled: int,
    kinds: tuple[str, str],
) -> None:
    """Let the activity report its attempts as they happen (when this run takes reports)."""
    task = TaskAttempts(run, node, value, kinds, scheduled)
    reports = run.interpreter.attempt_reports
    reports.follow(request, task, run.interpreter.facts.attempt_report_after)


def _record_all_attempts(
    run: StepRun,
    node: StepNode,
    value: dict[str, Any],
    scheduled: int,
    attempts: list[AttemptRecord],
    output: Any,
    kinds: tuple[str, str],
    earlier: int,
) -> None:
    """Runs started before attempt reports: every attempt from the final ledger. A retry's
    TaskScheduled carries Temporal's time for scheduling it."""
    for number, attempt in enumerate(attempts, earlier):
        if number > earlier:
            detail = _scheduled_detail(node, value)
            retried_at = attempt.scheduled or attempts[number - earlier - 1].ended
            scheduled = run.record("TaskScheduled", detail, time=retried_at)
        record_starts(run, number + 1, scheduled, attempt)
        if attempt.error is None:
            run.record(kinds[0], {"output": output}, scheduled, time=attempt.ended)
        else:
            kind = "TaskTimedOut" if attempt.timed_out else kinds[1]
            failed = {"error": attempt.error, "cause": attempt.cause}
            run.record(kind, failed, scheduled, time=attempt.ended)


def _scheduled_detail(node: StepNode, value: dict[str, Any]) -> dict[str, Any]:
    return {"resourceArn": node["resource"]["arn"], "input": value}


def _attempt_bound(node: StepNode) -> timedelta:
    """Temporal's own per-attempt limit, past the step's: the activity enforces timeoutSeconds
    itself so that FnF.TaskTimeout stays an FDL error that retry and catch see."""
    timeout = node.get("timeoutSeconds") or LONGEST_ATTEMPT_SECONDS
    return timedelta(seconds=timeout + 60)


def _step_failure(error: ActivityError) -> StepFailure:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type:
        earlier, attempts = _ledger_of(cause)
        retries = earlier + len(attempts) - 1
        return StepFailure(cause.type, cause.message, retry_count=max(retries, 0))
    return StepFailure(RUNTIME_ERROR, f"the task activity failed: {cause or error}")


def _ledger_of(cause: BaseException | None) -> tuple[int, list[AttemptRecord]]:
    """The ledger the activity attached to its final failure (see attempts.py): the number of
    attempts it left out, and the rest."""
    if not isinstance(cause, ApplicationError) or not cause.details:
        return 0, []
    ledger = cause.details[0]
    if not isinstance(ledger, dict):
        return 0, []
    earlier = ledger.get("earlier", 0)
    return earlier if isinstance(earlier, int) else 0, [
        attempt_record_of(record)
        for record in ledger.get("attempts", [])
        if isinstance(record, dict)
    ]
