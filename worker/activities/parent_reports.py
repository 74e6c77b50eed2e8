"""CallbackFnFTaskToken: when an execution started with a task token ends, it reports its
result to that task, as FnF does (a parent flow's waitForCallback task waiting on a child)."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from worker.callbacks.client import ReportRefused, report_task
from worker.callbacks.reports import TASK_ALREADY_COMPLETED, TaskReport

REPORT_PARENT_TASK = "ReportParentTask"


@activity.defn(name=REPORT_PARENT_TASK)
async def report_parent_task(report: TaskReport) -> int:
    """The EventId recorded by the waiting task; 0 when it had already completed."""
    try:
        return await report_task(activity.client(), report)
    except ReportRefused as refused:
        if refused.code == TASK_ALREADY_COMPLETED:
            return 0
        raise ApplicationError(refused.message, type=refused.code, non_retryable=True) from None
