"""FnF's quota of 32 KiB per event (FnF limits: "Maximum event data size"): a step's input, its
output and its local are each measured where an event carries them, never added together. One
over the quota fails the step with FnF.RuntimeError, which a catch can handle, and the cause
names the event and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow
from worker.interpreter.context import DEFAULT_STEP_DATA_LIMIT
from worker.interpreter.data import data_size
from worker.settings import Settings

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

GROW_UNCAUGHT = f"""\
version: v1
type: flow
steps:
  - type: task
    name: grow
    resourceArn: {ARN}/inflate
    inputMappings: [{{target: bytes, source: $input.bytes}}]
"""

DOUBLED_INPUT = f"""\
version: v1
type: flow
steps:
  - type: task
    name: grow
    resourceArn: {ARN}/inflate
    inputMappings: [{{target: bytes, source: $input.bytes}}]
    outputMappings: [{{target: blob, source: $local.blob}}]
  - type: pass
    name: twice
    inputMappings:
      - {{target: a, source: $local.blob}}
      - {{target: b, source: $local.blob}}
"""

TWO_RESULTS = f"""\
version: v1
type: flow
steps:
  - type: task
    name: first
    resourceArn: {ARN}/inflate
    inputMappings: [{{target: bytes, source: $input.bytes}}]
    outputMappings: [{{target: one, source: $local.blob}}]
  - type: task
    name: second
    resourceArn: {ARN}/inflate
    inputMappings: [{{target: bytes, source: $input.bytes}}]
    outputMappings: [{{target: two, source: $local.blob}}]
"""

BRANCH = f"""\
      - steps:
          - type: task
            name: grow{{n}}
            resourceArn: {ARN}/inflate
            inputMappings: [{{{{target: bytes, source: $input.bytes}}}}]
"""

FAN_OUT = (
    "version: v1\ntype: flow\nsteps:\n  - type: parallel\n    name: fan\n    branches:\n"
    + "".join(BRANCH.format(n=n) for n in range(3))
)


@pytest.mark.parametrize("variable", ["FNF_EVENT_DATA_LIMIT", "FNF_STEP_DATA_LIMIT"])
def test_the_quota_is_set_by_its_name_or_its_former_one(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1000")
    assert Settings().run_options()["step_data_limit"] == 1000


def test_size_is_compact_utf8_json() -> None:
    assert data_size({"a": "é"}, [1, 2]) == len('{"a":"é"}'.encode()) + len("[1,2]")


async def test_a_result_half_the_quota_is_not_counted_twice(run_flow: RunFlow) -> None:
    """The field report: a 17 KB result, no outputMappings, was its local and its output
    counted together (34,036 bytes) and failed; each is one event's data, within 32 KiB."""
    outcome = await run_flow("quota", {"bytes": 17_000}, text=GROW_UNCAUGHT, functions=FUNCTIONS)
    assert outcome.status == "Succeeded", outcome.cause
    assert outcome.output == {"blob": "x" * 17_000}
    assert outcome.detail("StepExited", "grow")["local"] == {"blob": "x" * 17_000}


async def test_a_result_over_the_quota_names_its_event_and_field(run_flow: RunFlow) -> None:
    outcome = await run_flow("quota", {"bytes": 33_000}, text=GROW_UNCAUGHT, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert outcome.cause == (
        "event TaskSucceeded of step grow: its output is 33011 bytes of JSON, over the "
        "32768-byte limit of one event's data (FNF_EVENT_DATA_LIMIT)"
    )
    # the activity refuses the output: an attempt that failed, not a TaskSucceeded carrying it
    assert outcome.types("grow")[-2:] == ["TaskFailed", "StepFailed"]


async def test_the_quota_is_inclusive(run_flow: RunFlow) -> None:
    """{"blob": "x" * n} is n + 11 bytes: exactly the quota passes, a byte more does not."""
    exact = DEFAULT_STEP_DATA_LIMIT - 11
    fits = await run_flow("quota", {"bytes": exact}, text=GROW_UNCAUGHT, functions=FUNCTIONS)
    assert fits.status == "Succeeded", fits.cause
    over = await run_flow("quota", {"bytes": exact + 1}, text=GROW_UNCAUGHT, functions=FUNCTIONS)
    assert "its output is 32769 bytes" in (over.cause or "")


@pytest.mark.parametrize(("size", "handled"), [(1_000, False), (20_000, False), (33_000, True)])
async def test_a_result_over_the_quota_is_caught(
    run_flow: RunFlow, size: int, handled: bool
) -> None:
    outcome = await run_flow("quota", {"bytes": size}, text=INFLATE, functions=FUNCTIONS)
    assert outcome.status == "Succeeded", outcome
    assert (outcome.output or {}).get("handled", False) is handled
    if handled:
        exited = outcome.detail("StepExited", "grow")
        assert exited["error"] == "FnF.RuntimeError" and exited["goto"] == "tooBig"
        assert "event TaskSucceeded of step grow: its output" in exited["cause"]


async def test_the_quota_is_per_execution_and_can_be_lifted(run_flow: RunFlow) -> None:
    blob = "x" * DEFAULT_STEP_DATA_LIMIT
    lifted = await run_flow("quota", {"blob": blob}, text=PASS_ON, step_data_limit=0)
    assert lifted.status == "Succeeded"
    assert lifted.detail("StepExited", "carry")["input"] == {"blob": blob}
    big = await run_flow(
        "quota", {"bytes": 40_000}, text=GROW_UNCAUGHT, functions=FUNCTIONS, step_data_limit=0
    )
    assert big.status == "Succeeded"
    tight = await run_flow("quota", {"small": "y" * 100}, text=PASS_ON, step_data_limit=100)
    assert (tight.status, tight.error) == ("Failed", "FnF.RuntimeError")


async def test_an_execution_input_over_the_quota_fails_at_once(run_flow: RunFlow) -> None:
    blob = "x" * DEFAULT_STEP_DATA_LIMIT
    outcome = await run_flow("quota", {"blob": blob}, text=PASS_ON)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert (outcome.cause or "").startswith("event ExecutionStarted: its input is 32779 bytes")
    assert outcome.types() == ["ExecutionStarted", "ExecutionFailed"]


async def test_a_step_input_over_the_quota_fails_before_it_runs(run_flow: RunFlow) -> None:
    """Each of two 20 KB mappings is within the quota; the step input holding both is not."""
    outcome = await run_flow("quota", {"bytes": 20_000}, text=DOUBLED_INPUT, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert (outcome.cause or "").startswith("event StepEntered of step twice: its input is 400")
    assert outcome.types("twice") == ["StepEntered", "StepFailed"]  # it ran nothing


async def test_a_scope_local_over_the_quota_fails_the_step_that_grew_it(
    run_flow: RunFlow,
) -> None:
    """Two 20 KB results, each within the quota, merge into a flow local that is not: the
    second step cannot exit with it."""
    outcome = await run_flow("quota", {"bytes": 20_000}, text=TWO_RESULTS, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert (outcome.cause or "").startswith("event StepExited of step second: its local is 400")
    assert outcome.types("second")[-2:] == ["TaskSucceeded", "StepFailed"]


async def test_a_parallel_local_over_the_quota_fails_the_parallel(run_flow: RunFlow) -> None:
    """Three 12 KB branch locals: each branch is within the quota, the parallel's `$local`
    (their array) is not, even though no outputMappings carries it further."""
    outcome = await run_flow("quota", {"bytes": 12_000}, text=FAN_OUT, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert (outcome.cause or "").startswith("step fan: the step's $local is 360")
    assert outcome.types("fan")[-1] == "StepFailed"
    assert "StepSucceeded" not in outcome.types("fan")
    within = await run_flow("quota", {"bytes": 9_000}, text=FAN_OUT, functions=FUNCTIONS)
    assert within.status == "Succeeded", within.cause
