"""A sub-flow's execution name (serviceParams.ExecutionName, or the UUID made when it has none)
follows the one execution-name grammar: names the product generates run, names outside the
grammar, and values that are not strings at all, fail the task with a catchable
fnf.InvalidArgument instead of starting a child that no API call could ever describe, stop or
report to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow
from translator import compile_text
from translator.names import EXECUTION

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
    serviceParams:
      {params}
    catch: [{{errors: [fnf.InvalidArgument], goto: refused}}]
    errorMappings: [{{target: cause, source: $local.cause}}]
  - type: succeed
    name: done
  - type: pass
    name: refused
"""


def parent(pattern: str, named: bool) -> str:
    params = "ExecutionName: $.child" if named else "Input: $"
    return PARENT.format(pattern=pattern, params=params)


@pytest.mark.parametrize("child", ["0f9e8d7c-6b5a-4c3d-9e8f-7a6b5c4d3e2f", "_c", "9" * 128])
async def test_children_named_from_the_grammar_run(run_flow: RunFlow, child: str) -> None:
    outcome = await run_flow(
        "parent",
        {"child": child},
        text=parent("requestResponse", named=True),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None and outcome.output["Name"] == child


async def test_unnamed_children_get_a_valid_generated_name(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "parent",
        {},
        text=parent("requestResponse", named=False),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )
    assert outcome.output is not None and EXECUTION.is_valid(outcome.output["Name"])


NOT_STRINGS = [7, 0, True, False, 2.5, {"n": 1}, ["a"]]
"""Names that are not strings: they used to become their Python str() (`7`, `True`) and
start a child, and 0 or false a child with a random name."""


@pytest.mark.parametrize(
    ("child", "pattern"),
    [
        *[(name, "sync") for name in ["a b", "x/y", "-c", "城", "a" * 129]],
        *[(name, pattern) for name in NOT_STRINGS for pattern in ("sync", "requestResponse")],
    ],
)
async def test_children_named_outside_the_grammar_fail_catchably(
    run_flow: RunFlow, child: object, pattern: str
) -> None:
    outcome = await run_flow(
        "parent",
        {"child": child},
        text=parent(pattern, named=True),
        functions=FUNCTIONS,
        flows={"child": dict(compile_text(CHILD))},
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    assert "serviceParams.ExecutionName" in outcome.output["cause"]
    if not isinstance(child, str):
        assert "must be a string" in outcome.output["cause"]
    failed = [e for e in outcome.events if e["Type"] == "TaskFailed"]
    assert json.loads(failed[-1]["EventDetail"])["error"] == "fnf.InvalidArgument"
    assert not [e for e in outcome.events if e["Type"] == "TaskSucceeded"]
