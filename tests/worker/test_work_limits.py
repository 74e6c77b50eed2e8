"""How often a run of inline steps pauses and hands over (FlowRun `steps_per_activation`,
`pauses_per_run`): a new execution writes the current defaults into its input, and a run whose
input does not name them keeps the first defaults (1,000 steps, 20 pauses), so a changed
default never moves a running execution's pauses (worker/execution.py `work_limits`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter, value_to_type
from temporalio.testing import WorkflowEnvironment

from tests.helpers.pauses import pause_activities
from tests.helpers.workers import serving
from tests.worker.conftest import RunFlow
from translator import compile_text
from worker.execution import FlowRun, workflow_args
from worker.interpreter.context import (
    DEFAULT_PAUSES_PER_RUN,
    DEFAULT_STEPS_PER_ACTIVATION,
    LEGACY_PAUSES_PER_RUN,
    LEGACY_STEPS_PER_ACTIVATION,
    STEPS_PER_RUN,
    default_pauses_per_run,
)
from worker.workflow import FnFFlow

LOOP = (Path(__file__).parents[1] / "replay" / "flows" / "inline-loop.yaml").read_text()
"""Init, then the choice Loop taking one item of `left` per iteration (a nested pass), Done."""

ITEMS = 1_200
"""1 + 1,200 x 2 + 2 = 2,403 steps: two pauses at 1,000 steps an activation, none at 3,000."""


def _pauses(events: Iterable[HistoryEvent]) -> int:
    return len(pause_activities(events))


async def _recorded_run(history: WorkflowHistory) -> dict[str, Any]:
    """The run record of a history's start event, as the workflow received it."""
    payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [_, record] = await DataConverter.default.decode(payloads, [dict, dict])
    assert isinstance(record, dict)
    return record


def test_an_input_that_names_no_limits_keeps_the_first_defaults() -> None:
    """An input written before the settings existed decodes without them: its pauses fall
    every 1,000 steps and it hands over after 20, as they always did."""
    written = {"input": {}, "flow_name": "f", "execution_name": "e", "graph": {}}
    run: FlowRun = value_to_type(FlowRun, written)
    assert run.work_limits() == (LEGACY_STEPS_PER_ACTIVATION, LEGACY_PAUSES_PER_RUN) == (1000, 20)
    named = FlowRun(input={}, flow_name="f", execution_name="e", steps_per_activation=7)
    assert named.work_limits() == (7, LEGACY_PAUSES_PER_RUN)
    assert named.with_default_work_limits().work_limits() == (7, default_pauses_per_run(7))


def test_new_defaults_keep_a_run_near_its_step_budget() -> None:
    started = FlowRun(input={}, flow_name="f", execution_name="e").with_default_work_limits()
    assert started.work_limits() == (DEFAULT_STEPS_PER_ACTIVATION, DEFAULT_PAUSES_PER_RUN)
    for steps in (10, 333, 1000, DEFAULT_STEPS_PER_ACTIVATION, 5000, 30_000):
        pauses = default_pauses_per_run(steps)
        assert pauses >= 1
        if steps * 2 <= STEPS_PER_RUN:
            assert STEPS_PER_RUN - steps <= steps * (pauses + 1) <= STEPS_PER_RUN


async def test_a_new_execution_writes_the_defaults_into_its_input(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Started through StartExecution's path, a 2,403-step loop runs in one activation at the
    current default (it paused twice at the first one) and its input names what it used."""
    outcome = await run_flow("work-limits", {"left": list(range(ITEMS))}, text=LOOP)
    assert (outcome.status, outcome.runs) == ("Succeeded", 1)
    handle = temporal_env.client.get_workflow_handle(outcome.workflow_id)
    history = await handle.fetch_history()
    record = await _recorded_run(history)
    assert (record["steps_per_activation"], record["pauses_per_run"]) == (
        DEFAULT_STEPS_PER_ACTIVATION,
        DEFAULT_PAUSES_PER_RUN,
    )
    assert _pauses(history.events) == 2_403 // DEFAULT_STEPS_PER_ACTIVATION


async def test_a_run_whose_input_names_no_limits_pauses_every_1000_steps(
    temporal_env: WorkflowEnvironment,
) -> None:
    """The same loop started with an input that does not name the settings (as one written
    before they existed): it pauses where such runs always paused."""
    client = temporal_env.client
    queue = f"legacy-limits-{uuid.uuid4().hex[:6]}"
    run = FlowRun(
        input={"left": list(range(ITEMS))},
        flow_name="work-limits",
        execution_name=uuid.uuid4().hex,
        graph=dict(compile_text(LOOP)),
    )
    flow_input, record = workflow_args(run)
    written = asdict(record)
    del written["steps_per_activation"], written["pauses_per_run"]
    async with serving(client, queue, None):
        handle = await client.start_workflow(
            FnFFlow.run, args=[flow_input, written], id=f"legacy-{uuid.uuid4()}", task_queue=queue
        )
        assert await handle.result() == {"left": [], "seen": ITEMS - 1}
        history = await handle.fetch_history()
    assert "steps_per_activation" not in await _recorded_run(history)
    assert _pauses(history.events) == 2_403 // LEGACY_STEPS_PER_ACTIVATION
