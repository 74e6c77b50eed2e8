"""Starting an FnFFlow run that is an execution: one place for its Temporal start options.

StartExecution (worker/executions.py) and RedriveExecution (worker/redrive.py) both start a
run of FnFFlow under the execution's workflow id. They differ only in what is given here
(`ExecutionStart`): the id reuse policy (a new name, a deleted flow's name, or a redrive of a
closed failed run), the search attributes, the memo and a line of the run's static details.
Everything else is the same for both and written once: the workflow, its arguments
(worker/execution.py `workflow_args`), the execution timeout (FDL decision 3), the conflict
policy `FAIL` (never beside a running run: DESIGN 3, ExecutionAlreadyExists) and the
summary and details the Temporal UI shows (worker/interpreter/legible.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from worker.execution import EXECUTION_TIMEOUT, FlowRun, workflow_args
from worker.interpreter.legible import execution_details, execution_summary
from worker.naming import EXECUTION_MEMO
from worker.workflow import FnFFlow


@dataclass(frozen=True)
class ExecutionStart:
    """What differs between the starts of an execution's runs. `memo` is the execution's memo
    (stored under EXECUTION_MEMO; none when empty); `details_note` is an extra line of the
    run's static details, such as a redrive's number."""

    workflow_id: str
    task_queue: str
    id_reuse_policy: WorkflowIDReusePolicy
    search_attributes: list[SearchAttributePair[Any]]
    memo: dict[str, Any] | None = None
    details_note: str = ""


async def start_flow_run(
    client: Client, run: FlowRun, start: ExecutionStart
) -> WorkflowHandle[Any, Any]:
    """Start `run` as the execution `start.workflow_id`; Temporal refuses it (its
    WorkflowAlreadyStartedError) when the id policies do."""
    pairs = start.search_attributes
    return await client.start_workflow(
        FnFFlow.run,
        args=workflow_args(run),
        id=start.workflow_id,
        task_queue=start.task_queue,
        execution_timeout=EXECUTION_TIMEOUT,
        id_reuse_policy=start.id_reuse_policy,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=TypedSearchAttributes(pairs) if pairs else None,
        memo={EXECUTION_MEMO: start.memo} if start.memo else None,
        static_summary=execution_summary(run.flow_name, run.execution_name),
        static_details=execution_details(
            run.flow_name, run.execution_name, run.input, start.details_note
        ),
    )
