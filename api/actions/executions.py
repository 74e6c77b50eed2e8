"""StartExecution, StartSyncExecution, StopExecution, RedriveExecution, DescribeExecution,
ListExecutions, GetExecutionHistory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.actions.context import ApiContext
from api.actions.params import Params, invalid
from translator import names
from translator.model.steps import parse_rfc3339
from worker.callbacks.tokens import InvalidTaskToken, TaskToken

STATUSES = ("Running", "Stopped", "Succeeded", "Failed", "TimedOut", "Starting")

MAP_RUNS_UNSUPPORTED = (
    "MapRunName is not supported: fnf-temporal starts no map runs (DescribeMapRun and "
    "UpdateMapRun are not supported either), so it cannot list a map run's executions."
)
"""ListExecutions' MapRunName filters the child executions a MapRun (a distributed-mode
map) started (API 2019-03-15, ListExecutions); fnf-temporal has no map runs, and a filter it
cannot apply is refused rather than ignored, which would list every execution."""


async def start_execution(ctx: ApiContext, params: Params) -> dict[str, Any]:
    return await ctx.executions.start(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION, required=False) or None,
        params.json_object("Input"),
        qualifier(params),
        callback_token=callback_token(params),
    )


def callback_token(params: Params) -> str:
    """StartExecution's CallbackFnFTaskToken: the task this execution reports its end to. A
    text that is no task token this service issues is refused here, since the report made when
    the execution ends could only be refused, out of the user's sight (only the worker logs
    it), after the execution has done its work."""
    token = params.text("CallbackFnFTaskToken", max_len=1024)
    if not token:
        return token
    try:
        TaskToken.decode(token)
    except InvalidTaskToken as error:
        raise invalid(f"CallbackFnFTaskToken: {error}") from None
    return token


async def start_sync_execution(ctx: ApiContext, params: Params) -> dict[str, Any]:
    """The name given is the stem of the execution's name (`<stem>:<uuid>`)."""
    return await ctx.executions.start_sync(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION_STEM, required=False) or None,
        params.json_object("Input"),
        qualifier(params),
    )


def qualifier(params: Params) -> str | None:
    """StartExecution's and ListExecutions' Qualifier: a published version number or an alias
    name."""
    value = params.text("Qualifier", max_len=128)
    if not value:
        return None
    if names.FLOW_VERSION.is_valid(value) or names.ALIAS.is_valid(value):
        return value
    raise invalid(
        f"Qualifier '{value}' is neither a flow version (a number from 1 "
        "up) nor an alias name (1-128 letters, digits, '_' or '-', starting with a letter or '_')."
    )


async def stop_execution(ctx: ApiContext, params: Params) -> dict[str, Any]:
    return await ctx.executions.stop(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION),
        params.text("Error", max_len=128),
        params.text("Cause", max_len=4096),
    )


async def redrive_execution(ctx: ApiContext, params: Params) -> dict[str, Any]:
    return await ctx.executions.redrive(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION),
    )


async def describe_execution(ctx: ApiContext, params: Params) -> dict[str, Any]:
    return await ctx.executions.describe(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION),
        wait_seconds=params.integer("WaitTimeSeconds", 0, 0, 60),
    )


async def list_executions(ctx: ApiContext, params: Params) -> dict[str, Any]:
    if params.text("MapRunName", max_len=128):
        raise invalid(MAP_RUNS_UNSUPPORTED)
    status = params.text("Status")
    if status and status not in STATUSES:
        raise invalid(f"Status must be one of {', '.join(STATUSES)}, got '{status}'")
    found, token = await ctx.executions.list_executions(
        params.name("FlowName", names.FLOW),
        status=status or None,
        name_prefix=_name_prefix(params),
        started_after=_time(params, "StartedTimeBegin"),
        started_before=_time(params, "StartedTimeEnd"),
        limit=params.integer("Limit", 60, 1, 100),
        next_token=params.text("NextToken") or None,
        metadata_only=params.boolean("MetadataOnly") or False,
        qualifier=qualifier(params),
    )
    body: dict[str, Any] = {"Executions": found}
    if token:
        body["NextToken"] = token
    return body


async def get_execution_history(ctx: ApiContext, params: Params) -> dict[str, Any]:
    events, token = await ctx.executions.history(
        params.name("FlowName", names.FLOW),
        params.name("ExecutionName", names.EXECUTION),
        params.integer("Limit", 60, 1, 1000),
        params.text("NextToken") or None,
    )
    body: dict[str, Any] = {"Events": events}
    if token:
        body["NextToken"] = token
    return body


def _name_prefix(params: Params) -> str | None:
    """ExecutionNamePrefix: refused unless some execution name could start with it, so what
    reaches the visibility query is always a piece of a name."""
    prefix = params.text("ExecutionNamePrefix", max_len=names.EXECUTION.longest)
    if prefix and not names.EXECUTION.may_start(prefix):
        raise invalid(
            f"ExecutionNamePrefix '{prefix}' starts no valid execution name: {names.EXECUTION.rule}"
        )
    return prefix or None


def _time(params: Params, name: str) -> str | None:
    raw = params.text(name)
    if not raw:
        return None
    moment = parse_rfc3339(raw)
    if moment is None:
        raise invalid(f"{name} must be an RFC 3339 time such as 2020-10-27T22:17:52Z, got '{raw}'")
    return _utc_text(moment)


def _utc_text(moment: datetime) -> str:
    """The moment in UTC, as visibility compares it. isoformat pads the year to four digits
    (strftime's %Y does not on glibc, and Temporal refuses "1-01-01T..."); an offset that
    would carry the moment past year 1 or 9999 is clamped there."""
    try:
        utc = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        utc = datetime.min if moment.year == 1 else datetime.max
    return utc.isoformat(timespec="microseconds") + "Z"
