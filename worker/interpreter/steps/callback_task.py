"""task with `pattern: waitForCallback`: submit the work with a task token, then wait durably
until ReportTaskSucceeded/ReportTaskFailed arrives with that token, or timeoutSeconds passes.

Events: TaskScheduled, TaskStarted, TaskSubmitted, then TaskSucceeded | TaskFailed |
TaskTimedOut (FDL 5.5). A failed or timed-out wait goes through the step's retry policies like
any task error; each retry submits again with a fresh token, so that a late report for an
earlier attempt gets TaskAlreadyCompleted instead of completing the new one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

from translator.graph import RetryNode, StepNode
from worker.activities.retry import count_retry, next_retry
from worker.interpreter.callbacks import Waiting, parse_output
from worker.interpreter.failures import TASK_TIMEOUT, StepFailure
from worker.interpreter.legible import step_label, summary, until
from worker.interpreter.steps.activity_call import call_activity
from worker.interpreter.steps.backoff import retry_backoff
from worker.interpreter.steps.base import StepOutcome, StepRun
from worker.interpreter.steps.subflow import SubflowTask


class CallbackTask:
    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        assert run.waiting is not None and run.remap is not None
        callbacks = run.interpreter.callbacks
        policies: list[RetryNode] = node.get("retry", [])
        counters: list[int] = []
        waiting, retries = run.waiting, 0
        while True:
            try:
                output = await self._attempt(node, value, run, waiting, retries + 1)
            except StepFailure as failure:
                callbacks.close(waiting)
                decision = next_retry(policies, counters, failure.error)
                if decision is None:
                    raise StepFailure(failure.error, failure.cause, retry_count=retries) from None
                counters = count_retry(counters, decision, len(policies))
                retries += 1
                await retry_backoff(run, failure.error, retries + 1, decision.delay_seconds)
                secret = await callbacks.mint()
                waiting = callbacks.issue(run.interpreter.facts, run.entered_id, secret)
                value = run.remap(waiting.token.encode())
                continue
            except (Exception, asyncio.CancelledError):  # no report can land any more
                callbacks.close(waiting)
                raise
            callbacks.close(waiting)
            return StepOutcome(local=output)

    async def _attempt(
        self, node: StepNode, value: dict[str, Any], run: StepRun, waiting: Waiting, attempt: int
    ) -> dict[str, Any]:
        if node["resource"]["kind"] == "fnf-flow":
            scheduled = run.record("TaskScheduled", {"resourceArn": node["resource"]["arn"]})
            run.record("TaskStarted", {}, scheduled)
            submitted = await SubflowTask().attempt(node, value, run, attempt)
            run.record("TaskSubmitted", {"output": submitted}, scheduled)
        else:
            await call_activity(node, value, run, "TaskSubmitted", "TaskSubmitFailed")
        return await self._wait(node, run, waiting)

    async def _wait(self, node: StepNode, run: StepRun, waiting: Waiting) -> dict[str, Any]:
        timeout = node.get("timeoutSeconds")
        where = step_label(node["name"], run.interpreter.path)
        doing = (
            f"waiting for a callback to task {where}: ReportTaskSucceeded or ReportTaskFailed "
            f"with the task token of step {node['name']} (StepEntered event "
            f"{waiting.token.step_event_id})"
        )
        doing += f", until {until(timeout)}" if timeout else ", no timeout"
        try:
            with run.interpreter.details.doing(doing):
                await workflow.wait_condition(
                    lambda: waiting.report is not None,
                    timeout=timeout,
                    timeout_summary=summary(f"callback timeout {timeout}s of task {where}"),
                )
        except TimeoutError:
            cause = f"the task was not reported within {timeout} s"
            waiting.event_id = run.record("TaskTimedOut", {"error": TASK_TIMEOUT, "cause": cause})
            raise StepFailure(TASK_TIMEOUT, cause) from None
        report = waiting.report
        assert report is not None
        if report.succeeded:
            output = parse_output(report)
            waiting.event_id = run.record("TaskSucceeded", {"output": output})
            return output
        failed = {"error": report.error, "cause": report.cause}
        waiting.event_id = run.record("TaskFailed", failed)
        raise StepFailure(report.error, report.cause)
