"""A sub-flow's input is a door into an execution, like StartExecution's Input: it passes the
one JSON value check (translator/json_values.py) or the sub-flow task fails with a catchable
fnf.InvalidArgument naming the step, and no child is started (one that holds a value no reader
of its input or history can take back).

Values in an execution passed a door already, so the poison is made where it can be: a mapping
wraps the step input one level deeper than the flow's input, or an execution is started on
Temporal directly (no API door on the way), carrying a lone surrogate, NaN or a long integer.
Over-size inputs never reach the sub-flow: the step's input is held to the event quota first."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from tests.worker.conftest import Outcome, RunFlow
from translator import compile_text
from translator.json_values import MAX_JSON_DEPTH
from worker.naming import workflow_id

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"

CHILD = """\
version: v1
type: flow
steps:
  - type: pass
    name: ok
"""

PARENT = """\
version: v1
type: flow
steps:
  - type: task
    name: call-child
    resourceArn: acs:fnf:::flow/child
    pattern: {pattern}
    inputMappings: [{mapping}]
    serviceParams: {{ExecutionName: {child}, Input: $}}
    catch: [{{errors: [fnf.InvalidArgument, FnF.RuntimeError], goto: refused}}]
    errorMappings:
      - {{target: error, source: $local.error}}
      - {{target: cause, source: $local.cause}}
  - type: succeed
    name: done
  - type: pass
    name: refused
"""
AS_IS = "{target: value, source: $input.value}"
WRAPPED = "{target: value, source: $input}"  # one level deeper than the flow's input
TWICE = "{target: a, source: $input}, {target: b, source: $input}"  # twice the flow's input


def nested(levels: int) -> Any:
    """A value of `levels` nested objects: {"a": {"a": ... 1}}."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


CASES = {
    # the flow's input (the root object counts as a level), the step's mapping, the refusal
    "65 levels": (
        {"value": nested(MAX_JSON_DEPTH - 1)},
        WRAPPED,
        "fnf.InvalidArgument",
        f"the sub-flow's input nests deeper than {MAX_JSON_DEPTH} levels",
    ),
    "lone surrogate": (
        {"value": {"s": "\ud800"}},
        AS_IS,
        "fnf.InvalidArgument",
        "the sub-flow's input is not valid Unicode text (it holds a lone surrogate)",
    ),
    "lone surrogate key": (
        {"value": {"\udfff": 1}},
        AS_IS,
        "fnf.InvalidArgument",
        "lone surrogate",
    ),
    "NaN": ({"value": [float("nan")]}, AS_IS, "fnf.InvalidArgument", "(nan)"),
    "Infinity": ({"value": float("-inf")}, AS_IS, "fnf.InvalidArgument", "(-inf)"),
    "long integer": ({"value": 10**1000}, AS_IS, "fnf.InvalidArgument", "1000 digits"),
    "over the event quota": (
        {"value": "x" * 20_000},
        TWICE,
        "FnF.RuntimeError",
        "event StepEntered of step call-child: its input is",
    ),
}


async def run_parent(
    run_flow: RunFlow, pattern: str, mapping: str, flow_input: Any, child: str
) -> Outcome:
    return await run_flow(
        "parent",
        flow_input,
        text=PARENT.format(pattern=pattern, mapping=mapping, child=child),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )


@pytest.mark.parametrize("pattern", ["sync", "requestResponse"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_child_input_that_may_not_enter_an_execution_fails_the_task(
    run_flow: RunFlow, case: str, pattern: str
) -> None:
    flow_input, mapping, error, said = CASES[case]
    child = f"c{uuid.uuid4().hex}"
    outcome = await run_parent(run_flow, pattern, mapping, flow_input, child)

    assert outcome.status == "Succeeded", (outcome.error, outcome.cause, outcome.trail())
    assert outcome.output is not None
    assert outcome.output["error"] == error
    assert "step call-child" in outcome.output["cause"], outcome.output["cause"]
    assert said in outcome.output["cause"], outcome.output["cause"]
    assert "StepEntered:refused" in outcome.trail()
    assert outcome.client is not None
    with pytest.raises(RPCError) as missing:  # no child was started
        await outcome.client.get_workflow_handle(workflow_id("child", child)).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


@pytest.mark.parametrize("pattern", ["sync", "requestResponse"])
async def test_a_child_input_at_the_limits_starts_the_child(
    run_flow: RunFlow, pattern: str
) -> None:
    """64 levels (the flow's own limit, its input passed as is) and a value just inside the
    quota start the child as before."""
    flow_input = {"value": nested(MAX_JSON_DEPTH - 1), "text": "x" * 16_000}
    outcome = await run_parent(run_flow, pattern, AS_IS, flow_input, f"c{uuid.uuid4().hex}")

    assert outcome.status == "Succeeded", (outcome.error, outcome.cause, outcome.trail())
    assert "StepEntered:done" in outcome.trail()
    succeeded = [e for e in outcome.events if e["Type"] == "TaskSucceeded"]
    assert len(succeeded) == 1
    assert json.loads(succeeded[0]["EventDetail"])["output"] is not None
