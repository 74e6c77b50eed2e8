"""FnFFlow: the one generic Temporal workflow that interprets every FDL flow (DESIGN 3)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from translator.expressions import Scopes, evaluate_mappings
    from translator.graph import FlowGraph, StepNode, check_format
    from worker.activities.parent_reports import REPORT_PARENT_TASK
    from worker.activities.requests import ATTEMPT_SIGNAL, AttemptReport
    from worker.callbacks.reports import REPORT_UPDATE, ReportAccepted, TaskReport
    from worker.execution import (
        STOP_SIGNAL,
        FlowRun,
        HistoryRequest,
        Resumption,
        StopRequest,
    )
    from worker.interpreter.attempt_reports import AttemptReports
    from worker.interpreter.callbacks import Callbacks
    from worker.interpreter.context import ExecutionFacts
    from worker.interpreter.events import EventLog
    from worker.interpreter.failures import StepFailure
    from worker.interpreter.sequence import Interpreter

WORKFLOW_NAME = "FnFFlow"

EVENTS_AS_THEY_HAPPEN = "fnf-events-as-they-happen"
"""The patch of runs that record task attempts as their activity reports them and hold each
event's data to the per-event quota; runs started before it keep recording attempts at the
end and charging a step's input, output and local together."""

__all__ = ["WORKFLOW_NAME", "FlowRun", "FnFFlow"]


@workflow.defn(name=WORKFLOW_NAME)
class FnFFlow:
    @workflow.init
    def __init__(self, run: FlowRun) -> None:
        # Set before any handler runs: after a worker restart, a queued report is validated
        # while the history is replayed, before `run` has executed a line.
        self._log = EventLog()
        self._callbacks = Callbacks()
        self._attempt_reports = AttemptReports()
        self._facts = ExecutionFacts(
            run.flow_name,
            run.execution_name,
            run.flows,
            run.heartbeat_timeout,
            run.step_data_limit,
            run.attempt_report_after,
        )
        self._stop: StopRequest | None = None
        if run.resumption is not None:
            self._log.first_id = run.resumption.next_event_id
            self._log.last_time = run.resumption.last_event_time
            self._callbacks.closed = list(run.resumption.closed_tokens)

    @workflow.signal(name=STOP_SIGNAL)
    def stop(self, stop: StopRequest) -> None:
        """StopExecution's error and cause; the cancellation that follows ends the run."""
        self._stop = stop

    @workflow.signal(name=ATTEMPT_SIGNAL)
    def attempt_reported(self, report: AttemptReport) -> None:
        """A task activity's attempt, as it happens (worker/activities/reports.py); taken only
        for the open attempt of a task still waiting on its activity."""
        self._attempt_reports.take(report)

    @workflow.update(name=REPORT_UPDATE)
    async def report_task(self, report: TaskReport) -> ReportAccepted:
        """ReportTaskSucceeded/ReportTaskFailed: the waiting task takes the report."""
        waiting = self._callbacks.deliver(report, self._facts)
        await workflow.wait_condition(lambda: waiting.event_id is not None)
        return ReportAccepted(event_id=waiting.event_id or 0)

    @report_task.validator
    def check_report(self, report: TaskReport) -> None:
        """Refuse a bad, stale or second report before it reaches history (exactly once)."""
        self._callbacks.check(report, self._facts)

    @workflow.query(name="history")
    def history(self, request: HistoryRequest | None = None) -> dict[str, Any]:
        """A page of this run's events, where the run's numbering ends (`nextEventId`) and the
        run before it, so readers can walk the runs continue-as-new chained together."""
        asked = request or HistoryRequest()
        return {
            "firstEventId": self._log.first_id,
            "nextEventId": self._log.next_id(),
            "events": self._log.page(asked.from_event_id, asked.limit, asked.max_bytes),
            "previousRunId": workflow.info().continued_run_id,
        }

    @workflow.run
    async def run(self, run: FlowRun) -> dict[str, Any]:
        graph: FlowGraph = check_format(run.graph)  # type: ignore[arg-type]
        interpreter = self._interpreter(run)
        try:
            resumption = run.resumption or self._start(graph, run)
            local = await self._run_root(graph["steps"], interpreter, resumption, run)
            output = _mapped(graph["outputMappings"], resumption.flow_input, local, default=local)
            self._log.record("ExecutionSucceeded", detail={"output": output})
        except StepFailure as failure:
            self._log.record(
                "ExecutionFailed",
                detail={"error": failure.error, "cause": failure.cause},
                checked=False,
            )
            await _report_parent(run, TaskReport(run.callback_token, False, "", *_named(failure)))
            raise execution_failed(failure.error, failure.cause) from None
        except asyncio.CancelledError:
            stop = self._stop or StopRequest("", "the execution was cancelled")
            self._log.record("ExecutionStopped", detail={"error": stop.error, "cause": stop.cause})
            stopped = TaskReport(run.callback_token, False, "", stop.error or "Stopped", stop.cause)
            await _report_parent(run, stopped)
            raise
        await _report_parent(run, TaskReport(run.callback_token, True, json.dumps(output)))
        return output

    def _interpreter(self, run: FlowRun) -> Interpreter:
        """The interpreter, behaving as the run's version of the code did (see the patch)."""
        current = workflow.patched(EVENTS_AS_THEY_HAPPEN)
        if current:
            self._log.data_limit = run.step_data_limit
            self._attempt_reports.enabled = True
        return Interpreter(
            self._facts,
            self._log,
            self._callbacks,
            self._attempt_reports,
            budget_per_step=not current,
        )

    def _start(self, graph: FlowGraph, run: FlowRun) -> Resumption:
        self._log.record("ExecutionStarted", detail={"input": run.input})
        flow_input = _mapped(graph["inputMappings"], run.input, {}, default=run.input)
        return Resumption(0, {}, flow_input, next_event_id=1)

    async def _run_root(
        self,
        steps: list[StepNode],
        interpreter: Interpreter,
        at: Resumption,
        run: FlowRun,
    ) -> dict[str, Any]:
        """The root sequence, step by step, handing over to a new run between steps when the
        history grows long (DESIGN 10). Nested sequences never hand over mid-way."""
        local, position = at.local, (at.position if steps else None)
        progressed = False
        while position is not None:
            if progressed and _history_is_long(run):
                await workflow.wait_condition(workflow.all_handlers_finished)
                carried = Resumption(
                    position,
                    local,
                    at.flow_input,
                    self._log.next_id(),
                    self._callbacks.closed,
                    self._log.last_time,
                )
                workflow.continue_as_new(replace(run, resumption=carried))
            local, position = await interpreter.run_step(steps[position], at.flow_input, local)
            progressed = True
        return local


async def _report_parent(run: FlowRun, report: TaskReport) -> None:
    """Tell the task that started this execution (CallbackFnFTaskToken) how it ended."""
    if not run.callback_token:
        return
    await workflow.execute_activity(
        REPORT_PARENT_TASK,
        report,
        result_type=int,
        start_to_close_timeout=timedelta(minutes=1),
        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
    )


def _named(failure: StepFailure) -> tuple[str, str]:
    """ReportTaskFailed needs an error name; a `fail` step may have left it empty."""
    return failure.error or "FnF.Failed", failure.cause


def execution_failed(error: str, cause: str) -> ApplicationError:
    """The workflow's failure. Details keep error and cause exactly (Temporal drops an empty
    type and replaces an empty message); the message is what the Temporal UI shows."""
    return ApplicationError(
        cause or error or "the flow failed",
        {"error": error, "cause": cause},
        type=error or None,
        non_retryable=True,
    )


def _history_is_long(run: FlowRun) -> bool:
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() >= run.continue_as_new_at
    )


def _mapped(
    mappings: Any, value: dict[str, Any], local: dict[str, Any], default: dict[str, Any]
) -> dict[str, Any]:
    """Flow-level mappings: exactly the mapped object when present (even if empty)."""
    if mappings is None:
        return default
    return evaluate_mappings(mappings, Scopes(input=value, local=local, context={}))
