"""What the console shows of an execution beside its graph: each run of a step (for the step
panel and the callback forms) and each event's row (for the event table), both read from
translator.diagram.path, the one model of an execution's path that `fnf graph --execution`
draws as well.

A run shows its input, its output (none for a step that failed or produced nothing), its
error and cause, and each attempt with its own result.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from translator.diagram.path import ExecutionPath, StepVisit

STATUS_WORDS = {
    "Succeeded": "succeeded",
    "Failed": "failed",
    "Stopped": "stopped",
    "TimedOut": "timed out",
}
"""How the header says when a closed execution ended: DescribeExecution's Status (FnF API
2019-03-15: Running, Stopped, Succeeded, Failed, and TimedOut for a run past its limit)."""


def run_json(run: StepVisit, shown: Callable[[Any], str]) -> dict[str, Any]:
    """One run for the step panel; `shown` turns a JSON value into the text shown."""
    return {
        "node": run.key,
        "name": run.name,
        "within": "/".join(run.within),
        "status": run.status,
        "entered": run.entered,
        "input": shown(run.input),
        "output": None if run.output is None else shown(run.output),
        "error": run.error or "",
        "cause": run.cause or "",
        "attempts": [vars(a) for a in run.tries],
        "taskToken": run.task_token,
        "caught": run.caught,
        "events": run.events,
    }


def runs_by_node(path: ExecutionPath, shown: Callable[[Any], str]) -> dict[str, list[Any]]:
    runs: dict[str, list[Any]] = {}
    for run in path.runs:
        runs.setdefault(run.key, []).append(run_json(run, shown))
    return runs


def event_row(event: dict[str, Any], path: ExecutionPath, shown: Callable[[Any], str]) -> Any:
    """One row of the event table: where the event ran (its member and step node)."""
    event_id = int(event.get("EventId") or 0)
    within, node = path.placed.get(event_id, ("", ""))
    detail: Any = event.get("EventDetail", "")
    with contextlib.suppress(ValueError, TypeError):
        detail = json.loads(detail)
    return {
        "id": event_id,
        "time": str(event.get("Time", "")),
        "type": str(event.get("Type", "")),
        "step": str(event.get("StepName", "")),
        "within": within,
        "node": node,
        "detail": shown(detail),
    }


EVENT_ROW = (
    '<tr data-node="{node}" data-type="{type}" data-step="{step}">'
    '<td>{id}</td><td class="time">{clock}</td><td class="type">{type}</td>'
    "<td>{within}{step}</td>"
    '<td><button type="button" class="link toggle" aria-expanded="false" '
    'aria-controls="detail-{id}">JSON</button></td></tr>\n'
    '<tr class="detail-row" id="detail-{id}" data-event="{id}" hidden><td colspan="5">'
    "<pre>{detail}</pre></td></tr>\n"
)
WITHIN = '<span class="within">{}/</span>'


def event_html(row: dict[str, Any]) -> Markup:
    """The event's two table rows (the event, and its detail shown on demand), made once per
    event: markupsafe escapes every value put in."""
    values = {key: str(escape(value)) for key, value in row.items()}
    values["clock"] = str(escape(row["time"][11:23]))
    values["within"] = WITHIN.format(values["within"]) if row["within"] else ""
    return Markup(EVENT_ROW.format(**values))


def waiting(path: ExecutionPath) -> list[StepVisit]:
    """The runs waiting for a callback, with their tokens."""
    return [r for r in path.runs if r.task_token and r.status == "waiting"]
