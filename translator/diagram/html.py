"""A standalone HTML page around a flow's SVG diagram: no script or style from anywhere else,
so it opens offline from a file (`fnf graph FLOW --format html`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from translator.diagram.model import FlowDiagram
from translator.diagram.path import STATUS_TEXT, ExecutionPath
from translator.diagram.svg import render_svg, xml_text

PAGE_STYLE = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #202124; background: #ffffff; }
header { padding: 12px 16px; border-bottom: 1px solid #dadce0; }
header h1 { font-size: 16px; margin: 0; }
header p { margin: 4px 0 0; color: #5f6368; font-size: 13px; }
main { display: flex; gap: 16px; padding: 16px; align-items: flex-start; }
.graph { overflow: auto; flex: 0 0 auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 12px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff1;
  vertical-align: top; }
td pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-width: 420px; }
"""


def render_html(
    diagram: FlowDiagram,
    path: ExecutionPath | None = None,
    iteration: int | Mapping[str, int] | None = None,
    title: str = "flow",
) -> str:
    """One HTML document: a heading, the SVG, and with a path a table of the steps it
    reached (status, attempts, input, output, error, cause)."""
    heading = xml_text(title)
    summary = ""
    if path is not None:
        summary = f"<p>execution {xml_text(path.status)}"
        if path.error:
            summary += f" · error {xml_text(path.error)}"
        summary += f" · {path.events} events</p>"
    table = _steps_table(diagram, path, iteration) if path is not None else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>{PAGE_STYLE}</style></head>\n"
        f"<body><header><h1>{heading}</h1>{summary}</header>\n"
        f'<main><div class="graph">{render_svg(diagram, path, iteration)}</div>'
        f"{table}</main>\n</body></html>\n"
    )


def _steps_table(
    diagram: FlowDiagram, path: ExecutionPath, iteration: int | Mapping[str, int] | None
) -> str:
    view = path.view(iteration)
    rows = []
    for node in diagram.steps():
        step = view.step(node.id, node.name)
        if step is None:
            continue
        cells = [
            xml_text(node.name),
            xml_text(STATUS_TEXT[view.status(node.id, node.name)]),
            str(step.attempts or ""),
            _json_cell(step.input),
            _json_cell(step.output),
            xml_text(step.error or ""),
            xml_text(step.cause or ""),
        ]
        rows.append(
            f'<tr data-step="{xml_text(node.name)}">'
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("step", "status", "attempts", "input", "output", "error", "cause")
    )
    return (
        f'<table class="steps"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    return f"<pre>{xml_text(json.dumps(value, indent=1, ensure_ascii=False))}</pre>"
