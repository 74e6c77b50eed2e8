"""Real runs of random inline flows (tests/worker/test_inline_fast.py's: pass and nested choice
steps with random mappings, a loop, event data quotas that fail steps mid-stretch, activations
of 3 or 7 steps that pause and continue as new mid-stretch), each run with inline steps'
events folded (worker/interpreter/events.py `Folded`) and row by row: the same status,
output, error and FnF events, read from the runs' archives (FOLDED_FORMAT); the `history`
query of the folded run, paged by small counts and byte limits (pages that start and end
inside folded records), answers exactly what its archive holds; and the folded run's
histories replay row by row (the same commands)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.helpers.switched_runs import Switch, SwitchedWorker, assert_alike, switched_worker
from tests.worker.test_inline_fast import INPUTS, flows
from worker.execution import HistoryRequest
from worker.history import query_history, run_chain, run_tail
from worker.interpreter import inline

RUNS = st.fixed_dictionaries(
    {
        "step_data_limit": st.sampled_from([0, 32 * 1024]) | st.integers(40, 110),
        "steps_per_activation": st.sampled_from([3, 7, 1000]),
        "pauses_per_run": st.sampled_from([1, 20]),
    }
)
"""Mostly quotas small enough to fail a step of the flow at one of its events."""


BLOB = {"blob": "y" * 20}


def _pass(name: str, *targets: str, **constants: int) -> dict[str, Any]:
    mappings = [{"target": target, "source": "$input.blob"} for target in targets]
    mappings += [{"target": target, "source": value} for target, value in constants.items()]
    return {"type": "pass", "name": name, "outputMappings": mappings}


def _flow(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"version": "v1", "type": "flow", "steps": [*steps, {"type": "succeed", "name": "z"}]}


PASS_EXIT_OVER = _flow(_pass("init", "a", "b", n=0))
"""48 bytes: init's input (31) fits, its local (61) does not: StepExited fails the step after
its first three events."""
CHOICE_EXIT_OVER = _flow(
    _pass("init", "b", n=0),
    {
        "type": "choice",
        "name": "ch",
        "choices": [{"condition": "$.n == 0", "steps": [_pass("inner", "a", "c")]}],
    },
)
"""70 bytes: the choice's input (64) and its option's step fit, the local it leaves (88) does
not: the choice's StepSucceeded is written, its StepExited fails it."""
ENTERED_OVER = _flow(_pass("init", "b", n=0), _pass("p"))
"""40 bytes: p's input (64) is over: p records its StepEntered row by row, and fails there."""
LOOP = _flow(
    _pass("init", n=0),
    {
        "type": "choice",
        "name": "loop",
        "choices": [
            {"condition": f"$.n == {n}", "steps": [_pass(f"set{n}", n=n + 1)], "goto": "loop"}
            for n in range(6)
        ],
    },
)
"""With 3 steps an activation and one pause a run: pauses and continue-as-new mid-loop."""


FOLDING = Switch(inline, "FOLDED")
"""Off: inline steps' events are recorded row by row."""


@pytest_asyncio.fixture(scope="module")
async def unsandboxed(temporal_env: WorkflowEnvironment) -> AsyncIterator[SwitchedWorker]:
    async with switched_worker(temporal_env.client, "folded", FOLDING) as worker:
        yield worker


async def _paged(client: Client, workflow_id: str, limit: int, max_bytes: int) -> list[Any]:
    """Every run's events through the `history` query, `limit` and `max_bytes` a page, each
    run's equal to its archive's (FOLDED_FORMAT, read without a worker)."""
    events: list[dict[str, Any]] = []
    for run_id in await run_chain(client, workflow_id):
        tail = await run_tail(client, workflow_id, run_id)
        assert tail.archive is not None
        archived, before = tail.archive.events, len(events)
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        start = 0
        while True:
            answer = await query_history(handle, HistoryRequest(start, limit, max_bytes))
            page = answer["events"]
            assert page or start >= answer["nextEventId"]
            if not page:
                break
            assert len(page) <= limit
            events += page
            start = page[-1]["EventId"] + 1
        assert events[before:] == archived
    return events


@settings(
    max_examples=15,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # no shrinking: minutes per failure
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(PASS_EXIT_OVER, BLOB, {"step_data_limit": 48}, 2, 1)
@example(CHOICE_EXIT_OVER, BLOB, {"step_data_limit": 70}, 3, 200)
@example(ENTERED_OVER, BLOB, {"step_data_limit": 40}, 1, 500)
@example(LOOP, BLOB, {"steps_per_activation": 3, "pauses_per_run": 1}, 4, 200)
@given(
    flow=flows(),
    data=INPUTS,
    fields=RUNS,
    limit=st.integers(1, 5),
    max_bytes=st.sampled_from([1, 200, 500]),
)
async def test_folded_runs_read_as_runs_recorded_row_by_row(
    unsandboxed: SwitchedWorker,
    flow: dict[str, Any],
    data: Any,
    fields: Any,
    limit: int,
    max_bytes: int,
) -> None:
    text = json.dumps(flow)
    fast = await unsandboxed.run(text, data, fields, on=True)
    rows = await unsandboxed.run(text, data, fields, on=False)
    assert_alike(fast, rows)
    event(f"{fast.status} {fast.error or ''} {(fast.cause or '')[:34]}, {fast.runs} run(s)")
    assert await _paged(unsandboxed.client, fast.workflow_id, limit, max_bytes) == fast.events
    await unsandboxed.replays_switched_off(fast.workflow_id)
