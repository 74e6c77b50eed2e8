"""`fnf exec start|list|describe|history|stop|redrive|watch`: executions on a running `fnf api`.

fnf exec start saga --input @examples/saga/input.json --name order-1 --watch
fnf exec list saga --status Failed
fnf exec describe saga order-1
fnf exec history saga order-1 --full
fnf exec stop saga order-1 --error Cancelled --cause "customer asked"
fnf exec redrive saga order-1 --watch
fnf exec watch saga order-1
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from cli.api_client import DEFAULT_API, ApiClient, ApiError, FlowArg, JsonOpt, with_api_client
from cli.errors import say_error
from cli.event_stream import EventStream, Outcome
from cli.options import FullOpt
from cli.output import (
    API_ERROR_STATUS,
    call,
    call_pages,
    json_object_text,
    print_json,
    print_record,
    print_rows,
    print_text,
)
from cli.process import CommandConsole, run_until_stopped
from translator import compile_document, validate_text
from translator.graph import StepNode

app = typer.Typer(help="Executions on the FnF API (fnf api).", no_args_is_help=True)

EXECUTION_FIELDS = (
    "Name",
    "FlowName",
    "Status",
    "StartedTime",
    "StoppedTime",
    "Input",
    "Output",
)
HISTORY_PAGE = 1000
WATCH_WAIT_SECONDS = 1
"""DescribeExecution's long poll between two history reads of `fnf exec watch`."""

ExecutionArg = Annotated[str, typer.Argument(help="The execution's name")]
WatchJsonOpt = Annotated[
    bool, typer.Option("--json", help="One JSON object per event line, then the outcome's.")
]


@app.command()
@with_api_client
def start(
    flow: FlowArg,
    input_: Annotated[
        str | None, typer.Option("--input", help="Input: a JSON object, @file.json, or @- (stdin)")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Execution name (default: the API's UUID)")
    ] = None,
    watch_: Annotated[
        bool, typer.Option("--watch", help="Then follow its events until it ends")
    ] = False,
    full: FullOpt = False,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """StartExecution of FLOW."""
    client = api
    parameters = {
        "FlowName": flow,
        "ExecutionName": name,
        "Input": json_object_text(input_, "--input"),
    }
    answer = call(client, "StartExecution", parameters)
    if watch_:
        if not as_json:
            print_text(f"started execution {answer.get('Name', '')} of flow {flow}", style="green")
        run_until_stopped(_watch(client, flow, str(answer.get("Name", "")), full, as_json))
    if as_json:
        print_json(answer)
        return
    print_text(f"started execution {answer.get('Name', '')} of flow {flow}", style="green")
    print_record(answer, EXECUTION_FIELDS)


@app.command("list")
@with_api_client
def list_(
    flow: FlowArg,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Running, Succeeded, Failed, Stopped or TimedOut"),
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Names starting with this")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many (default: all)")
    ] = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """ListExecutions of FLOW, newest first, every page (or the first --limit)."""
    parameters = {
        "FlowName": flow,
        "Status": status,
        "ExecutionNamePrefix": prefix,
        "MetadataOnly": None if as_json else True,
    }
    client = api
    found = call_pages(client, "ListExecutions", parameters, "Executions", 100, limit)
    if as_json:
        print_json({"Executions": found})
        return
    print_rows(
        found, ("Name", "Status", "StartedTime", "StoppedTime"), empty=f"no executions of {flow}"
    )


@app.command()
@with_api_client
def describe(
    flow: FlowArg,
    execution: ExecutionArg,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """DescribeExecution: status, times, input and output, whole."""
    answer = call(
        api,
        "DescribeExecution",
        {"FlowName": flow, "ExecutionName": execution},
    )
    if as_json:
        print_json(answer)
        return
    redriven = ("RedriveCount", "RedriveTime") if answer.get("RedriveCount") else ()
    print_record(answer, (*EXECUTION_FIELDS, *redriven))


@app.command()
@with_api_client
def history(
    flow: FlowArg,
    execution: ExecutionArg,
    full: FullOpt = False,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """GetExecutionHistory, every page: the events (indented by branch and iteration), then
    how the execution ended."""
    client = api
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        answer = call(
            client,
            "GetExecutionHistory",
            {
                "FlowName": flow,
                "ExecutionName": execution,
                "Limit": HISTORY_PAGE,
                "NextToken": token,
            },
        )
        events += answer.get("Events", [])
        token = answer.get("NextToken") or None
        if token is None:
            break
    if as_json:
        print_json({"Events": events})
        return
    described = call(client, "DescribeExecution", {"FlowName": flow, "ExecutionName": execution})
    view = EventStream(CommandConsole(), _steps(described), full=full, as_json=False)
    for event in events:
        view.show(event)
    outcome = view.outcome()
    if outcome is not None:
        view.show_outcome(outcome)


@app.command()
@with_api_client
def stop(
    flow: FlowArg,
    execution: ExecutionArg,
    error: Annotated[str | None, typer.Option("--error", help="Error (1-128 characters)")] = None,
    cause: Annotated[
        str | None, typer.Option("--cause", help="Cause (up to 4096 characters)")
    ] = None,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """StopExecution: whatever runs is cancelled; the execution ends Stopped."""
    answer = call(
        api,
        "StopExecution",
        {"FlowName": flow, "ExecutionName": execution, "Error": error, "Cause": cause},
    )
    if as_json:
        print_json(answer)
        return
    print_text(f"stopped execution {execution} of flow {flow}", style="yellow")
    print_record(answer, EXECUTION_FIELDS)


@app.command()
@with_api_client
def redrive(
    flow: FlowArg,
    execution: ExecutionArg,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow it until it ends (as `fnf exec watch`).")
    ] = False,
    full: FullOpt = False,
    api: ApiClient = DEFAULT_API,
    as_json: JsonOpt = False,
) -> None:
    """RedriveExecution: a failed or stopped execution goes on from the step where it ended;
    what completed keeps its results and does not run again."""
    client = api
    answer = call(client, "RedriveExecution", {"FlowName": flow, "ExecutionName": execution})
    if watch:
        run_until_stopped(_watch(client, flow, execution, full, as_json))
        return
    if as_json:
        print_json(answer)
        return
    count = answer.get("RedriveCount", 0)
    print_text(f"redrove execution {execution} of flow {flow} (redrive {count})", style="yellow")
    print_record(answer, (*EXECUTION_FIELDS, "RedriveCount", "RedriveTime"))


@app.command()
@with_api_client
def watch(
    flow: FlowArg,
    execution: ExecutionArg,
    full: FullOpt = False,
    api: ApiClient = DEFAULT_API,
    as_json: WatchJsonOpt = False,
) -> None:
    """Follow an execution: its events so far, then each as it happens, then how it ended
    (exit 0 when it succeeded, 1 otherwise)."""
    run_until_stopped(_watch(api, flow, execution, full, as_json))


async def _watch(client: ApiClient, flow: str, execution: str, full: bool, as_json: bool) -> int:
    """Read the history from where the last page ended; between reads, DescribeExecution
    long-polls for up to WATCH_WAIT_SECONDS, so a closing execution is seen at once."""
    names = {"FlowName": flow, "ExecutionName": execution}
    try:
        described = await asyncio.to_thread(client.call, "DescribeExecution", names)
        view = EventStream(CommandConsole(), _steps(described), full=full, as_json=as_json)
        await _follow(client, names, view)
    except ApiError as error:
        say_error(f"{error.code}: {' '.join(error.message.split())}")
        return API_ERROR_STATUS
    outcome = view.outcome() or Outcome(str(described.get("Status", "")))
    view.show_outcome(outcome)
    return 0 if outcome.Status == "Succeeded" else 1


async def _follow(client: ApiClient, names: dict[str, str], view: EventStream) -> None:
    token: str | None = None
    next_event, run_hint, closed = 1, "", False
    while True:
        page = await asyncio.to_thread(
            client.call,
            "GetExecutionHistory",
            {**names, "Limit": HISTORY_PAGE, "NextToken": token},
        )
        for event in page.get("Events", []):
            view.show(event)
            next_event = int(event.get("EventId", next_event)) + 1
        issued = page.get("NextToken") or ""
        if issued:
            token, run_hint = issued, issued.partition(":")[2]
            continue
        if view.terminal is not None or closed:
            return  # ended (or closed, and a read after the close found no terminal event)
        token = _at(next_event, run_hint)
        status = await asyncio.to_thread(
            client.call, "DescribeExecution", {**names, "WaitTimeSeconds": WATCH_WAIT_SECONDS}
        )
        closed = status.get("Status") != "Running"


def _at(event_id: int, run_id: str) -> str:
    """A NextToken for reading on from `event_id` (in `run_id` when known)."""
    return f"{event_id}:{run_id}" if run_id else str(event_id)


def _steps(described: dict[str, Any]) -> list[StepNode] | None:
    """The execution's compiled steps, to place events in branches (None if it does not
    compile: the events are then shown unindented)."""
    result = validate_text(str(described.get("FlowDefinition", "")), "flow.yaml")
    if result.document is None or result.errors:
        return None
    try:
        return list(compile_document(result.document)["steps"])
    except Exception:
        return None
