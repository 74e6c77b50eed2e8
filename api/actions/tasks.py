"""ReportTaskSucceeded and ReportTaskFailed: complete a task waiting for its callback."""

from __future__ import annotations

from typing import Any

from api.actions.context import ApiContext
from api.actions.params import Params
from api.services.failures import ServiceError
from worker.callbacks.client import ReportRefused, report_task_failed, report_task_succeeded


async def report_task_succeeded_action(ctx: ApiContext, params: Params) -> dict[str, Any]:
    token, output = params.required("TaskToken"), params.required("Output")
    try:
        return {"EventId": await report_task_succeeded(ctx.client, token, output)}
    except ReportRefused as refused:
        raise ServiceError(refused.code, refused.message) from None


async def report_task_failed_action(ctx: ApiContext, params: Params) -> dict[str, Any]:
    token = params.required("TaskToken")
    error, cause = params.required("Error", max_len=128), params.text("Cause", max_len=4096)
    try:
        return {"EventId": await report_task_failed(ctx.client, token, error, cause)}
    except ReportRefused as refused:
        raise ServiceError(refused.code, refused.message) from None
