"""`fnf graph FILE [--format mermaid|svg|html] [--execution NAME]`: a flow's step graph, and
the path an execution of it took.

Mermaid text stays the default (for docs and reviews); `svg` and `html` are drawn by
translator/diagram, the same drawing the console pages show. `--execution` reads the
execution's history from a running `fnf api` the way `fnf exec history` does (signed calls,
every page), and draws the definition the execution ran (DescribeExecution's FlowDefinition),
which may differ from FILE's current text.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.api_client import ApiClient
from cli.output import call, call_pages
from translator import FlowGraph, compile_document, validate_text
from translator.diagram.html import render_html
from translator.diagram.layout import layout_flow
from translator.diagram.model import END, START
from translator.diagram.path import ExecutionPath, execution_path
from translator.diagram.svg import render_svg
from translator.flow_files import flow_name_from_file
from translator.mermaid import render_mermaid

HISTORY_PAGE = 1000


class Format(StrEnum):
    mermaid = "mermaid"
    svg = "svg"
    html = "html"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="mermaid (text), svg or html (a standalone page).")
]
ExecutionOpt = Annotated[
    str | None,
    typer.Option(
        "--execution", "-e", help="Draw the path this execution took (read from fnf api)."
    ),
]
FlowNameOpt = Annotated[
    str | None,
    typer.Option("--flow", help="The flow's name in fnf api (default: from the file's name)."),
]
IterationOpt = Annotated[
    int | None,
    typer.Option(
        "--iteration",
        min=0,
        help="With --execution: draw this foreach iteration's path (0 is the first; default: all).",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


def draw(
    graph: FlowGraph,
    fmt: Format,
    path: ExecutionPath | None,
    iteration: int | None,
    title: str,
) -> str:
    """The graph in the format asked for, with the execution's path when given."""
    if fmt is Format.mermaid:
        if path is None:
            return render_mermaid(graph)
        view = path.view(iteration)
        statuses = {key: view.status(key) for key in view.statuses}
        statuses |= {START: view.status(START), END: view.status(END)}
        return render_mermaid(graph, statuses, view.edges)
    diagram = layout_flow(graph)
    if fmt is Format.svg:
        return render_svg(diagram, path, iteration)
    return render_html(diagram, path, iteration, title=title)


def read_execution(
    flow: str, execution: str, endpoint: str, access_key_id: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """The execution's pinned definition and every event of its history."""
    client = ApiClient(endpoint, access_key_id)
    described = call(client, "DescribeExecution", {"FlowName": flow, "ExecutionName": execution})
    events = call_pages(
        client,
        "GetExecutionHistory",
        {"FlowName": flow, "ExecutionName": execution},
        "Events",
        HISTORY_PAGE,
    )
    return str(described.get("FlowDefinition") or ""), events


def pinned_graph(definition: str, fallback: FlowGraph) -> FlowGraph:
    """The execution's own definition compiled, or FILE's graph when it has none usable."""
    if not definition:
        return fallback
    result = validate_text(definition, "execution")
    if result.document is None or result.errors:
        return fallback
    return compile_document(result.document)


def write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")


def execution_view(
    file: Path,
    graph: FlowGraph,
    execution: str,
    flow: str | None,
    endpoint: str,
    access_key_id: str | None,
) -> tuple[FlowGraph, ExecutionPath]:
    name = flow or flow_name_from_file(file)
    definition, events = read_execution(name, execution, endpoint, access_key_id)
    pinned = pinned_graph(definition, graph)
    return pinned, execution_path(events, pinned)


def check_iteration(path: ExecutionPath, iteration: int | None) -> None:
    """--iteration names an iteration some foreach step of the execution ran; otherwise a
    usage mistake saying how many each ran (0 is the first)."""
    if iteration is None:
        return
    fans = path.view(None).foreach
    ran = {key: fan.total for key, fan in fans.items() if fan.total}
    if not ran:
        raise typer.BadParameter(
            f"{iteration}: the execution ran no foreach iteration.", param_hint="'--iteration'"
        )
    if iteration >= max(ran.values()):
        names = {step.key: step.name for step in path.view(None).steps.values()}
        counts = ", ".join(f"{names.get(k, k)} ran {n}" for k, n in sorted(ran.items()))
        raise typer.BadParameter(
            f"{iteration} is past the last iteration ({counts}; the first is 0).",
            param_hint="'--iteration'",
        )
