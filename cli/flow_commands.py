"""`fnf flow create|update|describe|list|delete`: flow definitions on a running `fnf api`.

fnf flow create examples/saga/flow.yaml            # the flow `saga`
fnf flow update examples/saga/flow.yaml --description "v2"
fnf flow describe saga
fnf flow list --json
fnf flow delete saga
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.api_client import DEFAULT_API, ApiClient, DescriptionOpt, FlowArg, JsonOpt, with_api_client
from cli.output import (
    call,
    call_pages,
    fail,
    print_json,
    print_record,
    print_rows,
    print_text,
    read_text_file,
)
from translator.flow_files import exact_flow_name_from_file
from translator.names import InvalidName

app = typer.Typer(help="Flow definitions on the FnF API (fnf api).", no_args_is_help=True)

FLOW_FIELDS = (
    "Name",
    "Id",
    "Description",
    "Type",
    "ExecutionMode",
    "RoleArn",
    "CreatedTime",
    "LastModifiedTime",
)
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Flow name (default: the file name, if it is one)")
]
ModeOpt = Annotated[
    str | None, typer.Option("--mode", help="ExecutionMode: Standard (default) or Express")
]
RoleOpt = Annotated[str | None, typer.Option("--role-arn", help="RoleArn")]


@app.command()
@with_api_client
def create(
    file: Annotated[Path, typer.Argument(help="The FDL flow file (YAML or JSON)")],
    name: NameOpt = None,
    description: DescriptionOpt = None,
    mode: ModeOpt = None,
    role_arn: RoleOpt = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """CreateFlow from FILE (the flow is named after the file unless --name is given)."""
    flow = name or _name_of(file)
    answer = call(
        api,
        "CreateFlow",
        {
            "Name": flow,
            "Definition": read_text_file(file),
            "Description": description,
            "ExecutionMode": mode,
            "RoleArn": role_arn,
        },
    )
    _show(answer, as_json, f"created flow {flow}")


@app.command()
@with_api_client
def update(
    flow: Annotated[
        str, typer.Argument(help="A flow file (its definition is sent) or a flow's name")
    ],
    name: NameOpt = None,
    description: DescriptionOpt = None,
    mode: ModeOpt = None,
    role_arn: RoleOpt = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """UpdateFlow: a new definition from a file, and/or a new description or mode."""
    parameters: dict[str, Any] = {
        "Description": description,
        "ExecutionMode": mode,
        "RoleArn": role_arn,
    }
    path = Path(flow)
    if path.is_file():
        parameters["Name"] = name or _name_of(path)
        parameters["Definition"] = read_text_file(path)
    elif flow.endswith((".yaml", ".yml", ".json")):
        fail(f"cannot read {flow}: no such file")
    else:
        parameters["Name"] = name or flow
        if description is None and mode is None and role_arn is None:
            fail("nothing to update: give a flow file, --description, --mode or --role-arn")
    answer = call(api, "UpdateFlow", parameters)
    _show(answer, as_json, f"updated flow {parameters['Name']}")


@app.command()
@with_api_client
def describe(
    name: FlowArg,
    version: Annotated[
        str | None, typer.Option("--version", help="A published version's definition")
    ] = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """DescribeFlow: the flow's fields, then its whole definition."""
    answer = call(
        api,
        "DescribeFlow",
        {"Name": name, "FlowVersion": version},
    )
    _show(answer, as_json, "")


@app.command("list")
@with_api_client
def list_(
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many (default: all)")
    ] = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """ListFlows, every page (or the first --limit flows)."""
    client = api
    flows = call_pages(client, "ListFlows", {}, "Flows", 1000, limit)
    if as_json:
        print_json({"Flows": flows})
        return
    print_rows(
        flows,
        ("Name", "ExecutionMode", "LastModifiedTime", "Description"),
        empty="no flows",
    )


@app.command()
@with_api_client
def delete(
    name: FlowArg,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """DeleteFlow: the flow, its schedules, and its running executions (stopped)."""
    answer = call(api, "DeleteFlow", {"Name": name})
    _show(answer, as_json, f"deleted flow {name}")


def _name_of(file: Path) -> str:
    """The flow a file names, exactly (translator/flow_files.py): a cleaned-up name could be
    another file's flow, which an update would then overwrite."""
    try:
        return exact_flow_name_from_file(file)
    except InvalidName as invalid:
        fail(str(invalid))


def _show(answer: dict[str, Any], as_json: bool, done: str) -> None:
    if as_json:
        print_json(answer)
        return
    if done:
        print_text(done, style="green")
    if "Name" in answer:
        print_record(answer, FLOW_FIELDS)
    if not done and "Definition" in answer:
        print_text("")
        print_text(str(answer["Definition"]).rstrip("\n"))
