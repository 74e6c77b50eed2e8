"""A long loop inside a parallel branch or a foreach iteration hands the rest of its sequence
over to a child run once the history is long (worker/interpreter/parts.py); that child
continues as new at its root as often as it needs. Small settings make 'long' short here."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.worker.conftest import RunFlow
from worker.history import read_history, run_chain

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"
SHORT = {"continue_as_new_at": 120, "nested_handover_steps": 10}

LOOP = f"""\
          - type: pass
            name: Init
            outputMappings: [{{target: left, source: START}}]
          - type: task
            name: Poll
            resourceArn: {ARN}/countdown
            inputMappings: [{{target: left, source: $local.left}}]
          - type: choice
            name: Check
            inputMappings: [{{target: left, source: $local.left}}]
            choices:
              - condition: $.left > 0
                goto: Poll
            default:
              goto: Done
          - type: succeed
            name: Done
"""

IN_PARALLEL = (
    """\
version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
"""
    + LOOP.replace("START", "$input.iterations")
    + """\
      - steps:
          - type: pass
            name: Other
            outputMappings: [{target: other, source: done}]
    outputMappings: [{target: branches, source: $local}]
"""
)

IN_FOREACH = (
    """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
"""
    + textwrap.indent(textwrap.dedent(LOOP.replace("START", "$input.item")), " " * 6)
    + """\
    outputMappings: [{target: results, source: $local}]
"""
)


async def history_length(env: WorkflowEnvironment, workflow_id: str, run_id: str | None) -> int:
    handle = env.client.get_workflow_handle(workflow_id, run_id=run_id)
    return len((await handle.fetch_history()).events)


def details(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [json.loads(e["EventDetail"]) for e in events if e["Type"] == kind]


async def test_a_loop_in_a_parallel_branch_continues_past_several_handovers(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    outcome = await run_flow(
        "nested", {"iterations": 80}, text=IN_PARALLEL, functions=FUNCTIONS, **SHORT
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"branches": [{"left": 0}, {"other": "done"}]}
    parts = details(outcome.events, "PartEntered")
    assert len(parts) == 1 and parts[0]["step"] in ("Poll", "Check")
    child_id = parts[0]["workflowId"]
    runs = await run_chain(temporal_env.client, child_id)
    assert len(runs) >= 3  # the rest of the loop continued as new, again and again
    lengths = [await history_length(temporal_env, child_id, run) for run in runs]
    lengths.append(await history_length(temporal_env, outcome.workflow_id, None))
    assert max(lengths) < 200, lengths  # every run's history stays bounded
    child = await read_history(temporal_env.client, child_id)
    assert [e["EventId"] for e in child] == list(range(1, len(child) + 1))
    polls = outcome.types("Poll").count("TaskSucceeded") + [
        e["Type"] for e in child if e["StepName"] == "Poll"
    ].count("TaskSucceeded")
    assert polls == 80  # every iteration ran once, in the parent or in the child
    assert json.loads(child[-1]["EventDetail"])["output"] == {"left": 0}


async def test_loops_in_foreach_iterations_hand_over_each(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    outcome = await run_flow(
        "nested", {"items": [40, 50, 3]}, text=IN_FOREACH, functions=FUNCTIONS, **SHORT
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"results": [{"left": 0}] * 3}
    assert 1 <= len(details(outcome.events, "PartEntered")) <= 2  # the short one never does


@pytest.mark.parametrize("handover_steps", [1000])
async def test_without_a_long_history_nothing_is_handed_over(
    run_flow: RunFlow, handover_steps: int
) -> None:
    settings = {"continue_as_new_at": 120, "nested_handover_steps": handover_steps}
    outcome = await run_flow(
        "nested", {"iterations": 30}, text=IN_PARALLEL, functions=FUNCTIONS, **settings
    )
    assert outcome.status == "Succeeded", outcome
    assert "PartEntered" not in outcome.types()
