"""The FnF events a user reads stay the same however the interpreter keeps them while a run
goes on (worker/interpreter/events.py rows): every event of these flows, read through the
`history` query (the live log) and from the archive each run writes as it closes, equals the
events recorded before the rows (fixtures/events/<case>.json, written by
`FNF_WRITE_EVENT_FIXTURES=1 pytest tests/worker/test_event_rows.py`), Time aside (each run
has its own clock)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.worker.conftest import RunFlow
from worker.execution import HistoryRequest
from worker.history import run_chain

FIXTURES = Path(__file__).parent / "fixtures" / "events"
WRITE = os.environ.get("FNF_WRITE_EVENT_FIXTURES") == "1"

FUNCTIONS = FIXTURES / "no-functions.yaml"
"""No such file: an empty function registry, so the task fails with a cause that names no
file and no function list."""
LOOP = (Path(__file__).parents[1] / "replay" / "flows" / "inline-loop.yaml").read_text()

NESTED = """\
version: v1
type: flow
steps:
  - type: pass
    name: Init
    inputMappings:
      - {target: label, source: $input.label}
      - {target: items, source: $input.items}
      - {target: wide, source: $input.wide}
    outputMappings:
      - {target: items, source: $input.items}
      - {target: wide, source: $input.wide}
      - {target: label, source: $input.label}
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: choice
        name: Pick
        choices:
          - condition: $.item > 2
            steps:
              - type: pass
                name: Big
                outputMappings:
                  - {target: size, source: big}
                  - {target: item, source: $input.item}
        default:
          steps:
            - type: pass
              name: Small
              outputMappings:
                - {target: size, source: small}
    outputMappings:
      - target: sizes
        source: $local[*].size
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: pass
            name: Left
            outputMappings:
              - {target: side, source: left}
      - steps:
          - type: pass
            name: Right
  - type: task
    name: Check
    resourceArn: acs:fc:::services/demo/functions/no-such-function
    inputMappings:
      - {target: item, source: bad}
    errorMappings:
      - {target: why, source: $local.cause}
    catch:
      - errors: [FnF.ALL]
        goto: Recovered
  - type: pass
    name: Skipped
  - type: pass
    name: Recovered
    outputMappings:
      - {target: why, source: $input.why}
  - type: parallel
    name: Last
    branches:
      - steps:
          - type: fail
            name: Give up
            error: Final
            cause: "done here: é"
      - steps:
          - type: pass
            name: Quiet
"""
"""Mappings, a foreach of choices, a parallel, a task failure caught (errorMappings), non-ASCII
text, a local wider than events.WIDE, and an uncaught fail inside a parallel branch."""

CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "choice-loop": (LOOP, {"left": list(range(1, 41))}, {}),
    "choice-loop-paused": (
        LOOP,
        {"left": [{"n": n, "text": "ü" * n} for n in range(25)]},
        {"steps_per_activation": 7, "pauses_per_run": 2},
    ),
    "nested-caught-failed": (
        NESTED,
        {"label": "中文", "items": [1, 2, 3, 4], "wide": {f"k{n}": n for n in range(70)}},
        {},
    ),
    "over-the-quota": (
        LOOP,
        {"left": ["x" * 300 for _ in range(5)]},
        {"step_data_limit": 1200},
    ),
}


def _timeless(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in event.items() if key != "Time"} for event in events]


async def _queried(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """Every run's events through the `history` query (each a replay of the run's log)."""
    events: list[dict[str, Any]] = []
    for run_id in await run_chain(client, workflow_id):
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        start = events[-1]["EventId"] + 1 if events else 1
        while True:
            page = await handle.query("history", HistoryRequest(from_event_id=start))
            events += page["events"]
            if not page["events"] or start + len(page["events"]) >= page["nextEventId"]:
                break
            start = events[-1]["EventId"] + 1
    return events


@pytest.mark.parametrize("case", sorted(CASES))
async def test_events_read_as_they_were_before_rows(
    case: str, run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    text, flow_input, options = CASES[case]
    outcome = await run_flow(
        f"events-{case}", flow_input, text=text, functions=FUNCTIONS, **options
    )
    archived = outcome.events
    fixture = FIXTURES / f"{case}.json"
    if WRITE:
        fixture.write_text(json.dumps(_timeless(archived), ensure_ascii=False, indent=1) + "\n")
    expected = json.loads(fixture.read_text())
    assert _timeless(archived) == expected
    assert [e["EventId"] for e in archived] == list(range(1, len(archived) + 1))
    queried = await _queried(temporal_env.client, outcome.workflow_id)
    assert queried == archived
