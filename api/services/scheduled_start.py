"""What a schedule's action runs: a small workflow that starts the FnF execution.

A Temporal schedule starts a workflow with fixed arguments and a workflow id of its own making
(`<action id>-<fire time>`). FnF needs more than that at every fire: the flow's definition as it
is *now* (an UpdateFlow after CreateSchedule applies to later fires), an execution named
`scheduled-exec-<yyyyMMdd>T<HHmmss>Z-<uuid>`, and the ordinary execution workflow id
`<flow>/<execution>` so that the execution is listed and described like any other. So the
schedule starts `FnFScheduledStart`, which names the execution from its fire time and calls one
activity; the activity goes through `ExecutionService.start`, the same path StartExecution takes
(the definition is read and pinned there).

The name is made in the workflow (deterministically) and handed to the activity, so a retried
activity starts the same execution again, which `ExecutionService.start` answers idempotently.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from api.services.executions import ExecutionService
    from api.services.failures import ServiceError
    from api.services.schedule_dst import repeats_fixed_time

SCHEDULED_START_WORKFLOW = "FnFScheduledStart"
START_ACTIVITY = "StartScheduledExecution"
EXECUTION_PREFIX = "scheduled-exec-"

SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
"""Set by the Temporal scheduler on every workflow it starts: the nominal fire time (a manual
trigger's is the moment of the trigger)."""

SCHEDULE_MEMO_KEY = "fnf-schedule"
"""The memo key under which the schedule service keeps the FnF fields on the action."""
DST_REPEAT_PATCH = "fnf-scheduled-start-skips-dst-repeat"
"""Guards the early return for a repeated wall time, so fires recorded before it replay."""

START_TIMEOUT = timedelta(seconds=30)
START_DEADLINE = timedelta(minutes=10)
"""Transient failures (the server briefly unreachable) are retried for this long; after that the
fire fails visibly in Temporal rather than starting an execution long after its time."""

START_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)
)


@dataclass
class ScheduledFire:
    """The schedule action's argument: which flow, and the schedule's Payload as its input."""

    flow: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScheduledExecution:
    """The activity's argument: the execution to start, already named by the workflow."""

    flow: str
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


def execution_name(fired_at: datetime, unique: UUID) -> str:
    """FnF's name for a scheduled execution, e.g. `scheduled-exec-20200616T151929Z-<uuid>`."""
    moment = fired_at.astimezone(UTC) if fired_at.tzinfo else fired_at
    return f"{EXECUTION_PREFIX}{moment:%Y%m%dT%H%M%S}Z-{unique}"


@workflow.defn(name=SCHEDULED_START_WORKFLOW)
class FnFScheduledStart:
    @workflow.run
    async def run(self, fire: ScheduledFire) -> str:
        """Start the flow's execution for this fire; returns the execution's name."""
        fired_at = workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME)
        if fired_at and self._repeated(fired_at) and workflow.patched(DST_REPEAT_PATCH):
            return ""
        name = execution_name(fired_at or workflow.now(), workflow.uuid4())
        started: str = await workflow.execute_activity(
            START_ACTIVITY,
            ScheduledExecution(fire.flow, name, fire.payload),
            result_type=str,
            start_to_close_timeout=START_TIMEOUT,
            schedule_to_close_timeout=START_DEADLINE,
            retry_policy=START_RETRY,
            summary=f"internal: start execution {fire.flow}/{name} for this fire",
        )
        return started

    @staticmethod
    def _repeated(fired_at: datetime) -> bool:
        """A fixed-time expression's fire on the second occurrence of a wall time that a
        daylight-saving change repeats: Temporal fires it, cronie's rule does not run it
        (api/services/schedule_dst.py). The expression is the schedule's, from the memo."""
        record = workflow.memo_value(SCHEDULE_MEMO_KEY, default=None)
        expression = record.get("CronExpression") if isinstance(record, dict) else None
        return isinstance(expression, str) and repeats_fixed_time(expression, fired_at)


@dataclass
class ScheduledStartActivities:
    executions: ExecutionService

    @activity.defn(name=START_ACTIVITY)
    async def start_scheduled_execution(self, request: ScheduledExecution) -> str:
        """Start through the API's own StartExecution path, so the current definition is pinned.

        FnF's errors (a deleted flow is FlowNotExists, a definition that no longer compiles is
        InvalidArgument) will not change on retry, so they fail the fire at once with FnF's code
        as the error type. ExecutionAlreadyExists means an earlier attempt of this activity
        started the execution and it has finished already: that is success.
        """
        try:
            await self.executions.start(
                request.flow, request.name, request.payload, None, mode=None
            )
        except ServiceError as error:
            if error.code == "ExecutionAlreadyExists":
                return request.name
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from None
        return request.name


def starter_workflows() -> list[type]:
    """The workflows the worker serving the schedule service's `starter_queue` must register."""
    return [FnFScheduledStart]


def starter_activities(executions: ExecutionService) -> Sequence[Callable[..., Any]]:
    """The activities for that worker, bound to the API's execution service."""
    return [ScheduledStartActivities(executions).start_scheduled_execution]
