"""FnFFlow: the one generic Temporal workflow that interprets every FDL flow (DESIGN 3)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.api.failure.v1 import Failure
from temporalio.common import RetryPolicy
from temporalio.converter import DefaultFailureConverter
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from translator.expressions import Scopes, evaluate_mappings
    from translator.graph import FlowGraph, StepNode, check_format
    from worker.activities.parent_reports import REPORT_PARENT_TASK
    from worker.activities.requests import ATTEMPT_SIGNAL, AttemptReport
    from worker.callbacks.reports import REPORT_UPDATE, ReportAccepted, TaskReport
    from worker.execution import (
        CHILD_STOPPED_SIGNAL,
        STOP_SIGNAL,
        ChildStopped,
        FlowRun,
        HistoryRequest,
        Part,
        Resumption,
        StopRequest,
        flow_run_of,
        workflow_args,
    )
    from worker.interpreter import versions
    from worker.interpreter.activation import Activation
    from worker.interpreter.archive import PROGRESS_SINCE, ArchiveProgress, archive_run
    from worker.interpreter.attempt_reports import AttemptReports
    from worker.interpreter.budget import RESULT_BOUND_PATCH, check_payload, check_value
    from worker.interpreter.callbacks import Callbacks
    from worker.interpreter.cancellation import PATCH, STOPPED, CancelScope, Reason
    from worker.interpreter.context import ExecutionFacts
    from worker.interpreter.failures import (
        UNEXPECTED_ERROR_PATCH,
        StepFailure,
        is_unexpected,
        unexpected_failure,
    )
    from worker.interpreter.legible import CurrentDetails, continued_header, failure_message
    from worker.interpreter.parts import ITERATIONS, PartRuns, locate
    from worker.interpreter.pinned import load_pinned
    from worker.interpreter.redrive import (
        REDRIVE_PATCH,
        REDRIVEN,
        StepPoint,
        mark_frame,
        record_point,
        redrive_point,
        take_frame,
    )
    from worker.interpreter.sequence import Interpreter
    from worker.interpreter.sizes import LEAN_SINCE
    from worker.interpreter.steps.activity_call import TASK_QUEUE_PATCH
    from worker.interpreter.steps.base import StepRun
    from worker.interpreter.steps.fanout import run_iterations
    from worker.interpreter.terminal import ExecutionLog
    from worker.interpreter.work import WorkMeter

WORKFLOW_NAME = "FnFFlow"

EVENTS_AS_THEY_HAPPEN = "fnf-events-as-they-happen"
"""The patch of runs that record task attempts as their activity reports them and hold each
event's data to the per-event quota; runs started before it keep recording attempts at the
end and charging a step's input, output and local together."""

__all__ = ["WORKFLOW_NAME", "FlowRun", "FnFFlow"]


@workflow.defn(name=WORKFLOW_NAME)
class FnFFlow:
    @workflow.init
    def __init__(self, first: Any, run_record: FlowRun | None = None) -> None:
        """The arguments are the user's input and the run record (workflow_args), or one
        FlowRun (executions started before that, and part runs): flow_run_of reads both."""
        run = self._run = flow_run_of(first, run_record)
        # Set before any handler runs: after a worker restart, a queued report is validated
        # while the history is replayed, before `run` has executed a line.
        self.interpreter_version = run.interpreter_version
        """Read by versions.patched: which patches this run has without a marker."""
        self._log = ExecutionLog()
        self._callbacks = Callbacks()
        self._attempt_reports = AttemptReports()
        self._facts = ExecutionFacts(
            run.flow_name,
            run.execution_name,
            dict(run.flows),
            run.heartbeat_timeout,
            run.step_data_limit,
            run.attempt_report_after,
        )
        self._stop: StopRequest | None = None
        self._scope = CancelScope()
        """The root of the cancel scopes: its reason is the stop's Error and Cause."""
        self._child_stops: dict[str, Reason] = {}
        self._details = CurrentDetails(header=_continued_header(run))
        """What the run is doing now, for the Temporal UI (worker/interpreter/legible.py)."""
        self._flow_input: dict[str, Any] = {}
        """The flow's mapped input, kept for a redrive point (worker/interpreter/redrive.py)."""
        self._archive = ArchiveProgress(self._log, run.archive_rows_per_slice)
        """What this run has archived as it paused (worker/interpreter/archive.py)."""
        if run.resumption is not None:
            self._log.first_id = run.resumption.next_event_id
            self._log.last_time = run.resumption.last_event_time
            self._callbacks.closed = list(run.resumption.closed_tokens)
            if run.resumption.stop is not None:
                self.stop(run.resumption.stop)

    @workflow.signal(
        name=STOP_SIGNAL,
        description='StopExecution\'s Error and Cause, {"error": E, "cause": C}. It only records '
        "them: the Temporal cancel StopExecution sends next stops the run (`fnf exec stop`, or "
        "this signal then `temporal workflow cancel`).",
    )
    def stop(self, stop: StopRequest) -> None:
        """StopExecution's error and cause; the cancellation that follows ends the run."""
        self._stop = stop
        self._scope.reason = Reason(stop.error, stop.cause)

    @workflow.signal(
        name=CHILD_STOPPED_SIGNAL,
        description="internal: a sync sub-flow tells its parent it was stopped "
        '({"workflow_id", "error", "cause"}); the waiting task fails with that error.',
    )
    def child_stopped(self, stopped: ChildStopped) -> None:
        """A `sync` sub-flow was stopped: the waiting task fails with its stop's Error."""
        self._child_stops[stopped.workflow_id] = Reason(stopped.error, stopped.cause)

    @workflow.signal(
        name=ATTEMPT_SIGNAL,
        description="internal: a task activity reports an attempt as it happens, so its "
        "TaskStarted/TaskFailed events enter the FnF history at once.",
    )
    def attempt_reported(self, report: AttemptReport) -> None:
        """A task activity's attempt, as it happens (worker/activities/reports.py); taken only
        for the open attempt of a task still waiting on its activity."""
        self._attempt_reports.take(report)

    @workflow.update(
        name=REPORT_UPDATE,
        description="ReportTaskSucceeded / ReportTaskFailed for a waitForCallback task: "
        '{"token": T, "succeeded": true, "output": "<a JSON object as text>"} or {"token": T, '
        '"succeeded": false, "error": E, "cause": C}, T as the task\'s input received it; '
        "answers the EventId that recorded it. `fnf task succeed|fail` sends the same.",
    )
    async def report_task(self, report: TaskReport) -> ReportAccepted:
        """ReportTaskSucceeded/ReportTaskFailed: the waiting task takes the report."""
        waiting = self._callbacks.deliver(report, self._facts)
        await workflow.wait_condition(lambda: waiting.event_id is not None)
        return ReportAccepted(event_id=waiting.event_id or 0)

    @report_task.validator
    def check_report(self, report: TaskReport) -> None:
        """Refuse a bad, stale or second report before it reaches history (exactly once)."""
        self._callbacks.validate(report, self._facts)

    @workflow.query(
        name="history",
        description="This run's FnF events (GetExecutionHistory's), a page at a time: "
        'optional {"from_event_id": N, "limit": L}; answers events, firstEventId, nextEventId '
        "and previousRunId (the run it continued from). `fnf exec history` reads every run.",
    )
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
    async def run(self, first: Any, run_record: FlowRun | None = None) -> dict[str, Any]:
        run = self._run
        self._details.publish()
        graph: FlowGraph = check_format(await self._pinned_graph(run))  # type: ignore[arg-type]
        interpreter = self._interpreter(run)
        if run.part is not None:
            return await self._run_part(graph, interpreter, run, run.part)
        if not interpreter.cancels_cleanly:
            return await self._run_before_patch(graph, interpreter, run)
        try:
            resumption = run.resumption or self._start(graph, run)
            self._flow_input = resumption.flow_input
            point = self._redriven(graph["steps"], run, resumption)
            local = await self._run_root(graph["steps"], interpreter, resumption, run, point)
            output = _mapped(graph["outputMappings"], resumption.flow_input, local, default=local)
            check_value("ExecutionSucceeded", "", "output", output, self._log.data_limit)
            if self._log.data_limit <= 0 and versions.patched(RESULT_BOUND_PATCH):
                check_payload("ExecutionSucceeded", "", "output", output)
        except StepFailure as failure:
            await self._fail(run, failure)
        except asyncio.CancelledError as cancelled:
            await self._stopped(run, cancelled)
        except Exception as error:
            # Outside any step (the flow's mappings, the output's checks): as in run_step.
            if not is_unexpected(error) or not versions.patched(UNEXPECTED_ERROR_PATCH):
                raise
            await self._fail(run, unexpected_failure("", error))
        await self._close(run, TaskReport(run.callback_token, True, json.dumps(output)))
        self._log.record("ExecutionSucceeded", detail={"output": output}, checked=False)
        self._details.close("succeeded")
        await archive_run(self._log, run.archive_rows_per_slice, self._archive)
        return output

    async def _run_part(
        self, graph: FlowGraph, interpreter: Interpreter, run: FlowRun, part: Part
    ) -> dict[str, Any]:
        """A child run for a part of its parent's graph (worker/interpreter/parts.py): it
        ends as an execution does (Succeeded, Failed with the failing step's error, Stopped),
        so its parent sees the part's outcome and its history reads like one."""
        try:
            if run.resumption is None:
                summary = {
                    "kind": part.kind,
                    "stepId": part.step_id,
                    "parent": part.parent_workflow_id,
                }
                if part.kind == ITERATIONS:
                    summary |= {"firstIndex": part.first_index, "count": len(part.items)}
                started = {"input": part.container_input, "part": summary}
                if part.kind != ITERATIONS:
                    started["local"] = part.local  # the handed-over sequence's local so far
                self._log.record("ExecutionStarted", detail=started, checked=False)
            if part.kind == ITERATIONS:
                output = await self._run_batch(graph, interpreter, run, part)
            else:
                steps, position = locate(graph["steps"], part.step_id)
                at = run.resumption or Resumption(
                    position, part.local, part.container_input, next_event_id=self._log.next_id()
                )
                output = await self._run_root(steps, interpreter, at, run)
            check_payload("ExecutionSucceeded", "", "output", output)
        except StepFailure as failure:
            await self._fail(run, failure)
        except asyncio.CancelledError:
            await self._stopped(run)
        except Exception as error:
            if not is_unexpected(error):
                raise
            await self._fail(run, unexpected_failure("", error))
        self._log.record("ExecutionSucceeded", detail={"output": output}, checked=False)
        self._details.close("succeeded")
        await archive_run(self._log, run.archive_rows_per_slice, self._archive)
        return output

    async def _run_batch(
        self, graph: FlowGraph, interpreter: Interpreter, run: FlowRun, part: Part
    ) -> dict[str, Any]:
        """A batch of a foreach's items; when this run's history grows long it starts no more
        items, lets the running ones end and continues as new with the rest."""
        steps, position = locate(graph["steps"], part.step_id)
        node = steps[position]
        inner = interpreter.within(interpreter.scope.nested())
        started = 0

        def stop_starting() -> bool:
            nonlocal started
            if started > 0 and _history_is_long(run, interpreter.meter.activation):
                return True
            started += 1
            return False

        member_run = StepRun(interpreter, node, 0, interpreter.plans.of(node), context={})
        locals_ = await run_iterations(
            member_run,
            inner,
            part.container_input,
            part.items,
            part.first_index,
            part.concurrency,
            stop_starting,
        )
        done = [local for local in locals_ if local is not None]
        if len(done) < len(part.items):
            await workflow.wait_condition(workflow.all_handlers_finished)
            rest = replace(
                part,
                items=part.items[len(done) :],
                first_index=part.first_index + len(done),
                done=part.done + done,
            )
            carried = Resumption(
                0,
                {},
                {},
                self._log.next_id(),
                self._callbacks.closed,
                self._log.last_time,
                self._stop,
            )
            await archive_run(self._log, run.archive_rows_per_slice, self._archive)
            workflow.continue_as_new(replace(run, part=rest, resumption=carried))
        return {"locals": part.done + done}

    async def _fail(self, run: FlowRun, failure: StepFailure) -> NoReturn:
        await self._close(run, TaskReport(run.callback_token, False, "", *_named(failure)))
        failed = {"error": failure.error, "cause": failure.cause}
        self._log.record("ExecutionFailed", detail=failed, checked=False)
        await self._keep_point(run, failure)
        await archive_run(self._log, run.archive_rows_per_slice, self._archive)
        caught = self._details.caught
        message = failure_message(failure.error, failure.cause, failure.step, failure.path, caught)
        self._details.close(f"failed: {message}")
        raise execution_failed(failure.error, failure.cause, failure.step, failure.path, caught)

    async def _keep_point(self, run: FlowRun, error: BaseException) -> None:
        """Record where the execution was, after its terminal event, so RedriveExecution
        can go on from there (worker/interpreter/redrive.py). Parts are no executions."""
        frame = take_frame(error)
        if frame is None or run.part is not None:
            return
        log = self._log
        point = redrive_point(
            frame, self._flow_input, log.next_id(), log.last_time, self._callbacks.closed
        )
        await record_point(point)

    def _redriven(self, steps: list[StepNode], run: FlowRun, at: Resumption) -> StepPoint | None:
        """A redrive's first run: ExecutionRedriven, then the root step it resumes."""
        redrive = run.redrive
        if redrive is None or not versions.patched(REDRIVE_PATCH):
            return None
        step = steps[at.position]["name"] if at.position < len(steps) else ""
        detail = {"redriveCount": redrive.count, "step": step}
        self._log.record(REDRIVEN, detail=detail, checked=False)
        return redrive.step

    async def _close(self, run: FlowRun, report: TaskReport) -> None:
        """Tell the parent task how the execution ended, before the terminal event. A stop
        that lands meanwhile still stops the execution (the parent then hears of the stop,
        unless it already heard the end); a parent that refuses the report (it has ended) does
        not change this execution's end."""
        try:
            await _tell_parent(run, report)
        except asyncio.CancelledError:
            await self._stopped(run)

    async def _stopped(self, run: FlowRun, cancelled: BaseException | None = None) -> NoReturn:
        """Stopped: the parent hears of it, then ExecutionStopped is the last event. Every
        step in flight has already recorded its end (they are awaited as they cancel)."""
        stop = self._scope.why()
        failed = TaskReport(run.callback_token, False, "", stop.error or STOPPED, stop.cause)
        await _tell_parent(run, failed)
        await _signal_waiting_parent(run, stop)
        self._log.record("ExecutionStopped", detail=stop.detail(), checked=False)
        if cancelled is not None:
            await self._keep_point(run, cancelled)
        self._details.close(f"stopped: {stop.error or STOPPED}: {stop.cause}")
        await archive_run(self._log, run.archive_rows_per_slice, self._archive)
        raise asyncio.CancelledError()

    async def _run_before_patch(
        self, graph: FlowGraph, interpreter: Interpreter, run: FlowRun
    ) -> dict[str, Any]:
        """The command sequence of executions started before cancellation.PATCH, kept for
        their replay: a cancelled task failed the execution, events followed the end."""
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
            raise execution_failed(
                failure.error, failure.cause, failure.step, failure.path
            ) from None
        except asyncio.CancelledError:
            stop = self._stop or StopRequest("", "the execution was cancelled")
            self._log.record("ExecutionStopped", detail={"error": stop.error, "cause": stop.cause})
            stopped = TaskReport(run.callback_token, False, "", stop.error or "Stopped", stop.cause)
            await _report_parent(run, stopped)
            raise
        await _report_parent(run, TaskReport(run.callback_token, True, json.dumps(output)))
        return output

    async def _pinned_graph(self, run: FlowRun) -> dict[str, Any]:
        """The run's graph: inline, or loaded by its reference (its sub-flows with it)."""
        if not run.definition_ref:
            return run.graph
        pinned = await load_pinned(run.definition_ref)
        self._facts.flows.update(pinned.flows)
        if run.definition_flow:  # a sub-flow started by its parent's reference
            return dict(pinned.flows[run.definition_flow])
        return pinned.graph

    def _interpreter(self, run: FlowRun) -> Interpreter:
        """The interpreter, behaving as the run's version of the code did (see the patch)."""
        current = versions.patched(EVENTS_AS_THEY_HAPPEN)
        if current:
            self._log.data_limit = run.step_data_limit
        if versions.version() >= LEAN_SINCE:
            self._log.use_lean_sizes()
            self._attempt_reports.enabled = True
        cancels_cleanly = versions.patched(PATCH)
        routes_tasks = versions.patched(TASK_QUEUE_PATCH)
        steps_per_activation, pauses_per_run = run.work_limits()
        meter = WorkMeter(
            lambda: self._log.sizes.measured_bytes,
            steps_per_activation=steps_per_activation,
            pauses_per_run=pauses_per_run,
            activation=self._log.activation,
        )
        if versions.version() >= PROGRESS_SINCE:
            meter.carry, self._archive.work = self._archive.pause, meter.work_chars
        return Interpreter(
            self._facts,
            self._log,
            self._callbacks,
            self._attempt_reports,
            budget_per_step=not current,
            scope=self._scope,
            child_stops=self._child_stops,
            cancels_cleanly=cancels_cleanly,
            routes_tasks=routes_tasks,
            details=self._details,
            meter=meter,
            parts=PartRuns.of(run) if cancels_cleanly and current else None,
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
        point: StepPoint | None = None,
    ) -> dict[str, Any]:
        """The root sequence, step by step, handing over to a new run between steps when the
        history grows long (DESIGN 10), or when this run has done its share of work
        (worker/interpreter/work.py). Nested sequences never hand over mid-way (they pause).
        A failure or a stop leaving it carries where it was; `point` is a redriven first
        step's (worker/interpreter/redrive.py)."""
        local, position = at.local, (at.position if steps else None)
        progressed = False
        while position is not None:
            try:
                if progressed and await _must_hand_over(run, interpreter):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    carried = Resumption(
                        position,
                        local,
                        at.flow_input,
                        self._log.next_id(),
                        self._callbacks.closed,
                        self._log.last_time,
                        self._stop,
                    )
                    await archive_run(self._log, run.archive_rows_per_slice, self._archive)
                    workflow.continue_as_new(
                        args=workflow_args(replace(run, resumption=carried, redrive=None))
                    )
                local, following = await interpreter.run_step(
                    steps[position], at.flow_input, local, point
                )
            except (StepFailure, asyncio.CancelledError) as error:
                mark_frame(error, position, local)
                raise
            point = None
            position = following
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
        summary="internal: report this execution's end to the task that started it",
    )


async def _tell_parent(run: FlowRun, report: TaskReport) -> None:
    """_report_parent for executions since cancellation.PATCH: a cancelled report raises
    CancelledError; a refused one (the parent task has ended) is logged, since it does not
    change how this execution ended."""
    try:
        await _report_parent(run, report)
    except FailureError as error:
        if is_cancelled_exception(error):
            raise asyncio.CancelledError() from None
        workflow.logger.warning("the parent task refused the report: %s", error)


async def _signal_waiting_parent(run: FlowRun, stop: Reason) -> None:
    """A stopped `sync` sub-flow tells its parent the stop's Error and Cause before it
    closes, so the parent's task fails with them (subflow.py). A parent that has closed
    meanwhile cannot hear it, and need not."""
    parent = workflow.info().parent
    if not run.report_stop_to_parent or parent is None:
        return
    stopped = ChildStopped(workflow.info().workflow_id, stop.error, stop.cause)
    try:
        await workflow.get_external_workflow_handle(parent.workflow_id).signal(
            CHILD_STOPPED_SIGNAL, stopped
        )
    except FailureError:
        workflow.logger.info("the parent of a stopped sub-flow has closed")


def _named(failure: StepFailure) -> tuple[str, str]:
    """ReportTaskFailed needs an error name; a `fail` step may have left it empty."""
    return failure.error or "FnF.Failed", failure.cause


def execution_failed(
    error: str, cause: str, step: str = "", path: str = "", caught: str = ""
) -> ApplicationError:
    """The workflow's failure. Details keep error and cause exactly (Temporal drops an empty
    type and replaces an empty message); the message is what the Temporal UI and `temporal
    workflow describe` show: the failed step, the FnF error and its cause.

    The failure is converted here, before it is raised, so it carries no Python stack trace
    (the interpreter's stack says nothing about the flow) and no cause chain: Temporal's
    failure converter sends a FailureError's own `failure` as it is, before it would read the
    traceback the raise adds (temporalio.converter.DefaultFailureConverter)."""
    failed = ApplicationError(
        failure_message(error, cause, step, path, caught),
        {"error": error, "cause": cause, "step": step, "within": path},
        type=error or None,
        non_retryable=True,
    )
    proto = Failure()
    DefaultFailureConverter().to_failure(failed, workflow.payload_converter(), proto)
    failed._failure = proto  # the SDK's "underlying protobuf failure object"
    return failed


def _history_is_long(run: FlowRun, activation: Activation) -> bool:
    return (
        activation.continue_as_new_suggested()
        or activation.history_length() >= run.continue_as_new_at
    )


async def _must_hand_over(run: FlowRun, interpreter: Interpreter) -> bool:
    """Between two root steps: hand over when the history is long, or when this activation
    has done its share of work and this run has paused its share (else pause and go on;
    worker/interpreter/work.py)."""
    meter = interpreter.meter
    if _history_is_long(run, meter.activation):
        return True
    if not meter.spent():
        return False
    if meter.run_is_spent():
        return True
    await meter.pause()
    return False


def _mapped(
    mappings: Any, value: dict[str, Any], local: dict[str, Any], default: dict[str, Any]
) -> dict[str, Any]:
    """Flow-level mappings: exactly the mapped object when present (even if empty)."""
    if mappings is None:
        return default
    return evaluate_mappings(mappings, Scopes(input=value, local=local, context={}))


def _continued_header(run: FlowRun) -> str:
    """Flow, execution and input for a run continued as new ("" for a first run, a redrive's
    and a child's, which carry them as their static summary and details)."""
    previous = workflow.info().continued_run_id
    if not previous:
        return ""
    if run.part is None:
        return continued_header(run.flow_name, run.execution_name, run.input, previous)
    extra = f"**Part run** of {run.part.parent_workflow_id} ({run.part.kind})"
    return continued_header(run.flow_name, run.execution_name, run.input, previous, extra)
