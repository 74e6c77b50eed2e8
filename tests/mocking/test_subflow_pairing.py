"""`fnf test` lists each sub-flow's steps under the step visit and attempt that started it.

Each child records in its memo the StepEntered EventId and attempt that started it, and the
step list pairs by that. It used to pair sub-flow steps with children in the order the
children started, one child per visit: a retried sub-flow step gave its second child to the
next sub-flow step, a sub-flow step refused before it started a child took another step's
child, and concurrent sub-flow steps (parallel branches, foreach iterations) were paired by
whichever child Temporal recorded as started first. Every case runs on the module's own
time-skipping server, as `fnf test` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from worker.mocking.model import MockFileError, check_against_flow, parse_mocks
from worker.mocking.runner import CaseResult, FlowTester, FlowUnderTest


def one_task_flow(step: str, wait_seconds: int = 0) -> str:
    """A child flow: an optional wait (skipped by the server's clock), then task `step`."""
    wait = (
        f"  - type: wait\n    name: Pause\n    duration: {wait_seconds}\n" if wait_seconds else ""
    )
    return (
        "version: v1\ntype: flow\nsteps:\n"
        + wait
        + f"  - type: task\n    name: {step}\n    resourceArn: acs:fc:::services/s/functions/w\n"
    )


def write_flows(folder: Path, flows: dict[str, str]) -> None:
    for name, text in flows.items():
        (folder / f"{name}.yaml").write_text(text)


async def run_case(tester: FlowTester, parent: Path, case: dict[str, Any]) -> CaseResult:
    [result] = await tester.run_file(
        FlowUnderTest.load(parent), parse_mocks({"cases": {"case": case}})
    )
    return result


CALL = """{indent}- type: task
{indent}  name: {name}
{indent}  resourceArn: acs:fnf:::flow/{flow}
{indent}  pattern: sync
"""
PRE = """{indent}- type: task
{indent}  name: Pre
{indent}  resourceArn: acs:fc:::services/s/functions/pre
"""


def parallel_parent(first: str, second: str, delayed: int) -> str:
    """Parallel Both: branch i calls sub-flow `first`/`second`; branch `delayed` runs task Pre
    (a mock with a real delay) before its call, so its child starts after the other's."""
    indent = " " * 10
    branches = ""
    for index, flow in enumerate((first, second)):
        steps = PRE.format(indent=indent) if index == delayed else ""
        steps += CALL.format(indent=indent, name="Call", flow=flow)
        branches += "      - steps:\n" + steps
    return (
        "version: v1\ntype: flow\nsteps:\n  - type: parallel\n    name: Both\n"
        "    branches:\n" + branches
    )


@pytest.mark.parametrize("delayed", [0, 1])
@pytest.mark.parametrize("first", ["slow", "fast"])
async def test_concurrent_sub_flows_are_listed_under_their_branch(
    tester: FlowTester, tmp_path: Path, first: str, delayed: int
) -> None:
    """Two branches call sub-flows of different durations (a time-skipped wait and a real
    delay in the slow one), in both orders, with either branch's child starting later."""
    second = "fast" if first == "slow" else "slow"
    write_flows(
        tmp_path,
        {
            "parent": parallel_parent(first, second, delayed),
            "slow": one_task_flow("SlowWork", wait_seconds=30),
            "fast": one_task_flow("FastWork"),
        },
    )
    case = {
        "mocks": {
            "Pre": [{"return": {}, "delaySeconds": 0.4}],
            "SlowWork": [{"return": {"slow": True}, "delaySeconds": 0.3}],
            "FastWork": [{"return": {"fast": True}}],
        },
        "expect": {"status": "Succeeded"},
    }
    result = await run_case(tester, tmp_path / "parent.yaml", case)
    assert result.failures == [], result.steps
    work = {"slow": "Pause SlowWork", "fast": "FastWork"}
    expected = ["Both", f"Both#{delayed}/Pre"]
    for index, flow in enumerate((first, second)):
        call = f"Both#{index}/Call"
        expected += [call] + [f"{call}/{step}" for step in work[flow].split()]
    assert sorted(result.steps) == sorted(expected)
    for index in (0, 1):  # each child's steps come after the step that started it
        call = f"Both#{index}/Call"
        inner = [at for at, step in enumerate(result.steps) if step.startswith(call + "/")]
        assert inner and min(inner) > result.steps.index(call)


FOREACH = """version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.flows
      item: flow
    steps:
      - type: choice
        name: Pick
        choices:
          - condition: $.flow == "slow"
            goto: CallSlow
        default:
          goto: CallFast
      - type: task
        name: CallSlow
        resourceArn: acs:fnf:::flow/slow
        pattern: sync
        end: true
      - type: task
        name: CallFast
        resourceArn: acs:fnf:::flow/fast
        pattern: sync
"""


async def test_foreach_iterations_list_their_own_sub_flows(
    tester: FlowTester, tmp_path: Path
) -> None:
    """Iterations start their children concurrently; each lists the child its own visit
    started, whichever finished or started first."""
    write_flows(
        tmp_path,
        {
            "parent": FOREACH,
            "slow": one_task_flow("SlowWork", wait_seconds=30),
            "fast": one_task_flow("FastWork"),
        },
    )
    flows = ["slow", "fast", "fast", "slow", "fast"]
    case = {
        "input": {"flows": flows},
        "mocks": {
            "SlowWork": [{"return": {}, "delaySeconds": 0.2, "times": 2}],
            "FastWork": [{"return": {}, "times": 3}],
        },
        "expect": {"status": "Succeeded"},
    }
    result = await run_case(tester, tmp_path / "parent.yaml", case)
    assert result.failures == [], result.steps
    for index, flow in enumerate(flows):
        call = f"Each#{index}/Call{flow.capitalize()}"
        inner = [step for step in result.steps if step.startswith(call + "/")]
        assert inner == (
            [f"{call}/Pause", f"{call}/SlowWork"] if flow == "slow" else [f"{call}/FastWork"]
        ), result.steps


RETRIED = """version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fnf:::flow/flaky
    pattern: sync
    retry:
      - errors: [FC.Unknown]
        intervalSeconds: 5
        maxAttempts: 2
  - type: task
    name: Then
    resourceArn: acs:fnf:::flow/steady
    pattern: sync
"""


async def test_each_attempt_of_a_retried_sub_flow_is_listed_under_its_step(
    tester: FlowTester, tmp_path: Path
) -> None:
    """A retried sub-flow step starts a child per attempt: both are listed under it, and the
    next sub-flow step keeps its own child (it used to be handed the second attempt's)."""
    write_flows(
        tmp_path,
        {
            "parent": RETRIED,
            "flaky": one_task_flow("FlakyWork"),
            "steady": one_task_flow("SteadyWork"),
        },
    )
    case = {
        "mocks": {
            "FlakyWork": [{"error": "FC.Unknown", "cause": "first"}, {"return": {}}],
            "SteadyWork": [{"return": {}}],
        },
        "expect": {
            "status": "Succeeded",
            "steps": ["Call", "Call/FlakyWork", "Call/FlakyWork", "Then", "Then/SteadyWork"],
        },
    }
    result = await run_case(tester, tmp_path / "parent.yaml", case)
    assert result.failures == [], result.steps


REFUSED = """version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: task
            name: Call
            resourceArn: acs:fnf:::flow/steady
            pattern: sync
            serviceParams:
              ExecutionName: not a name!
            catch:
              - errors: [fnf.InvalidArgument]
                goto: Refused
          - type: pass
            name: Refused
      - steps:
          - type: task
            name: Call
            resourceArn: acs:fnf:::flow/steady
            pattern: sync
"""


async def test_a_sub_flow_step_that_started_no_child_lists_none(
    tester: FlowTester, tmp_path: Path
) -> None:
    """A sub-flow step refused before its child started (an ExecutionName outside the name
    grammar) lists no sub-flow steps; the other branch's child stays under its own step (it
    used to be listed under the refused one)."""
    write_flows(tmp_path, {"parent": REFUSED, "steady": one_task_flow("SteadyWork")})
    case = {"mocks": {"SteadyWork": [{"return": {}}]}, "expect": {"status": "Succeeded"}}
    result = await run_case(tester, tmp_path / "parent.yaml", case)
    assert result.failures == [], result.steps
    assert sorted(result.steps) == sorted(
        ["Both", "Both#0/Call", "Both#0/Refused", "Both#1/Call", "Both#1/Call/SteadyWork"]
    )


async def test_many_concurrent_sub_flows_on_the_dev_server(
    dev_server_address: str, tmp_path: Path
) -> None:
    """On the dev server (the product's own) children started in one workflow task are
    recorded as started in whatever order the server gets to them; each iteration still
    lists its own child."""
    write_flows(
        tmp_path,
        {
            "parent": FOREACH,
            "slow": one_task_flow("SlowWork"),
            "fast": one_task_flow("FastWork"),
        },
    )
    flows = ["slow", "fast", "fast", "slow", "fast", "slow"] * 3
    case = {
        "input": {"flows": flows},
        "mocks": {
            "SlowWork": [{"return": {}, "delaySeconds": 0.05, "times": flows.count("slow")}],
            "FastWork": [{"return": {}, "times": flows.count("fast")}],
        },
        "expect": {"status": "Succeeded"},
    }
    client = await Client.connect(dev_server_address)
    async with FlowTester(client) as running:
        result = await run_case(running, tmp_path / "parent.yaml", case)
    assert result.failures == [], result.steps
    for index, flow in enumerate(flows):
        call = f"Each#{index}/Call{flow.capitalize()}"
        inner = [step for step in result.steps if step.startswith(call + "/")]
        assert inner == [f"{call}/{flow.capitalize()}Work"], (index, result.steps)


KEYED = """version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: task
            name: Call
            resourceArn: acs:fnf:::flow/child
            pattern: sync
      - steps:
          - type: task
            name: Call
            resourceArn: acs:fnf:::flow/child
            pattern: sync
    outputMappings:
      - target: branches
        source: $local
"""
KEYED_CHILD = """version: v1
type: flow
steps:
  - type: task
    name: Work
    resourceArn: acs:fc:::services/s/functions/w
"""


@pytest.mark.parametrize("slower", [0, 1])
async def test_a_sub_flows_task_is_mocked_by_its_path_through_the_sub_flow_step(
    tester: FlowTester, tmp_path: Path, slower: int
) -> None:
    """Concurrent sub-flows invoke their steps in any order, so bare-name responses go to
    whichever child asks first. `Both#1/Call/Work` answers only the child branch 1 started,
    whichever is slower; calls are counted under that path too. Such keys used to be refused
    ("steps of sub-flows are mocked by their bare name")."""
    write_flows(tmp_path, {"parent": KEYED, "child": KEYED_CHILD})
    mocks: dict[str, Any] = {
        f"Both#{index}/Call/Work": [
            {"return": {"who": index}, "delaySeconds": 0.3 if index == slower else 0}
        ]
        for index in (0, 1)
    }
    case = {
        "mocks": mocks,
        "expect": {
            "status": "Succeeded",
            "output": {"branches": [{"who": 0}, {"who": 1}]},
            "calls": {"Work": 2, "Both#0/Call/Work": 1, "Both#1/Call/Work": 1},
        },
    }
    result = await run_case(tester, tmp_path / "parent.yaml", case)
    assert result.failures == [], (result.output, result.calls)
    assert result.unused == []


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("Both#0/Nope/Work", "'Nope' is neither a branch or iteration"),
        ("Both#0/Call/Nope", "no step named 'Nope' in Both#0/Call"),
        ("Both#0/Call", "'Call' starts a sub-flow, which runs its own flow"),
    ],
)
def test_paths_through_sub_flow_steps_are_checked(tmp_path: Path, key: str, why: str) -> None:
    write_flows(tmp_path, {"parent": KEYED, "child": KEYED_CHILD})
    flow = FlowUnderTest.load(tmp_path / "parent.yaml")
    mock_file = parse_mocks({"cases": {"case": {"mocks": {key: [{"return": {}}]}}}})
    with pytest.raises(MockFileError, match=re.escape(why)):
        check_against_flow(mock_file, flow.graph, subflows=flow.flows)
