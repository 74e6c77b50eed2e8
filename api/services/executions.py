"""Executions: start with a pinned definition, describe, list, read history, stop.

An execution is an FnFFlow workflow with id `<flow>/<execution>` (DESIGN 3); its FnF status,
input, output and times come from Temporal's own record of the workflow, its events from the
workflow's `history` query. Only executions of the flow's live incarnation are answered for
(api/services/incarnation.py): a deleted flow's executions are gone, even under a flow created
again with its name, and their names are free again.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.exceptions import CancelledError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.services.execution_data import (
    DefinitionCache,
    MemoData,
    data_memo,
    definition_key,
    input_text,
)
from api.services.failures import (
    ServiceError,
    execution_already_completed,
    execution_already_exists,
    execution_not_exists,
    execution_not_redrivable,
    flow_not_exists,
    invalid_argument,
)
from api.services.incarnation import EMPTY_ENVIRONMENT, Incarnation
from api.services.page_tokens import (
    decode_page_token,
    encode_page_token,
    fetch_first_page,
    list_scope,
)
from api.services.qualifiers import QualifierFilter, qualifier_memo, recorded
from api.store.flows import FlowNotFound, FlowStore
from translator import compile_text
from translator.errors import FlowValidationError
from translator.graph import FlowGraph, iter_steps
from translator.names import sync_execution_name
from worker.definitions import load as load_pinned
from worker.execution import FlowRun, flow_run_hints, flow_run_of
from worker.execution_claims import ClaimRefused, claimed
from worker.executions import (
    failure_of,
    start_execution,
    stop_execution,
    stop_of,
)
from worker.history import read_history_page
from worker.interpreter.cancellation import STOPPED
from worker.interpreter.events import format_time
from worker.limits import RedriveLimits
from worker.naming import (
    EXECUTION_MEMO,
    EXECUTION_NAME,
    FLOW_NAME,
    split_workflow_id,
    workflow_id,
)
from worker.redrive import (
    REDRIVE_COUNT,
    REDRIVE_TIME,
    STARTED_TIME,
    NotRedrivable,
    redrive,
)
from worker.visibility_query import (
    all_of,
    any_of,
    at_least,
    at_most,
    equals,
    not_equals,
    starts_with,
)
from worker.workflow import WORKFLOW_NAME

STATUS = {
    WorkflowExecutionStatus.RUNNING: "Running",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "Running",
    WorkflowExecutionStatus.COMPLETED: "Succeeded",
    WorkflowExecutionStatus.FAILED: "Failed",
    WorkflowExecutionStatus.CANCELED: "Stopped",
    WorkflowExecutionStatus.TERMINATED: "Stopped",
    WorkflowExecutionStatus.TIMED_OUT: "TimedOut",
}


def status_of(status: WorkflowExecutionStatus | None) -> str:
    return STATUS.get(status, "Running") if status is not None else "Running"


STANDARD, EXPRESS = "Standard", "Express"
"""FnF's execution modes (CreateFlow's ExecutionMode; an empty value is Standard)."""

SYNC_LIMIT_SECONDS = 300
"""StartSyncExecution waits this long, the service's limit for Express executions."""

TEMPORAL_STATUS = {
    "Running": "Running",
    "Succeeded": "Completed",
    "Failed": "Failed",
    "Stopped": "Canceled",
    "TimedOut": "TimedOut",
}


@dataclass
class ExecutionService:
    client: Client
    store: FlowStore
    task_queue: str
    search_attributes: bool = True
    run_options: dict[str, Any] = field(default_factory=dict)
    """FlowRun fields from the configuration (Settings.run_options): timeouts and limits."""
    redrive_limits: RedriveLimits = field(default_factory=RedriveLimits)
    """FNF_REDRIVE_MAX_COUNT and FNF_REDRIVE_MAX_AGE."""
    definitions: DefinitionCache = field(default_factory=DefinitionCache)
    """Pinned definition texts by hash, for the data fields of listed executions."""

    async def start(
        self,
        flow: str,
        name: str | None,
        flow_input: dict[str, Any],
        qualifier: str | None,
        callback_token: str = "",
        mode: str | None = STANDARD,
    ) -> dict[str, Any]:
        """StartExecution: a reused name returns the running execution, or fails if it ended.
        A name whose execution belongs to a deleted incarnation of the flow is free again.
        `mode` is the execution mode the calling action serves; None (a schedule's fire)
        starts the flow in whichever mode it has."""
        definition, incarnation, version = await self._definition(flow, qualifier)
        check_mode(incarnation, mode)
        graph = _compile(definition, flow)
        execution = name or str(uuid.uuid4())
        run = FlowRun(
            graph=dict(graph),
            input=flow_input,
            flow_name=flow,
            execution_name=execution,
            flows=await self._subflows(graph),
            definition=definition,
            callback_token=callback_token,
            **self.run_options,
        )
        self.definitions.remember(definition)
        versioned = qualifier_memo(qualifier, version)
        try:
            await self._start_run(run, incarnation, versioned, reuse_closed=False)
        except WorkflowAlreadyStartedError:
            handle = self.client.get_workflow_handle(workflow_id(flow, execution))
            earlier = await handle.describe()
            if not incarnation.owns(await _memo(earlier), earlier.start_time):
                await self._replace_deleted(run, incarnation, versioned, earlier)
                return await self.describe(flow, execution)
            existing = await self.describe(flow, execution)
            if existing["Status"] != "Running":
                raise execution_already_exists(flow, execution) from None
            return existing
        return await self.describe(flow, execution)

    async def _start_run(
        self,
        run: FlowRun,
        incarnation: Incarnation,
        versioned: dict[str, str],
        reuse_closed: bool,
    ) -> None:
        await start_execution(
            self.client,
            self.task_queue,
            run,
            search_attributes=self.search_attributes,
            flow_id=incarnation.id,
            memo=incarnation.memo() | data_memo(run.definition, run.input) | versioned,
            reuse_closed=reuse_closed,
        )

    async def _replace_deleted(
        self,
        run: FlowRun,
        incarnation: Incarnation,
        versioned: dict[str, str],
        earlier: WorkflowExecutionDescription,
    ) -> None:
        """The name's previous execution belongs to a deleted incarnation: end it if it still
        runs (DeleteFlow stops them, this covers one caught mid-stop), then start anew."""
        if earlier.close_time is None:
            old = self.client.get_workflow_handle(earlier.id, run_id=earlier.run_id)
            try:
                await old.terminate(reason=f"flow {incarnation.flow} was deleted")
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
        try:
            # Under the execution's claim, as a redrive starts its run: a redrive of the
            # closed run (or a second start) cannot slip in between (worker/execution_claims.py).
            async with claimed(self.client, earlier.id, "starting it anew"):
                await self._start_run(run, incarnation, versioned, reuse_closed=True)
        except (WorkflowAlreadyStartedError, ClaimRefused):  # a concurrent start or redrive won
            raise execution_already_exists(run.flow_name, run.execution_name) from None

    async def start_sync(
        self, flow: str, name: str | None, flow_input: dict[str, Any], qualifier: str | None
    ) -> dict[str, Any]:
        """StartSyncExecution: run and wait (up to SYNC_LIMIT_SECONDS). As on the service, a
        given name need not be unique: `:<uuid>` is appended (`{ExecutionName}:{UUID}`, the
        service's documented form); with no name the execution is named by a UUID alone, as
        StartExecution names it."""
        unique = str(uuid.uuid4())
        execution = sync_execution_name(name, unique) if name else unique
        await self.start(flow, execution, flow_input, qualifier, mode=EXPRESS)
        record = await self.describe(flow, execution, wait_seconds=SYNC_LIMIT_SECONDS)
        keys = ("Name", "FlowName", "Status", "StartedTime", "Environment")
        result = {k: record[k] for k in keys}
        result |= {"StoppedTime": record["StoppedTime"], "Output": "", "ErrorCode": ""}
        result["ErrorMessage"] = ""
        if record["Status"] == "Succeeded":
            result["Output"] = record["Output"]
        elif record["Status"] == "Running":
            result["ErrorCode"] = "FnF.Timeout"
            result["ErrorMessage"] = f"the execution did not finish in {SYNC_LIMIT_SECONDS} s"
        else:
            handle = self.client.get_workflow_handle(workflow_id(flow, execution))
            result["ErrorCode"], result["ErrorMessage"] = await _failure(self.client, handle)
        return result

    async def describe(self, flow: str, execution: str, wait_seconds: int = 0) -> dict[str, Any]:
        """DescribeExecution; `wait_seconds` long-polls until the execution closes."""
        handle = self.client.get_workflow_handle(workflow_id(flow, execution))
        description, _ = await self._owned(handle, flow, execution)
        if wait_seconds > 0 and description.close_time is None:
            await _wait_for_close(handle, wait_seconds)
            description = await self._describe(handle, flow, execution)
        return await self._record(handle, description, flow, execution)

    async def list_executions(
        self,
        flow: str,
        *,
        status: str | None,
        name_prefix: str | None,
        started_after: str | None,
        started_before: str | None,
        limit: int,
        next_token: str | None,
        metadata_only: bool = False,
        qualifier: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """ListExecutions through visibility (FnFFlowName, FnFExecutionName and the live
        incarnation's FnFFlowId). Each item carries FlowDefinition, Input and Output, as
        DescribeExecution does, unless `metadata_only` (the documented MetadataOnly). With
        `qualifier` (a version or alias of the flow, refused like StartExecution's when it names
        neither), only executions started with it or running that version
        (api/services/qualifiers.py); such a page may hold fewer than `limit` executions and
        still have a NextToken, as the documented Limit ("at most") allows."""
        incarnation = Incarnation.of(await self._flow_record(flow))
        wanted = await self._qualifier_filter(flow, qualifier) if qualifier else None
        if status and status not in TEMPORAL_STATUS:
            return [], None  # Starting: no execution here is ever reported in that state
        clauses = [equals(FLOW_NAME.name, flow), equals("WorkflowType", WORKFLOW_NAME)]
        clauses.append(incarnation.clause())
        if status:
            clauses.append(equals("ExecutionStatus", TEMPORAL_STATUS[status]))
        else:  # a run that continued as new is not another execution: its last run is listed
            clauses.append(not_equals("ExecutionStatus", "ContinuedAsNew"))
        if name_prefix:
            clauses.append(starts_with(EXECUTION_NAME.name, name_prefix))
        if started_after:
            clauses.append(at_least("StartTime", started_after))
        if started_before:
            clauses.append(at_most("StartTime", started_before))
        query = all_of(*clauses)
        scope = list_scope(self.client.namespace, query)
        token = decode_page_token(next_token, scope)
        iterator = self.client.list_workflows(query, page_size=limit, next_page_token=token)
        await fetch_first_page(iterator, limit, next_token)
        page = iterator.current_page or []
        found = [
            (execution, listed)
            for execution in await self._latest_runs(page)
            if (listed := _listed(execution)) is not None
        ]
        if wanted is not None:
            found = [pair for pair in found if await self._qualified(pair[0], wanted)]
        if not metadata_only:
            await self._page_data(found)
        return [item for _, item in found], encode_page_token(iterator.next_page_token, scope)

    async def _qualifier_filter(self, flow: str, qualifier: str) -> QualifierFilter:
        """ListExecutions' Qualifier, refused like StartExecution's when it names no version
        or alias of the flow."""
        definition, _, _ = await self._definition(flow, qualifier)
        version = definition_key(definition) if qualifier.isdigit() else None
        return QualifierFilter(qualifier, version)

    async def _qualified(self, execution: WorkflowExecution, wanted: QualifierFilter) -> bool:
        """Whether the execution matches the Qualifier: by what StartExecution recorded, else
        (an execution from before that record) by the definition it pinned, read from its
        memo or, for one older still, from its first run (api/services/qualifiers.py). A
        sub-flow child was not started with a Qualifier."""
        memo = await _memo(execution)
        if recorded(memo) or execution.parent_id:
            return wanted.matches_recorded(memo)
        if wanted.version_definition is None:
            return False
        key = MemoData.of(memo).definition_key
        if key is None:
            run = await _first_input(self.client, execution.id)
            key = definition_key(str(run.get("definition", ""))) if run is not None else None
        return wanted.matches_derived(key)

    async def _latest_runs(self, page: Sequence[WorkflowExecution]) -> list[WorkflowExecution]:
        """The page without the runs a redrive went on from: visibility lists every run of a
        workflow id, and a redriven execution is its latest run (worker/redrive.py). One more
        query, only for pages that hold runs which could have been redriven."""
        ids = sorted({item.id for item in page if item.status in REDRIVABLE})
        if not ids:
            return list(page)
        query = all_of(
            equals("WorkflowType", WORKFLOW_NAME), any_of(*(equals("WorkflowId", i) for i in ids))
        )
        newest: dict[str, WorkflowExecution] = {}
        async for run in self.client.list_workflows(query):
            known = newest.get(run.id)
            if known is None or _started(run) > _started(known):
                newest[run.id] = run
        return [
            item for item in page if item.id not in newest or item.run_id == newest[item.id].run_id
        ]

    async def _page_data(self, found: list[tuple[WorkflowExecution, dict[str, Any]]]) -> None:
        """FlowDefinition, Input, Output and Environment of a page's executions: from their
        memos (api/services/execution_data.py), one history read per definition this process
        has not seen, and the close event of each succeeded run for its Output."""
        memos = [await _memo(execution) for execution, _ in found]
        unknown: dict[str, str] = {}
        for (execution, _), memo in zip(found, memos, strict=True):
            key = MemoData.of(memo).definition_key
            if key is not None and self.definitions.get(key) is None:
                unknown.setdefault(key, execution.id)
        slots = asyncio.Semaphore(DATA_READS_AT_ONCE)
        await asyncio.gather(*(self._learn_definition(i, slots) for i in unknown.values()))
        await asyncio.gather(
            *(
                self._add_data(execution, item, memo, slots)
                for (execution, item), memo in zip(found, memos, strict=True)
            )
        )

    async def _learn_definition(self, workflow_id_: str, slots: asyncio.Semaphore) -> None:
        async with slots:
            run = await _first_input(self.client, workflow_id_)
        if run is not None:
            self.definitions.remember(str(run.get("definition", "")))

    async def _add_data(
        self,
        execution: WorkflowExecution,
        item: dict[str, Any],
        memo: dict[str, Any],
        slots: asyncio.Semaphore,
    ) -> None:
        async with slots:
            handle = self.client.get_workflow_handle(execution.id, run_id=execution.run_id)
            item.update(await self._data(handle, item["Status"], memo))

    async def history(
        self, flow: str, execution: str, limit: int, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """GetExecutionHistory. NextToken is `<EventId>:<run id>`: where the page ends and the
        run to continue in, so a page costs the same on the thousandth run as on the first
        (a bare EventId also works, read forward from the first run)."""
        handle = self.client.get_workflow_handle(workflow_id(flow, execution))
        await self._owned(handle, flow, execution)
        start, run_id = _history_position(next_token)
        if run_id is not None:
            try:
                await self.client.get_workflow_handle(handle.id, run_id=run_id).describe()
            except RPCError as error:
                if error.status not in BAD_RUN:
                    raise
                raise invalid_argument(f"NextToken '{next_token}' is not valid") from None
        page = await read_history_page(self.client, handle.id, start, limit, run_id)
        following = page.next_event_id
        return page.events, None if following is None else f"{following}:{page.run_id}"

    async def stop(self, flow: str, execution: str, error: str, cause: str) -> dict[str, Any]:
        """StopExecution: error and cause first, then Temporal's cancellation."""
        handle = self.client.get_workflow_handle(workflow_id(flow, execution))
        description, incarnation = await self._owned(handle, flow, execution)
        if status_of(description.status) != "Running" or description.close_time is not None:
            raise execution_already_completed(flow, execution)
        try:
            await stop_execution(handle, error, cause)
        except RPCError as refused:
            await _ended_first(handle, refused, flow, execution)
        await _wait_for_close(handle, 10)
        record = await self.describe(flow, execution)
        if record["Status"] not in ("Running", "Stopped"):
            raise execution_already_completed(flow, execution)  # it ended before the stop
        memo = await _memo(description)
        return record | {"RoleArn": str(memo.get("roleArn", incarnation.role_arn))}

    async def redrive(self, flow: str, execution: str) -> dict[str, Any]:
        """RedriveExecution: a failed or stopped execution of the live flow goes on from the
        step where it ended, in a new run of its workflow (worker/redrive.py)."""
        handle = self.client.get_workflow_handle(workflow_id(flow, execution))
        _, incarnation = await self._owned(handle, flow, execution)
        check_mode(incarnation, STANDARD)  # as Step Functions: Standard executions only
        try:
            await redrive(self.client, handle.id, self.task_queue, self.redrive_limits)
        except NotRedrivable as refusal:
            raise execution_not_redrivable(flow, execution, str(refusal)) from None
        return await self.describe(flow, execution)

    async def stop_incarnation(self, record: dict[str, Any]) -> int:
        """DeleteFlow: stop every running execution of the deleted incarnation (`record` is
        the flow as it was), as the documentation says they stop. Returns how many."""
        incarnation = Incarnation.of(record)
        query = all_of(
            equals(FLOW_NAME.name, incarnation.flow),
            equals("WorkflowType", WORKFLOW_NAME),
            equals("ExecutionStatus", "Running"),
            incarnation.clause(),
        )
        running = [execution async for execution in self.client.list_workflows(query)]
        cause = f"flow {incarnation.flow} was deleted"
        slots = asyncio.Semaphore(STOPS_AT_ONCE)

        async def stop_one(execution: WorkflowExecution) -> None:
            handle = self.client.get_workflow_handle(execution.id, run_id=execution.run_id)
            async with slots:
                try:
                    await stop_execution(handle, FLOW_DELETED, cause)
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise

        await asyncio.gather(*(stop_one(execution) for execution in running))
        return len(running)

    async def _definition(
        self, flow: str, qualifier: str | None
    ) -> tuple[str, Incarnation, str | None]:
        """The definition to run, its flow's incarnation, and the version `qualifier` picked
        (None without a qualifier: the flow's current definition)."""
        try:
            if not qualifier:
                record = await self.store.describe(flow)
                return str(record["Definition"]), Incarnation.of(record), None
            state = await self.store.state(flow)
        except FlowNotFound:
            raise flow_not_exists(flow) from None
        alias = state.aliases.get(qualifier)
        version = pick_version(alias) if alias is not None else qualifier
        for published in state.versions:
            if published["Version"] == str(version):
                return str(published["Definition"]), Incarnation.of(state.record), str(version)
        raise invalid_argument(f"flow {flow} has no version or alias named {qualifier}")

    async def _subflows(self, graph: FlowGraph) -> dict[str, Any]:
        """Every sub-flow reachable from the graph, compiled now (pinned, DESIGN 2)."""
        found: dict[str, Any] = {}
        pending = _referenced(graph)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            try:
                child = _compile(str((await self.store.describe(name))["Definition"]), name)
            except (FlowNotFound, ServiceError):
                continue  # fails at run time with fnf.FlowNotExists, as on the service
            found[name] = dict(child)
            pending |= _referenced(child) - set(found)
        return found

    async def _incarnation(self, flow: str) -> Incarnation:
        return Incarnation.of(await self._flow_record(flow))

    async def _flow_record(self, flow: str) -> dict[str, Any]:
        """The flow's record; its current definition is the one most executions ran."""
        try:
            record = await self.store.describe(flow)
        except FlowNotFound:
            raise flow_not_exists(flow) from None
        self.definitions.remember(str(record.get("Definition", "")))
        return record

    async def _owned(
        self, handle: WorkflowHandle[Any, Any], flow: str, execution: str
    ) -> tuple[WorkflowExecutionDescription, Incarnation]:
        """The execution's description, when it belongs to the flow's live incarnation;
        FlowNotExists for a deleted flow, ExecutionNotExists for another incarnation's."""
        incarnation = await self._incarnation(flow)
        description = await self._describe(handle, flow, execution)
        if not incarnation.owns(await _memo(description), description.start_time):
            raise execution_not_exists(flow, execution)
        return description, incarnation

    async def _describe(
        self, handle: WorkflowHandle[Any, Any], flow: str, execution: str
    ) -> WorkflowExecutionDescription:
        try:
            return await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                await self._incarnation(flow)
                raise execution_not_exists(flow, execution) from None
            raise

    async def _record(
        self,
        handle: WorkflowHandle[Any, Any],
        description: WorkflowExecutionDescription,
        flow: str,
        execution: str,
    ) -> dict[str, Any]:
        status = status_of(description.status)
        memo = await _memo(description)
        record: dict[str, Any] = {
            "Name": execution,
            "FlowName": flow,
            "Status": status,
            "StartedTime": memo.get(STARTED_TIME) or _time(description.start_time),
            "StoppedTime": _time(description.close_time) if status != "Running" else "",
            "RedriveCount": int(memo.get(REDRIVE_COUNT, 0)),
            "RedriveTime": str(memo.get(REDRIVE_TIME, "")),
        }
        return record | await self._data(handle, status, memo)

    async def _data(
        self, handle: WorkflowHandle[Any, Any], status: str, memo: dict[str, Any]
    ) -> dict[str, Any]:
        """The documented data fields of an execution: its pinned definition and input (from
        its memo, else from its first run's start), its output once it succeeded (the close
        event of `handle`'s run), and its flow's Environment."""
        facts = MemoData.of(memo)
        definition = self.definitions.get(facts.definition_key) if facts.definition_key else None
        text = facts.input
        if definition is None or text is None:
            run = await _first_input(self.client, handle.id)
            if definition is None:
                definition = str(run.get("definition", "")) if run else ""
            if text is None:
                text = input_text(run.get("input", {}) if run else {})
        data: dict[str, Any] = {
            "FlowDefinition": definition,
            "Input": text,
            "Output": "",
            "Environment": memo.get("environment", EMPTY_ENVIRONMENT),
        }
        if status == "Succeeded":
            data["Output"] = input_text(await handle.result(follow_runs=handle.run_id is None))
        return data


REDRIVABLE = frozenset(
    {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.CANCELED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
    }
)
"""Statuses of runs that a redrive may have gone on from (Temporal's reuse policy
ALLOW_DUPLICATE_FAILED_ONLY admits a new run after these)."""


def _started(run: WorkflowExecution) -> datetime:
    return run.start_time


FLOW_DELETED = "FnF.FlowDeleted"
"""The Error a running execution stops with when its flow is deleted."""
STOPS_AT_ONCE = 20
"""DeleteFlow stops a flow's running executions this many at a time."""
DATA_READS_AT_ONCE = 32
"""ListExecutions reads this many executions' histories at a time for their data."""


def check_mode(incarnation: Incarnation, mode: str | None) -> None:
    """StartExecution serves Standard flows only, StartSyncExecution Express flows only (FnF's
    StartExecution and StartSyncExecution pages); the other gets ActionNotSupported, with the
    message the StartSyncExecution page shows for a Standard flow."""
    if mode is not None and incarnation.mode != mode:
        raise ServiceError("ActionNotSupported", f"{incarnation.mode} execution is not supported")


async def _memo(source: WorkflowExecution) -> dict[str, Any]:
    """What the API recorded about the execution's flow at start (empty for older ones)."""
    try:
        value = await source.memo_value(EXECUTION_MEMO, default={})
    except (KeyError, TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


BAD_RUN = (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)
"""What Temporal answers for a NextToken's run id that names no run of the execution."""


def _history_position(next_token: str | None) -> tuple[int, str | None]:
    if not next_token:
        return 1, None
    event_id, _, run_id = next_token.partition(":")
    if not event_id.isdigit() or int(event_id) < 1:
        raise invalid_argument(f"NextToken '{next_token}' is not valid")
    return int(event_id), run_id or None


def pick_version(alias: dict[str, Any]) -> str:
    """An alias routes to one of its versions by weight (RoutingConfigurations)."""
    routes = alias.get("RoutingConfigurations") or []
    weights = [max(int(route.get("Weight", 0)), 0) for route in routes]
    if not routes or sum(weights) == 0:
        return str(alias.get("Version", ""))
    return str(random.choices(routes, weights=weights)[0]["Version"])


def _compile(definition: str, flow: str) -> FlowGraph:
    try:
        return compile_text(definition, f"{flow}.yaml")
    except FlowValidationError as error:
        raise invalid_argument(str(error)) from None


def _referenced(graph: FlowGraph) -> set[str]:
    return {
        step["resource"]["flow"]
        for step in iter_steps(graph["steps"])
        if step["type"] == "task" and step["resource"]["kind"] == "fnf-flow"
    }


async def _first_input(client: Client, workflow_id_: str) -> dict[str, Any] | None:
    """The first run's FlowRun (input and definition), read from its start event."""
    handle = client.get_workflow_handle(workflow_id_)
    first_run = (await handle.describe()).raw_description.workflow_execution_info
    run_id = first_run.first_run_id or first_run.execution.run_id
    history = client.get_workflow_handle(workflow_id_, run_id=run_id)
    async for event in history.fetch_history_events(page_size=1):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        decoded = await client.data_converter.decode(payloads, flow_run_hints(len(payloads)))
        value = flow_run_of(*decoded) if len(decoded) == 2 else decoded[0]
        assert isinstance(value, FlowRun)
        definition = value.definition
        if value.definition_ref and not value.definition_flow:  # by reference (definitions.py)
            definition = (await load_pinned(client, value.definition_ref)).definition
        return {"input": value.input, "definition": definition}
    return None


async def _failure(client: Client, handle: WorkflowHandle[Any, Any]) -> tuple[str, str]:
    """(error, cause) of a closed, unsuccessful execution."""
    try:
        await handle.result()
    except WorkflowFailureError as failure:
        if isinstance(failure.cause, CancelledError):  # stopped: StopExecution's Error, Cause
            error, cause = await stop_of(client, handle.id)
            return error or STOPPED, cause
        return failure_of(failure.cause)
    return "", ""


async def _wait_for_close(handle: WorkflowHandle[Any, Any], seconds: float) -> None:
    try:
        await asyncio.wait_for(handle.result(), seconds)
    except (TimeoutError, WorkflowFailureError):
        return
    except RPCError:
        return


async def _ended_first(
    handle: WorkflowHandle[Any, Any], refused: RPCError, flow: str, execution: str
) -> None:
    """StopExecution lost the race with the execution's own end: Temporal refuses the stop's
    signal with NOT_FOUND ("workflow execution already completed"; a cancellation of a closed
    workflow is accepted, so the caller also checks how it ended). That is FnF's
    ExecutionAlreadyCompleted, unless the execution did end Stopped (another stop won), which
    the caller then describes."""
    if refused.status != RPCStatusCode.NOT_FOUND:
        raise refused
    if status_of((await handle.describe()).status) != "Stopped":
        raise execution_already_completed(flow, execution) from None


def _listed(execution: WorkflowExecution) -> dict[str, Any] | None:
    names = split_workflow_id(execution.id)
    if names is None:
        return None  # not an FnF execution's id (the query asked for FnFFlow workflows only)
    flow, name = names
    status = status_of(execution.status)
    return {
        "Name": name,
        "FlowName": flow,
        "Status": status,
        "StartedTime": _time(execution.start_time),
        "StoppedTime": _time(execution.close_time) if status != "Running" else "",
    }


def _time(moment: datetime | None) -> str:
    return format_time(moment) if moment is not None else ""
