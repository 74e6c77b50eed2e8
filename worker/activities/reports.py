"""Attempt reports: a task activity tells its own execution about an attempt as it happens.

Temporal shows the workflow nothing of an activity until its final outcome, yet FnF's history
has TaskStarted when a call starts and TaskFailed/TaskScheduled for each retry when it happens
(DESIGN 9). So the activity signals its execution (`activity.client()`, the run in
`activity.info()`):

- the attempt's start, with its true start time, once it has run `report_after` seconds: a fast
  attempt's start arrives with its end instead, since every signal costs a workflow task;
- each failure that a retry follows (rare, and followed by a backoff the history should show).

Reports are best effort: the final result or failure still carries the whole ledger, and the
workflow records from it whatever no report brought (worker/interpreter/attempt_reports.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from temporalio import activity

from worker.activities.requests import ATTEMPT_SIGNAL, AttemptRecord, AttemptReport, TaskRequest


@dataclass(frozen=True)
class AttemptReporter:
    """Reports attempt `attempt` of the task whose first TaskScheduled is `task` (0: never)."""

    task: int
    attempt: int
    report_after: float

    @classmethod
    def of(cls, request: TaskRequest, attempt: int) -> AttemptReporter:
        return cls(request.task_event_id, attempt, request.report_after)

    @contextlib.asynccontextmanager
    async def start_reported(self, record: AttemptRecord) -> AsyncIterator[None]:
        """Report `record`'s start if the body is still running after `report_after`."""
        if not self.task:
            yield
            return
        started = replace(record)  # its start only, whatever the attempt sets later

        async def report_later() -> None:
            await asyncio.sleep(self.report_after)
            await self.report(started)

        reporting = asyncio.create_task(report_later())
        try:
            yield
        finally:
            reporting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporting

    async def report(self, record: AttemptRecord) -> None:
        """Signal the attempt to its execution; a lost report is made up by the ledger."""
        info = activity.info()
        if not self.task or info.workflow_id is None:
            return
        handle = activity.client().get_workflow_handle(
            info.workflow_id, run_id=info.workflow_run_id
        )
        try:
            await handle.signal(ATTEMPT_SIGNAL, AttemptReport(self.task, self.attempt, record))
        except Exception as failure:  # the ledger still carries the attempt
            activity.logger.warning("attempt report not delivered: %s", failure)
