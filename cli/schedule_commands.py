"""`fnf schedule create|update|describe|list|delete`: time-based schedules on `fnf api`.

fnf schedule create timer every-minute --cron "0 * * * * *" --payload '{"a": 1}'
fnf schedule update timer every-minute --disable
fnf schedule list timer
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.api_client import DEFAULT_API, ApiClient, DescriptionOpt, FlowArg, JsonOpt, with_api_client
from cli.output import (
    call,
    call_pages,
    fail,
    json_object_text,
    print_json,
    print_record,
    print_rows,
    print_text,
)

app = typer.Typer(help="Schedules on the FnF API (fnf api).", no_args_is_help=True)

SCHEDULE_FIELDS = (
    "ScheduleName",
    "ScheduleId",
    "CronExpression",
    "Enable",
    "Payload",
    "Description",
    "CreatedTime",
    "LastModifiedTime",
)
ScheduleArg = Annotated[str, typer.Argument(help="The schedule's name")]
CronOpt = Annotated[
    str | None,
    typer.Option("--cron", help="CronExpression: 5 or 6 fields, CRON_TZ=..., or @every 1m"),
]
PayloadOpt = Annotated[
    str | None,
    typer.Option("--payload", help="Each execution's input: JSON object, @file or @- (stdin)"),
]
EnableOpt = Annotated[
    bool | None, typer.Option("--enable/--disable", help="Start executions or not")
]


@app.command()
@with_api_client
def create(
    flow: FlowArg,
    schedule: ScheduleArg,
    cron: CronOpt = None,
    payload: PayloadOpt = None,
    description: DescriptionOpt = None,
    enable: EnableOpt = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """CreateSchedule: start FLOW on --cron's times (enabled unless --disable)."""
    if cron is None:
        fail("--cron is required: a cron expression such as '0 */5 * * * *'")
    parameters = _parameters(flow, schedule, cron, payload, description, enable)
    _show(call(api, "CreateSchedule", parameters), as_json, "created")


@app.command()
@with_api_client
def update(
    flow: FlowArg,
    schedule: ScheduleArg,
    cron: CronOpt = None,
    payload: PayloadOpt = None,
    description: DescriptionOpt = None,
    enable: EnableOpt = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """UpdateSchedule: change what is given, keep the rest."""
    if cron is None and payload is None and description is None and enable is None:
        fail("nothing to update: give --cron, --payload, --description, --enable or --disable")
    parameters = _parameters(flow, schedule, cron, payload, description, enable)
    _show(call(api, "UpdateSchedule", parameters), as_json, "updated")


@app.command()
@with_api_client
def describe(
    flow: FlowArg,
    schedule: ScheduleArg,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """DescribeSchedule."""
    names = {"FlowName": flow, "ScheduleName": schedule}
    _show(call(api, "DescribeSchedule", names), as_json, "")


@app.command("list")
@with_api_client
def list_(
    flow: FlowArg,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """ListSchedules of FLOW, every page."""
    client = api
    found = call_pages(client, "ListSchedules", {"FlowName": flow}, "Schedules", 1000)
    if as_json:
        print_json({"Schedules": found})
        return
    print_rows(
        found,
        ("ScheduleName", "CronExpression", "Enable", "Payload", "LastModifiedTime"),
        empty=f"no schedules of {flow}",
    )


@app.command()
@with_api_client
def delete(
    flow: FlowArg,
    schedule: ScheduleArg,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """DeleteSchedule."""
    names = {"FlowName": flow, "ScheduleName": schedule}
    answer = call(api, "DeleteSchedule", names)
    if as_json:
        print_json(answer)
        return
    print_text(f"deleted schedule {schedule} of flow {flow}", style="green")


def _parameters(
    flow: str,
    schedule: str,
    cron: str | None,
    payload: str | None,
    description: str | None,
    enable: bool | None,
) -> dict[str, Any]:
    return {
        "FlowName": flow,
        "ScheduleName": schedule,
        "CronExpression": cron,
        "Payload": json_object_text(payload, "--payload"),
        "Description": description,
        "Enable": enable,
    }


def _show(answer: dict[str, Any], as_json: bool, done: str) -> None:
    if as_json:
        print_json(answer)
        return
    if done and "ScheduleName" in answer:
        print_text(f"{done} schedule {answer['ScheduleName']}", style="green")
    print_record(answer, SCHEDULE_FIELDS)
