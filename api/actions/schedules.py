"""CreateSchedule, UpdateSchedule, DeleteSchedule, DescribeSchedule, ListSchedules."""

from __future__ import annotations

import json
from typing import Any

from api.actions.context import ApiContext
from api.actions.params import Params
from translator import names


def _payload(params: Params) -> str | None:
    """Payload is the executions' input: a JSON object, kept as the text the user sent."""
    if "Payload" not in params.values:
        return None
    params.json_object("Payload")
    return params.text("Payload") or json.dumps({})


async def create_schedule(ctx: ApiContext, params: Params) -> dict[str, Any]:
    enable = params.boolean("Enable")
    result: dict[str, Any] = await ctx.schedules.create(
        flow=params.name("FlowName", names.FLOW),
        name=params.name("ScheduleName", names.SCHEDULE),
        cron=params.required("CronExpression", max_len=256),
        description=params.text("Description", max_len=4096),
        payload=_payload(params) or "{}",
        enable=True if enable is None else enable,
    )
    return result


async def update_schedule(ctx: ApiContext, params: Params) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.schedules.update(
        flow=params.name("FlowName", names.FLOW),
        name=params.name("ScheduleName", names.SCHEDULE),
        cron=params.text("CronExpression", max_len=256) or None,
        description=params.text("Description", max_len=4096)
        if "Description" in params.values
        else None,
        payload=_payload(params),
        enable=params.boolean("Enable"),
    )
    return result


async def delete_schedule(ctx: ApiContext, params: Params) -> dict[str, Any]:
    await ctx.schedules.delete(
        flow=params.name("FlowName", names.FLOW), name=params.name("ScheduleName", names.SCHEDULE)
    )
    return {}


async def describe_schedule(ctx: ApiContext, params: Params) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.schedules.describe(
        flow=params.name("FlowName", names.FLOW), name=params.name("ScheduleName", names.SCHEDULE)
    )
    return result


async def list_schedules(ctx: ApiContext, params: Params) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.schedules.list(
        flow=params.name("FlowName", names.FLOW),
        limit=params.integer("Limit", 60, 1, 1000),
        next_token=params.text("NextToken") or None,
    )
    return result
