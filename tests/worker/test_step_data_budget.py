"""FnF's data budget of a step (FDL decision 11): input, output and local together at most
32 KiB of JSON, else the step fails with FnF.RuntimeError, which a catch can handle."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow
from worker.interpreter.context import DEFAULT_STEP_DATA_LIMIT
from worker.interpreter.data import data_size

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"

PASS_ON = """\
version: v1
type: flow
steps:
  - type: pass
    name: carry
"""

INFLATE = f"""\
version: v1
type: flow
steps:
  - type: task
    name: grow
    resourceArn: {ARN}/inflate
    inputMappings: [{{target: bytes, source: $input.bytes}}]
    catch:
      - errors: [FnF.RuntimeError]
        goto: tooBig
  - type: succeed
    name: fine
  - type: pass
    name: tooBig
    outputMappings: [{{target: handled, source: true}}]
"""


def test_size_is_compact_utf8_json() -> None:
    assert data_size({"a": "é"}, [1, 2]) == len('{"a":"é"}'.encode()) + len("[1,2]")


async def test_an_input_over_the_budget_fails_the_step(run_flow: RunFlow) -> None:
    blob = "x" * DEFAULT_STEP_DATA_LIMIT
    outcome = await run_flow("budget", {"blob": blob}, text=PASS_ON)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert "step carry" in (outcome.cause or "") and "32768-byte limit" in (outcome.cause or "")
    assert outcome.types("carry") == ["StepEntered", "StepFailed"]  # it ran nothing


async def test_the_limit_is_per_execution_and_can_be_lifted(run_flow: RunFlow) -> None:
    blob = "x" * DEFAULT_STEP_DATA_LIMIT
    lifted = await run_flow("budget", {"blob": blob}, text=PASS_ON, step_data_limit=0)
    assert lifted.status == "Succeeded"
    assert lifted.detail("StepExited", "carry")["input"] == {"blob": blob}
    tight = await run_flow("budget", {"small": "y" * 100}, text=PASS_ON, step_data_limit=100)
    assert (tight.status, tight.error) == ("Failed", "FnF.RuntimeError")


@pytest.mark.parametrize(
    ("size", "handled"),
    [(1_000, False), (DEFAULT_STEP_DATA_LIMIT // 2 - 50, False), (20_000, True)],
)
async def test_a_result_over_the_budget_is_caught(
    run_flow: RunFlow, size: int, handled: bool
) -> None:
    """Input, local and output count together: a result half the budget, mapped whole into
    the output, is within it; 20,000 characters twice is not."""
    outcome = await run_flow("budget", {"bytes": size}, text=INFLATE, functions=FUNCTIONS)
    assert outcome.status == "Succeeded", outcome
    assert (outcome.output or {}).get("handled", False) is handled
    if handled:
        exited = outcome.detail("StepExited", "grow")
        assert exited["error"] == "FnF.RuntimeError" and exited["goto"] == "tooBig"
