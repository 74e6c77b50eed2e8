"""`fnf test` lists the steps of every sub-flow the case's execution started: those started
before the execution continued as new (an earlier run's children), and those started inside
the child runs a batched foreach runs its items in. Before, only the latest run's children
were read, and part runs' were skipped: the first kind put a later sub-flow's steps under an
earlier step and dropped the rest, the second listed none. A serviceParams.ExecutionName that
is not a string fails the sub-flow step with fnf.InvalidArgument, in the worker and so in
`fnf test`, instead of starting the child under the value's Python str().

The runner in process on a time-skipping server of the module's own, as tests/mocking's
other runner tests; the run options are a worker's settings, small enough to cut the
execution into several runs and batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.mocking.test_flow_cases import NESTED_CHILD as CHILD
from worker.history import run_chain
from worker.mocking.model import parse_mocks
from worker.mocking.runner import CaseResult, FlowTester, FlowUnderTest, time_skipping_server

AROUND_CONTINUE_AS_NEW = """version: v1
type: flow
steps:
  - type: task
    name: First
    resourceArn: acs:fnf:::flow/child
    pattern: sync
  - type: foreach
    name: Many
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: pass
        name: Tick
  - type: task
    name: Second
    resourceArn: acs:fnf:::flow/child
    pattern: {pattern}
"""

IN_BATCHES = """version: v1
type: flow
steps:
  - type: foreach
    name: Each
    maxConcurrency: {concurrency}
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: Call
        resourceArn: acs:fnf:::flow/child
        pattern: sync
"""

NAMED = """version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fnf:::flow/child
    pattern: sync
    inputMappings:
      - target: name
        source: $input.name
    serviceParams:
      ExecutionName: $.name
"""

RUN_OPTIONS = {"continue_as_new_at": 100, "foreach_batch_threshold": 2, "foreach_batch_size": 2}


@pytest_asyncio.fixture(scope="module")
async def tester() -> AsyncIterator[FlowTester]:
    async with (
        time_skipping_server() as env,
        FlowTester(env.client, run_options=RUN_OPTIONS) as running,
    ):
        yield running


def write_flows(folder: Path, parent: str) -> FlowUnderTest:
    (folder / "child.yaml").write_text(CHILD)
    (folder / "parent.yaml").write_text(parent)
    return FlowUnderTest.load(folder / "parent.yaml")


async def run_case(tester: FlowTester, flow: FlowUnderTest, case: dict[str, Any]) -> CaseResult:
    [result] = await tester.run_file(flow, parse_mocks({"cases": {"case": case}}))
    return result


@pytest.mark.parametrize("pattern", ["sync", "requestResponse"])
async def test_sub_flows_of_every_run_are_listed(
    tester: FlowTester, tmp_path: Path, pattern: str
) -> None:
    flow = write_flows(tmp_path, AROUND_CONTINUE_AS_NEW.format(pattern=pattern))
    ticks = 40
    case = {
        "input": {"items": list(range(ticks))},
        "mocks": {"Deep": [{"return": {}, "times": 10}]},
    }
    result = await run_case(tester, flow, case)
    assert result.status == "Succeeded", (result.error, result.cause)
    runs = await run_chain(tester.client, f"{flow.name}/{result.execution}")
    assert len(runs) >= 2, "the execution never continued as new: the case tests nothing"
    steps = [step for step in result.steps if "/Tick" not in step]
    assert steps == [
        "First",
        "First/Inside",
        "First/Deep",
        "Many",
        "Second",
        "Second/Inside",
        "Second/Deep",
    ], result.steps
    assert sum(step.endswith("/Tick") for step in result.steps) == ticks


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_sub_flows_inside_foreach_batches_are_listed(
    tester: FlowTester, tmp_path: Path, concurrency: int
) -> None:
    """One batch at a time, then batches (and items within them) at once: each part run's
    steps are listed where it was entered, each call followed by its own sub-flow's steps."""
    flow = write_flows(tmp_path, IN_BATCHES.format(concurrency=concurrency))
    items = 5  # batches of 2: three child runs
    case = {
        "input": {"items": list(range(items))},
        "mocks": {"Deep": [{"return": {}, "times": 10}]},
    }
    result = await run_case(tester, flow, case)
    assert result.status == "Succeeded", (result.error, result.cause)
    expected = ["Each"]
    for index in range(items):
        call = f"Each#{index}/Call"
        expected += [call, f"{call}/Inside", f"{call}/Deep"]
    if concurrency == 1:
        assert result.steps == expected
    assert sorted(result.steps) == sorted(expected), result.steps
    for index in range(items):
        call = result.steps.index(f"Each#{index}/Call")
        assert result.steps[call + 1 : call + 3] == [
            f"Each#{index}/Call/Inside",
            f"Each#{index}/Call/Deep",
        ]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (123, "a number 123"),
        (True, "a boolean true"),
        (0, "a number 0"),
        (False, "a boolean false"),
        ({"a": 1}, 'an object {"a": 1}'),
        (["x"], 'a list ["x"]'),
        (1.5, "a number 1.5"),
    ],
)
async def test_a_non_string_execution_name_is_refused(
    tester: FlowTester, tmp_path: Path, name: Any, shown: str
) -> None:
    flow = write_flows(tmp_path, NAMED)
    result = await run_case(tester, flow, {"input": {"name": name}})
    assert (result.status, result.error) == ("Failed", "fnf.InvalidArgument"), result.cause
    assert "serviceParams.ExecutionName must be a string" in (result.cause or "")
    assert shown in (result.cause or ""), result.cause
    assert result.steps == ["Call"]


@pytest.mark.parametrize("name", ["kid_1", None, ""])
async def test_a_string_or_absent_execution_name_still_starts_the_child(
    tester: FlowTester, tmp_path: Path, name: Any
) -> None:
    flow = write_flows(tmp_path, NAMED)
    case = {"input": {"name": name}, "mocks": {"Deep": [{"return": {}, "times": 10}]}}
    result = await run_case(tester, flow, case)
    assert result.status == "Succeeded", (result.error, result.cause)
    assert result.steps == ["Call", "Call/Inside", "Call/Deep"]
