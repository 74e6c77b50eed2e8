"""Create, read, change and delete flow definitions through Temporal (the API's flow store).

Reads use only the Temporal server (memo, visibility, history), so they work with no worker;
writes are Updates served by the API process's own worker for the store's task queue.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.protocol.temporary import answered_in_time
from api.services.page_tokens import (
    decode_page_token,
    encode_page_token,
    fetch_first_page,
    list_scope,
)
from api.store.entity import (
    ENTITY_WORKFLOW,
    FlowDefinitionWorkflow,
    FlowState,
    Written,
    entity_id,
    memo_of,
)
from api.visibility import running_runs, until_visible
from worker.interpreter.events import format_time
from worker.visibility_query import all_of, equals

WRITE_RETRIES = 20


class FlowNotFound(LookupError):
    pass


class FlowExists(Exception):
    pass


@dataclass
class FlowPage:
    flows: list[dict[str, Any]]
    next_token: str | None


RECORD_DEFAULTS: dict[str, Any] = {
    "Description": "",
    "Type": "FDL",
    "RoleArn": "",
    "ExecutionMode": "Standard",
    "ExternalStorageLocation": "",
    "ResourceGroupId": "",
}
"""Every field the flow actions' response models document (CreateFlow, DescribeFlow,
UpdateFlow, ListFlows) gets a value, also in records written before the field was kept."""


def documented(record: dict[str, Any]) -> dict[str, Any]:
    """The record with every documented field present; Environment as `{"Variables": []}`
    when the flow has none, the shape the SDKs' models read."""
    filled = {**RECORD_DEFAULTS, **record}
    filled["ExecutionMode"] = filled["ExecutionMode"] or "Standard"
    if not isinstance(filled.get("Environment"), dict):
        filled["Environment"] = {"Variables": []}
    return filled


def now_text() -> str:
    return format_time(datetime.now(UTC))


class FlowStore:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A new flow; FlowExists when one of that name is alive."""
        created = now_text()
        record = {
            **fields,
            "Id": str(uuid.uuid4()),
            "CreatedTime": created,
            "LastModifiedTime": created,
        }
        state = FlowState(record)
        try:
            handle = await self.client.start_workflow(
                FlowDefinitionWorkflow.run,
                state,
                id=entity_id(fields["Name"]),
                task_queue=self.task_queue,
                memo=memo_of(state),
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                static_summary=f"internal: the definition of FnF flow {fields['Name']}",
            )
        except WorkflowAlreadyStartedError:
            raise FlowExists(fields["Name"]) from None
        await self._until_listed(handle.id, replaced_run=None, deleted=False)
        return documented(record)

    async def describe(self, name: str) -> dict[str, Any]:
        """The flow's record, from the memo (and history for long definitions)."""
        handle = self.client.get_workflow_handle(entity_id(name))
        description = await self._running(handle, name)
        memo = await description.memo_value("flow")
        record = dict(memo)
        if record.pop("DefinitionInHistory", False):
            record["Definition"] = (await self.state(name)).record["Definition"]
        return documented(record)

    async def state(self, name: str) -> FlowState:
        """The whole state (versions and aliases too), from the current run's input."""
        handle = self.client.get_workflow_handle(entity_id(name))
        description = await self._running(handle, name)
        run = self.client.get_workflow_handle(entity_id(name), run_id=description.run_id)
        async for event in run.fetch_history_events():
            attributes = event.workflow_execution_started_event_attributes
            payloads = attributes.input.payloads
            [value] = await self.client.data_converter.decode(payloads, [FlowState])
            assert isinstance(value, FlowState)
            return value
        raise FlowNotFound(name)

    async def list(self, limit: int, next_token: str | None) -> FlowPage:
        query = all_of(
            equals("WorkflowType", ENTITY_WORKFLOW), equals("ExecutionStatus", "Running")
        )
        scope = list_scope(self.client.namespace, query)
        token = decode_page_token(next_token, scope)
        iterator = self.client.list_workflows(
            query, page_size=limit, next_page_token=token, limit=limit
        )
        await fetch_first_page(iterator, limit, next_token)
        flows = []
        names: set[str] = set()
        for execution in iterator.current_page or []:
            record = dict((await execution.memo()).get("flow", {}))
            if record.get("Name") in names:
                continue  # two runs of one flow, caught mid-handover by a concurrent write
            names.add(record.get("Name", ""))
            if record.pop("DefinitionInHistory", False):
                record["Definition"] = (await self.state(record["Name"])).record["Definition"]
            flows.append(documented(record))
        return FlowPage(flows, encode_page_token(iterator.next_page_token, scope))

    async def update(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        stamped = {**changes, "LastModifiedTime": now_text()}
        record: dict[str, Any] = await self._write(name, "UpdateFlow", stamped)
        return documented(record)

    async def delete(self, name: str) -> None:
        await self._write(name, "DeleteFlow")

    async def publish_version(self, name: str, description: str) -> dict[str, Any]:
        version = {"Description": description, "CreatedTime": now_text()}
        published: dict[str, Any] = await self._write(name, "PublishFlowVersion", version)
        return published

    async def set_alias(self, name: str, alias: dict[str, Any]) -> dict[str, Any]:
        saved: dict[str, Any] = await self._write(name, "SetFlowAlias", alias)
        return saved

    async def delete_alias(self, name: str, alias: str) -> bool:
        existed: bool = await self._write(name, "DeleteFlowAlias", alias)
        return existed

    async def _write(self, name: str, update: str, *argument: Any) -> Any:
        """Send an Update to the live run (Temporal routes it to the run that follows one
        closing to continue as new), then wait until the run that applied it has handed over
        or ended, so every read after this call sees the change."""
        handle = self.client.get_workflow_handle(entity_id(name))
        for attempt in range(WRITE_RETRIES):
            await self._running(handle, name)
            try:
                answer = await answered_in_time(
                    handle.execute_update(update, args=argument, result_type=Written),
                    f"{update} of flow {name}",
                )
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                raise
            await self._settle(handle, answer.run_id)
            return answer.value
        raise FlowNotFound(name)

    async def _settle(self, handle: WorkflowHandle[Any, Any], written_run: str) -> None:
        """Wait until the written run has continued as new (or completed, for DeleteFlow),
        which it does once its Update handlers finish, and visibility shows the outcome."""
        latest: WorkflowExecutionDescription | None = None

        async def replaced() -> bool:
            nonlocal latest
            latest = await handle.describe()
            return latest.run_id != written_run or latest.status != WorkflowExecutionStatus.RUNNING

        await until_visible(replaced, f"{handle.id} handing over after a write")
        deleted = latest is not None and latest.status != WorkflowExecutionStatus.RUNNING
        await self._until_listed(handle.id, written_run, deleted)

    async def _until_listed(
        self, workflow_id: str, replaced_run: str | None, deleted: bool
    ) -> None:
        """ListFlows shows the flow's live run and not the run a write replaced; or, once the
        flow is deleted, no run at all."""

        async def listed() -> bool:
            runs = await running_runs(self.client, workflow_id)
            return not runs if deleted else bool(runs) and replaced_run not in runs

        await until_visible(listed, f"{workflow_id} in ListFlows")

    async def _running(self, handle: WorkflowHandle[Any, Any], name: str) -> Any:
        """The live run's description; a run caught handing over to the next is asked again."""
        for attempt in range(WRITE_RETRIES):
            try:
                description = await handle.describe()
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    raise FlowNotFound(name) from None
                raise
            if description.status == WorkflowExecutionStatus.RUNNING:
                return description
            if description.status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
                raise FlowNotFound(name)
            await asyncio.sleep(0.02 * (attempt + 1))
        raise FlowNotFound(name)
