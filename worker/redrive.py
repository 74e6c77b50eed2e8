"""RedriveExecution on Temporal, the client's side (the workflow's: worker/interpreter/redrive.py).

A failed or stopped execution's last run recorded, as it closed, where it was (its redrive
point, a marker at the end of its Temporal history). A redrive starts a new run of the SAME
workflow id with `WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY` (Temporal then admits it
only while the id's last run closed failed, cancelled, terminated or timed out, never after a
success) and `WorkflowIDConflictPolicy.FAIL` (never beside a running run). It reads the last
run and starts the new one under the execution's claim (worker/execution_claims.py), so of two
redrives at once exactly one starts, and none starts from a run another redrive already went
on from. The new run's input is the closed run's own (the pinned definition,
input and settings) with a `Resumption` at the point (root position, `$local`, flow input,
the next EventId) and a `Redrive` (count, time, the step's point). Its memo carries the
redrive count and time (DescribeExecution's RedriveCount and RedriveTime), the run it went on
from and the execution's very first run, so history readers walk from the first attempt to the
last as one history (worker/history.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from worker.execution import FlowRun, Redrive, Resumption, flow_run_hints, flow_run_of
from worker.execution_claims import Claim, ClaimRefused, claimed
from worker.interpreter.events import format_time
from worker.limits import RedriveLimits
from worker.naming import EXECUTION_MEMO, SEARCH_ATTRIBUTE_KEYS
from worker.starter import ExecutionStart, start_flow_run

REDRIVE_COUNT = "redriveCount"
REDRIVE_TIME = "redriveTime"
STARTED_TIME = "startedTime"
FIRST_RUN = "redriveFirstRunId"
PREVIOUS_RUN = "redrivePreviousRunId"
"""Memo fields (under EXECUTION_MEMO) of a redriven execution's runs."""


class NotRedrivable(Exception):
    """Why this execution cannot be redriven (the API's ExecutionNotRedrivable)."""


REFUSED_STATUS = {
    WorkflowExecutionStatus.RUNNING: "is running",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "is running",
    WorkflowExecutionStatus.COMPLETED: "has succeeded",
    WorkflowExecutionStatus.TERMINATED: "was terminated, which records no redrive point",
    WorkflowExecutionStatus.TIMED_OUT: "timed out, which records no redrive point",
}


async def memo_of(description: WorkflowExecutionDescription) -> dict[str, Any]:
    try:
        value = await description.memo_value(EXECUTION_MEMO, default={})
    except (KeyError, TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


async def redrive(
    client: Client,
    workflow_id: str,
    task_queue: str,
    limits: RedriveLimits,
    now: datetime | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start the redrive of the execution `workflow_id`, or raise NotRedrivable."""
    async with redriving(client, workflow_id, task_queue, limits, now) as prepared:
        return await prepared.start()


@asynccontextmanager
async def redriving(
    client: Client,
    workflow_id: str,
    task_queue: str,
    limits: RedriveLimits,
    now: datetime | None = None,
) -> AsyncIterator[PreparedRedrive]:
    """The redrive of `workflow_id`, read and checked under the execution's claim
    (worker/execution_claims.py), ready to start; NotRedrivable when it cannot be, including
    while another caller redrives (or starts) the same execution."""
    try:
        async with claimed(client, workflow_id, "redriving it") as claim:
            yield await _prepare(client, workflow_id, task_queue, limits, claim, now)
    except ClaimRefused as refused:
        raise NotRedrivable(str(refused)) from None


@dataclass
class PreparedRedrive:
    """A redrive read and checked under the claim: `start()` starts its run."""

    client: Client
    workflow_id: str
    task_queue: str
    run: FlowRun
    memo: dict[str, Any]
    description: WorkflowExecutionDescription
    claim: Claim

    async def start(self) -> WorkflowHandle[Any, Any]:
        self.claim.check()
        start = ExecutionStart(
            workflow_id=self.workflow_id,
            task_queue=self.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            search_attributes=_ours(self.description),
            memo=self.memo,
            details_note=f"**Redrive** {self.memo[REDRIVE_COUNT]}",
        )
        try:
            return await start_flow_run(self.client, self.run, start)
        except WorkflowAlreadyStartedError:
            raise NotRedrivable("is running (it was redriven or started meanwhile)") from None


async def _prepare(
    client: Client,
    workflow_id: str,
    task_queue: str,
    limits: RedriveLimits,
    claim: Claim,
    now: datetime | None,
) -> PreparedRedrive:
    from worker.history import run_tail  # history reads redrive memos (imports this module)

    description = await client.get_workflow_handle(workflow_id).describe()
    status = description.status or WorkflowExecutionStatus.RUNNING
    if status in REFUSED_STATUS:
        raise NotRedrivable(REFUSED_STATUS[status])
    memo = await memo_of(description)
    count = int(memo.get(REDRIVE_COUNT, 0))
    if count >= limits.max_count:
        raise NotRedrivable(
            f"has been redriven {count} times, the most FNF_REDRIVE_MAX_COUNT allows"
        )
    moment = now or datetime.now(UTC)
    closed = description.close_time
    if closed is not None and (moment - closed).total_seconds() > limits.max_age:
        raise NotRedrivable(
            f"closed more than {limits.max_age:g} seconds ago (FNF_REDRIVE_MAX_AGE)"
        )
    tail = await run_tail(client, workflow_id, description.run_id)
    point = tail.redrive_point
    if point is None:
        raise NotRedrivable(
            "recorded no redrive point (it ended outside any step, ran before redrives "
            "existed, or its state was too large to keep)"
        )
    last = await start_input(client, workflow_id, description.run_id)
    if last is None:
        raise NotRedrivable("has no readable start input")
    chain_first = description.raw_description.workflow_execution_info.first_run_id
    origin = str(memo.get(FIRST_RUN) or chain_first or description.run_id)
    started = memo.get(STARTED_TIME) or await _started_time(client, workflow_id, origin)
    frame = point["frame"]
    run = replace(
        last,
        resumption=Resumption(
            int(frame["position"]),
            dict(frame["local"]),
            dict(point["flowInput"]),
            int(point["nextEventId"]),
            list(point.get("closedTokens") or []),
            str(point.get("lastEventTime") or ""),
        ),
        redrive=Redrive(count + 1, format_time(moment), description.run_id, origin, frame["step"]),
        part=None,
        callback_token="",
        report_stop_to_parent=False,
    )
    memo |= {
        REDRIVE_COUNT: count + 1,
        REDRIVE_TIME: format_time(moment),
        STARTED_TIME: started,
        FIRST_RUN: origin,
        PREVIOUS_RUN: description.run_id,
    }
    return PreparedRedrive(client, workflow_id, task_queue, run, memo, description, claim)


def _ours(description: WorkflowExecutionDescription) -> list[SearchAttributePair[Any]]:
    """The execution's FnF search attributes (not Temporal's own, such as its patches)."""
    found = description.typed_search_attributes
    return [
        SearchAttributePair(key, value)
        for key in SEARCH_ATTRIBUTE_KEYS
        if (value := found.get(key)) is not None
    ]


async def start_input(client: Client, workflow_id: str, run_id: str) -> FlowRun | None:
    """The FlowRun a run started with, from its first history event."""
    request = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        maximum_page_size=1,
    )
    response = await client.workflow_service.get_workflow_execution_history(request)
    for event in response.history.events[:1]:
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        decoded = await client.data_converter.decode(payloads, flow_run_hints(len(payloads)))
        first, record = [*decoded, None][:2]
        return flow_run_of(first, record if isinstance(record, FlowRun) else None)
    return None


async def _started_time(client: Client, workflow_id: str, run_id: str) -> str:
    first = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    return format_time(first.start_time) if first.start_time else ""


async def redriven_first_run(description: WorkflowExecutionDescription) -> str | None:
    """The execution's very first run, when the run described belongs to a redrive."""
    first = (await memo_of(description)).get(FIRST_RUN)
    return str(first) if first else None


async def redrive_after(client: Client, workflow_id: str, run_id: str) -> str | None:
    """The first run of the redrive that went on from the closed run `run_id`, or None when
    none did: walks back from the latest run, one redrive at a time."""
    description = await client.get_workflow_handle(workflow_id).describe()
    while description.run_id != run_id:
        memo = await memo_of(description)
        previous = memo.get(PREVIOUS_RUN)
        if not previous:
            return None
        chain_first = description.raw_description.workflow_execution_info.first_run_id
        if previous == run_id:
            return chain_first or description.run_id
        description = await client.get_workflow_handle(workflow_id, run_id=previous).describe()
    return None
