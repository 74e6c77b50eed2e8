"""Complete a waiting task from any process that has a Temporal client (API, CLI, tests).

The answer is synchronous: a Temporal Update whose validator accepts or refuses the report
(DESIGN 8). Temporal allows 10 Updates in flight per execution, so a burst of reports to one
execution (a foreach of callbacks) backs off and retries on resource exhaustion.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from worker.callbacks.ended import issued_by_ended_execution
from worker.callbacks.reports import (
    EXECUTION_NOT_FOUND,
    INVALID_ARGUMENT,
    REFUSAL_CODES,
    REPORT_UPDATE,
    TASK_ALREADY_COMPLETED,
    TASK_INVALID_STATE,
    ReportAccepted,
    TaskReport,
)
from worker.callbacks.tokens import InvalidTaskToken, TaskToken
from worker.naming import workflow_id

UNKNOWN_TOKEN = "no task of this execution has this token"
"""The running execution's own words for a token it did not issue (its report validator)."""
BUSY_RETRIES = 60
BUSY_BACKOFF_SECONDS = 0.05


class ReportRefused(Exception):
    """The report was not taken; `code` is the FnF API error code to answer with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


async def report_task_succeeded(client: Client, token: str, output: str | dict[str, Any]) -> int:
    """ReportTaskSucceeded; returns the EventId of the recorded TaskSucceeded."""
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    return await report_task(client, TaskReport(token=token, succeeded=True, output=text))


async def report_task_failed(client: Client, token: str, error: str, cause: str = "") -> int:
    """ReportTaskFailed; returns the EventId of the recorded TaskFailed."""
    report = TaskReport(token=token, succeeded=False, error=error, cause=cause)
    return await report_task(client, report)


async def report_task(client: Client, report: TaskReport) -> int:
    try:
        token = TaskToken.decode(report.token)
    except InvalidTaskToken as error:
        raise ReportRefused(INVALID_ARGUMENT, str(error)) from None
    handle = client.get_workflow_handle(workflow_id(token.flow, token.execution))
    for attempt in range(BUSY_RETRIES + 1):
        try:
            accepted = await handle.execute_update(
                REPORT_UPDATE, report, result_type=ReportAccepted
            )
        except WorkflowUpdateFailedError as failed:
            raise _refusal(failed.cause, report) from None
        except RPCError as error:
            if error.status == RPCStatusCode.RESOURCE_EXHAUSTED and attempt < BUSY_RETRIES:
                await asyncio.sleep(BUSY_BACKOFF_SECONDS * min(attempt + 1, 20))
                continue
            raise await _rpc_refusal(client, error, report, token) from None
        return int(accepted.event_id)
    raise AssertionError("unreachable")


def _refusal(cause: BaseException | None, report: TaskReport) -> ReportRefused:
    """The validator's own refusals keep their code. Any other failure of the Update (an
    error inside the worker, which Temporal names by its Python class, `AttributeError`) is
    FnF's TaskInvalidState ("please retry"), never a made-up FnF error code."""
    if isinstance(cause, ApplicationError) and cause.type in REFUSAL_CODES:
        return ReportRefused(cause.type or INVALID_ARGUMENT, cause.message)
    if isinstance(cause, ApplicationError):
        return ReportRefused(TASK_INVALID_STATE, "Task is in an invalid state, please retry.")
    return ReportRefused(INVALID_ARGUMENT, f"the report was refused: {cause}")


async def _rpc_refusal(
    client: Client, error: RPCError, report: TaskReport, token: TaskToken
) -> ReportRefused:
    """NOT_FOUND covers both an ended execution and none. For an ended one the token is checked
    against its history (worker/callbacks/ended.py): a token it issued is TaskAlreadyCompleted,
    quoted as issued; any other text is InvalidArgument, which never quotes it back."""
    if error.status != RPCStatusCode.NOT_FOUND:
        raise error
    handle = client.get_workflow_handle(workflow_id(token.flow, token.execution))
    try:
        await handle.describe()
    except RPCError as missing:
        if missing.status != RPCStatusCode.NOT_FOUND:
            raise
        return ReportRefused(
            EXECUTION_NOT_FOUND,
            f"execution {token.execution} of flow {token.flow} does not exist",
        )
    if await issued_by_ended_execution(client, handle.id, token, report.token):
        return ReportRefused(TASK_ALREADY_COMPLETED, f"Task {report.token} has already completed.")
    return ReportRefused(INVALID_ARGUMENT, UNKNOWN_TOKEN)
