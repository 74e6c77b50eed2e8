"""A large pinned definition travels by reference (worker/definitions.py): the execution's
input and every continue-as-new input carry its hash, each run loads it with LoadDefinition,
and the flow runs exactly as it would inline. Small definitions stay inline."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from tests.worker.conftest import RunFlow
from tests.worker.test_task_features import COUNTDOWN
from translator import compile_text
from worker.definitions import (
    INLINE_DEFINITION_BYTES,
    PinnedDefinition,
    decode,
    fetch,
    reference_of,
)
from worker.history import run_chain
from worker.workflow import FnFFlow

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
FILLER = 400
LARGE = COUNTDOWN + "".join(
    f"  - type: pass\n    name: filler{n}\n"
    f"    outputMappings: [{{target: left, source: $input.left}}]\n"
    for n in range(FILLER)
)
"""The countdown loop, then enough pass steps to compile to more than the inline limit."""


async def run_inputs(client: Client, workflow_id: str) -> list[tuple[int, dict[str, Any]]]:
    """(bytes, decoded JSON) of each run's input, first run first."""
    found = []
    for run in await run_chain(client, workflow_id):
        handle = client.get_workflow_handle(workflow_id, run_id=run)
        async for event in handle.fetch_history_events():
            # [the user's input, the run record] (worker/execution.py workflow_args)
            *_, payload = event.workflow_execution_started_event_attributes.input.payloads
            found.append((len(payload.data), json.loads(payload.data)))
            break
    return found


async def test_a_large_definition_travels_by_reference(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    graph = dict(compile_text(LARGE))
    assert len(PinnedDefinition(graph, {}, LARGE).encode()) > INLINE_DEFINITION_BYTES
    outcome = await run_flow(
        "pinned", {"left": 12}, text=LARGE, functions=FUNCTIONS, continue_as_new_at=30
    )
    assert outcome.status == "Succeeded" and outcome.runs >= 3
    assert outcome.types().count("StepExited") == outcome.types().count("StepEntered")
    assert [e["StepName"] for e in outcome.events if e["Type"] == "StepExited"][-1] == (
        f"filler{FILLER - 1}"
    )
    inputs = await run_inputs(temporal_env.client, outcome.workflow_id)
    references = {document["definition_ref"] for _, document in inputs}
    assert len(references) == 1 and "" not in references
    assert all(size < 4096 and document["graph"] == {} for size, document in inputs)
    [reference] = references
    stored = decode(await fetch(temporal_env.client, reference), reference)
    assert stored.graph == graph and stored.definition == ""
    replayer = Replayer(workflows=[FnFFlow])  # each run replays from its own history alone
    for run in await run_chain(temporal_env.client, outcome.workflow_id):
        handle = temporal_env.client.get_workflow_handle(outcome.workflow_id, run_id=run)
        await replayer.replay_workflow(await handle.fetch_history())


async def test_the_same_flow_inline_runs_the_same(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Below the limit nothing changes: the graph is in the input, no reference."""
    outcome = await run_flow("inline", {"left": 3}, text=COUNTDOWN, functions=FUNCTIONS)
    assert outcome.status == "Succeeded" and outcome.output == {"left": 0}
    [(size, document)] = await run_inputs(temporal_env.client, outcome.workflow_id)
    assert document["definition_ref"] == "" and document["graph"]["steps"]
    assert size < INLINE_DEFINITION_BYTES


def test_a_tampered_definition_is_refused() -> None:
    text = PinnedDefinition({"steps": []}, {}, "text").encode()
    assert decode(zlib.compress(text), reference_of(text)).definition == "text"
    with pytest.raises(ValueError, match="does not match"):
        decode(zlib.compress(text.replace(b"text", b"evil")), reference_of(text))
