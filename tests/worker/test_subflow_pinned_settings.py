"""A sub-flow runs with its parent's pinned settings, as a part run does
(worker/interpreter/parts.py): the settings pinned into the parent's FlowRun when the execution
started (event data limit, continue-as-new, attempt reports, work per activation, batches,
handovers), not the code's defaults; and a parent pinned by reference starts its child by the
same reference (worker/definitions.py), the child's graph never travelling in its input."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.worker.conftest import RunFlow
from tests.worker.test_pinned_definitions import FUNCTIONS, run_inputs
from translator import compile_text
from worker.definitions import INLINE_DEFINITION_BYTES, PinnedDefinition
from worker.naming import workflow_id

CHILD = """\
version: v1
type: flow
steps:
  - type: pass
    name: double
    outputMappings: [{target: seen, source: $input.value}]
"""


def parent(child_name: str, fillers: int = 0) -> str:
    text = f"""\
version: v1
type: flow
steps:
  - type: task
    name: call-child
    resourceArn: acs:fnf:::flow/child
    pattern: sync
    serviceParams: {{ExecutionName: {child_name}}}
    outputMappings: [{{target: child, source: $local}}]
"""
    return text + "".join(
        f"  - type: pass\n    name: filler{n}\n"
        f"    outputMappings: [{{target: filler, source: $input.value}}]\n"
        for n in range(fillers)
    )


SETTINGS: dict[str, Any] = {
    "heartbeat_timeout": 21.0,
    "continue_as_new_at": 777,
    "step_data_limit": 12345,
    "attempt_report_after": 7.5,
    "steps_per_activation": 333,
    "pauses_per_run": 5,
    "foreach_batch_threshold": 9,
    "foreach_batch_size": 3,
    "nested_handover_steps": 11,
}


async def test_a_subflow_inherits_its_parents_pinned_settings(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    child_name = f"kid-{uuid.uuid4().hex[:8]}"
    flows = {"child": dict(compile_text(CHILD))}
    outcome = await run_flow(
        "subsettings",
        {"value": 3},
        text=parent(child_name),
        functions=FUNCTIONS,
        flows=flows,
        **SETTINGS,
    )
    assert outcome.status == "Succeeded" and outcome.output == {"child": {"seen": 3}}
    [(_, document)] = await run_inputs(temporal_env.client, workflow_id("child", child_name))
    assert {key: document[key] for key in SETTINGS} == SETTINGS
    assert document["graph"] == flows["child"] and document["definition_ref"] == ""
    assert document["flow_name"] == "child" and document["execution_name"] == child_name


async def test_a_parent_pinned_by_reference_starts_its_subflow_by_reference(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    child_name = f"kid-{uuid.uuid4().hex[:8]}"
    text = parent(child_name, fillers=400)
    flows = {"child": dict(compile_text(CHILD))}
    assert len(PinnedDefinition(dict(compile_text(text)), flows, text).encode()) > (
        INLINE_DEFINITION_BYTES
    )
    outcome = await run_flow(
        "subref", {"value": 4}, text=text, functions=FUNCTIONS, flows=flows, **SETTINGS
    )
    assert outcome.status == "Succeeded" and outcome.output["child"] == {"seen": 4}
    [(_, started)] = await run_inputs(temporal_env.client, outcome.workflow_id)
    [(size, document)] = await run_inputs(temporal_env.client, workflow_id("child", child_name))
    assert started["definition_ref"] and document["definition_ref"] == started["definition_ref"]
    assert document["definition_flow"] == "child" and document["graph"] == {}
    assert document["flows"] == {} and size < 4096
    assert {key: document[key] for key in SETTINGS} == SETTINGS
