"""FDL retries run as Temporal activity retries, decided per failure (DESIGN 7).

Temporal retries an activity by one RetryPolicy and hides intermediate attempts from the
workflow. FDL has an ordered list of retriers with a counter each, and its history shows every
attempt. So each attempt:

1. restores the ledger (finished attempts and per-policy counters) from the heartbeat details
   that the previous attempt left behind; Temporal keeps them across attempts;
2. heartbeats once the call has run a moment (the attempt-report threshold, or a third of the
   heartbeat timeout if shorter) and from then on, which keeps the ledger current and lets a
   crashed worker be noticed (heartbeat timeout) and the attempt re-run elsewhere; a fast
   attempt sends no heartbeat at all (each one is a call to the Temporal server);
3. on failure asks `next_retry`: either the attempt fails retryable with the policy's backoff as
   `next_retry_delay`, or non-retryable so that the workflow's catch decides;
4. tells its execution about the attempt as it happens (worker/activities/reports.py): its
   start once it has run a moment, and its failure when a retry follows, so that TaskStarted,
   TaskFailed and the retry's TaskScheduled enter the FnF history when they happen;
5. returns (or fails with) the whole ledger, from which the workflow records whatever the
   reports did not already bring.

An attempt whose start never ended (its worker was SIGKILLed, or its outcome never reached a
Temporal server that was restarted) is run again by Temporal: the same FDL attempt, started
once more. The ledger knows it from the start it heartbeated, or, when the start ended before
its first heartbeat, from Temporal's attempt number: one more than the Temporal attempt that
last ended with an FDL outcome means no start was lost. Delivery to a function is therefore
at least once, as on FC itself (asynchronous invocations and retried synchronous ones). Each
such restart is shown: the new start carries `restart` and a `reason`, and the workflow records
a second TaskStarted for the attempt (worker/interpreter/attempt_reports.py). The function
sees the same `context.request_id` on every start of one FDL attempt (`attempt_request_id`),
its key to de-duplicate by.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from translator.graph import RetryNode
from translator.json_values import JsonValueError, check_json_value
from worker.activities.payload_bounds import (
    LEDGER_RECORDS,
    bound_ledger_causes,
    bound_text,
    output_over,
)
from worker.activities.reports import AttemptReporter
from worker.activities.requests import (
    AttemptRecord,
    LocalAttempt,
    LocalAttemptResult,
    TaskRequest,
    TaskResult,
    attempt_record_of,
    compact,
)
from worker.activities.retry import count_retry, next_retry
from worker.interpreter.events import format_time
from worker.interpreter.failures import INVALID_LOCAL, RUNTIME_ERROR, TASK_TIMEOUT

DEFAULT_HEARTBEAT_EVERY = 10.0

RESTARTS_KEPT = 5
"""Start times of an attempt's interrupted starts kept in the ledger; older ones are counted."""

RESTART_REASON = (
    "the previous start of this attempt never ended: its worker was lost or its outcome "
    "never reached Temporal (heartbeat timeout)"
)
"""Temporal re-runs an attempt only when its outcome never arrived: its worker stopped
heartbeating, or the attempt outlived its start-to-close bound (activity_call.py)."""


LOCAL_RESTART_REASON = (
    "the previous start of this attempt never ended: it outlived its local activity's bound"
)
"""Temporal runs a local activity again on its own only when a start outlived its
start-to-close bound (activity_call.py)."""


def attempt_request_id(number: int) -> str:
    """The FC request id of FDL attempt `number` of the running task activity: the run, the
    activity and the FDL attempt, so that it stays the same when Temporal runs the attempt
    again after a crash (the function's idempotency key) and differs for each FDL retry."""
    info = activity.info()
    return f"{info.workflow_run_id}-{info.activity_id}-{number}"


class TaskError(Exception):
    """An attempt failed with FnF error `name` (what retry and catch match) and `cause`."""

    def __init__(self, name: str, cause: str) -> None:
        name, cause = bound_text(name), bound_text(cause)
        super().__init__(f"{name}: {cause}")
        self.name = name
        self.cause = cause


@dataclass
class Ledger:
    """What survives between attempts, as heartbeat details."""

    attempts: list[AttemptRecord] = field(default_factory=list)
    counters: list[int] = field(default_factory=list)
    current: AttemptRecord | None = None
    earlier: int = 0
    """Attempts dropped from the front of `attempts` (LEDGER_RECORDS)."""
    temporal_attempt: int | None = None
    """Temporal's attempt number of the last attempt that ended with an FDL outcome (0: none
    yet; None: unknown, as in a ledger saved before this field, whose restarts only `current`
    shows). Never left out of the details, since None is its default."""

    @classmethod
    def restore(cls, details: list[Any]) -> Ledger:
        """The previous attempt's ledger. An attempt that never ended (its worker died) stays
        `current`: it is run again as the same FDL attempt (`begin`), not counted as an FDL
        failure."""
        if not details or not isinstance(details[0], dict):
            return cls(temporal_attempt=0)  # the task's first Temporal attempt, or a lost one
        saved = details[0]
        current = saved.get("current")
        return cls(
            attempts=[attempt_record_of(record) for record in saved.get("attempts", [])],
            counters=list(saved.get("counters", [])),
            current=attempt_record_of(current) if isinstance(current, dict) else None,
            earlier=int(saved.get("earlier", 0)),
            temporal_attempt=saved.get("temporal_attempt"),
        )

    @property
    def number(self) -> int:
        """The FDL attempt now running (from 1): one more than the attempts that ended."""
        return self.earlier + len(self.attempts) + 1

    def begin(self, record: AttemptRecord, temporal_attempt: int | None = None) -> None:
        """`record` starts the current FDL attempt, or starts it again when an earlier start
        of it never ended: one the ledger saw start (`current`), or one that Temporal's
        attempt number `temporal_attempt` counts beyond the last FDL outcome (its start time
        is then unknown)."""
        restarts = 0
        interrupted = self.current
        if interrupted is not None and not interrupted.ended:
            restarts = interrupted.restart + 1
            starts = [*interrupted.restarted, interrupted.started]
            record.restarted = starts[-RESTARTS_KEPT:]
        if temporal_attempt is not None and self.temporal_attempt is not None:
            restarts = max(restarts, temporal_attempt - self.temporal_attempt - 1)
        if restarts:
            record.restart, record.reason = restarts, RESTART_REASON
        self.current = record

    def add(self, record: AttemptRecord) -> None:
        """Record a finished attempt; only the newest LEDGER_RECORDS are kept."""
        self.attempts.append(record)
        dropped = len(self.attempts) - LEDGER_RECORDS
        if dropped > 0:
            del self.attempts[:dropped]
            self.earlier += dropped

    def details(self) -> dict[str, Any]:
        """The ledger as heartbeat details, its older attempts' causes cut short so that it
        stays far under Temporal's payload limit however many attempts it holds."""
        saved: dict[str, Any] = compact(self)
        causes = bound_ledger_causes([record.cause for record in self.attempts])
        for record, cause in zip(saved.get("attempts", []), causes, strict=True):
            if cause is not None:
                record["cause"] = cause
        return saved


def now_text() -> str:
    return format_time(datetime.now(UTC))


async def run_attempt(
    request: TaskRequest, call: Callable[[int], Awaitable[Any]]
) -> dict[str, Any]:
    """Run one Temporal attempt of an FDL task under the ledger protocol above. `call` gets
    the FDL attempt's number (from 1), the same on every start of that attempt. Returns the
    TaskResult, compact."""
    info = activity.info()
    ledger = Ledger.restore(list(info.heartbeat_details))
    timeout = info.heartbeat_timeout
    heartbeat_every = timeout.total_seconds() / 3 if timeout else DEFAULT_HEARTBEAT_EVERY
    record = AttemptRecord(
        started=now_text(), scheduled=format_time(info.current_attempt_scheduled_time)
    )
    ledger.begin(record, info.attempt)
    number = ledger.number
    reporter = AttemptReporter.of(request, number)
    first_beat = min(heartbeat_every, request.report_after)
    try:
        async with (
            _heartbeating(ledger, heartbeat_every, first_beat),
            reporter.start_reported(record),
        ):
            output = await call(number)
            _check_output(request, output)
    except TaskError as failure:
        raise await _attempt_failed(request, ledger, record, failure, reporter) from None
    except Exception as unexpected:  # a bug must still end as a catchable FnF error
        bug = TaskError(RUNTIME_ERROR, f"{type(unexpected).__name__}: {unexpected}")
        raise await _attempt_failed(request, ledger, record, bug, reporter) from unexpected
    record.ended = now_text()
    ledger.add(record)
    result: dict[str, Any] = compact(
        TaskResult(output=output, attempts=ledger.attempts, earlier=ledger.earlier)
    )
    return result


def _check_output(request: TaskRequest, output: Any) -> None:
    """Fail the attempt, inside the activity, when its output may not enter the execution: a
    value the one JSON value check refuses (translator/json_values.py; FnF.InvalidLocal) for
    every kind of task, a function's, an action's or an MNS answer's, or one too large to
    carry."""
    try:
        check_json_value(output, "the result")
    except JsonValueError as refused:
        raise TaskError(INVALID_LOCAL, str(refused)) from None
    why = output_over(output, request.step, request.output_event, request.output_limit)
    if why is not None:
        raise TaskError(RUNTIME_ERROR, why)


async def _attempt_failed(
    request: TaskRequest,
    ledger: Ledger,
    record: AttemptRecord,
    failure: TaskError,
    reporter: AttemptReporter,
) -> ApplicationError:
    record.ended = now_text()
    record.error, record.cause = failure.name, failure.cause
    record.timed_out = failure.name == TASK_TIMEOUT
    ledger.add(record)
    ledger.current = None
    ledger.temporal_attempt = activity.info().attempt
    policies: list[RetryNode] = request.retry  # type: ignore[assignment]
    decision = next_retry(policies, ledger.counters, failure.name)
    if decision is not None:
        ledger.counters = count_retry(ledger.counters, decision, len(policies))
    activity.heartbeat(ledger.details())
    if decision is not None:  # the final failure carries the ledger itself
        await reporter.report(record)
    return ApplicationError(
        failure.cause,
        ledger.details(),
        type=failure.name,
        non_retryable=decision is None,
        next_retry_delay=None if decision is None else timedelta(seconds=decision.delay_seconds),
        category=ApplicationErrorCategory.BENIGN,
    )


@contextlib.asynccontextmanager
async def _heartbeating(ledger: Ledger, every: float, first: float) -> AsyncIterator[None]:
    """Heartbeat the ledger after `first` seconds, then every `every` seconds."""

    async def beat() -> None:
        await asyncio.sleep(first)
        while True:
            activity.heartbeat(ledger.details())
            await asyncio.sleep(every)

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


async def run_local_attempt(
    attempt: LocalAttempt, call: Callable[[int], Awaitable[Any]]
) -> LocalAttemptResult:
    """Run FDL attempt `attempt.attempt` as a local activity, and decide its retry here, as
    the regular activity does (DESIGN 7); the workflow keeps the counters between attempts,
    since a local activity has no heartbeat details to carry them. A start that Temporal runs
    again (it outlived its bound) is the same FDL attempt, shown as a restart."""
    request, number = attempt.task, attempt.attempt
    record = AttemptRecord(started=now_text())
    restarts = activity.info().attempt - 1
    if restarts > 0:
        record.restart, record.reason = restarts, LOCAL_RESTART_REASON
    try:
        output = await call(number)
        _check_output(request, output)
    except TaskError as failure:
        return _local_attempt_failed(attempt, record, failure)
    except Exception as unexpected:  # a bug must still end as a catchable FnF error
        bug = TaskError(RUNTIME_ERROR, f"{type(unexpected).__name__}: {unexpected}")
        return _local_attempt_failed(attempt, record, bug)
    record.ended = now_text()
    return LocalAttemptResult(record, output)


def _local_attempt_failed(
    attempt: LocalAttempt, record: AttemptRecord, failure: TaskError
) -> LocalAttemptResult:
    record.ended = now_text()
    record.error, record.cause = failure.name, failure.cause
    record.timed_out = failure.name == TASK_TIMEOUT
    policies: list[RetryNode] = attempt.task.retry  # type: ignore[assignment]
    decision = next_retry(policies, attempt.counters, failure.name)
    if decision is None:
        return LocalAttemptResult(record, counters=attempt.counters)
    counters = count_retry(attempt.counters, decision, len(policies))
    return LocalAttemptResult(record, retry_after=decision.delay_seconds, counters=counters)
