"""Values that cannot enter an execution, from a function's result or a callback's Output:
lone surrogates, NaN/Infinity, nesting deeper than 64 levels, integers of more than 1,000
digits (translator/json_values.py). A function's result fails its task with a catchable
FnF.InvalidLocal; nothing of the value reaches the history. (NaN and Infinity never leave the
Python function host, which refuses them as FC does; the check covers HTTP functions.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow

RESULTS = """\
import json


def lone_surrogate(event, context):
    return {"s": "\\ud800"}


def lone_surrogate_key(event, context):
    return {"\\udfff": 1}


def deep(event, context):
    value = 1
    for _ in range(70):
        value = {"a": value}
    return value


def long_integer(event, context):
    return {"n": int("7" * 1001)}


def lone_surrogate_error(event, context):
    raise ValueError("bad \\ud800 text")


"""

FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fc:::services/s/functions/{function}
    catch:
      - errors: [FnF.InvalidLocal]
        goto: Caught
  - type: fail
    name: NotCaught
    error: Unexpected
  - type: pass
    name: Caught
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("poison")
    (folder / "functions.py").write_text(RESULTS)
    names = ["lone_surrogate", "lone_surrogate_key", "deep", "long_integer", "lone_surrogate_error"]
    lines = [f"  s/{name}:\n    handler: functions.py:{name}\n" for name in names]
    path = folder / "functions.yaml"
    path.write_text("functions:\n" + "".join(lines))
    return path


@pytest.mark.parametrize(
    ("function", "said"),
    [
        ("lone_surrogate", "lone surrogate"),
        ("lone_surrogate_key", "lone surrogate"),
        ("deep", "nests deeper than 64 levels"),
        ("long_integer", "more than 1000 digits"),
    ],
)
async def test_a_result_that_is_no_json_value_is_invalid_local(
    run_flow: RunFlow, registry: Path, function: str, said: str
) -> None:
    flow = FLOW.replace("{function}", function)
    outcome = await run_flow("poison-results", {}, text=flow, functions=registry)
    assert outcome.status == "Succeeded", (outcome.error, outcome.cause, outcome.trail())
    assert outcome.types("Call")[-1] == "StepExited"
    caught = outcome.detail("StepExited", "Call")
    assert caught["error"] == "FnF.InvalidLocal"
    assert said in caught["cause"], caught["cause"]
    assert "NotCaught" not in [e["StepName"] for e in outcome.events]


async def test_an_error_with_a_lone_surrogate_fails_the_task_with_valid_text(
    run_flow: RunFlow, registry: Path
) -> None:
    """A failed task's error is recorded, not refused: a lone surrogate in the function's
    exception message becomes U+FFFD. Temporal cannot carry it (protobuf strings are UTF-8), so
    the attempt's failure used to be retried for ever and the execution never ended."""
    flow = FLOW.replace("{function}", "lone_surrogate_error").replace(
        "FnF.InvalidLocal", "ValueError"
    )
    outcome = await asyncio.wait_for(
        run_flow("poison-results", {}, text=flow, functions=registry), timeout=60
    )
    assert outcome.status == "Succeeded", (outcome.error, outcome.cause, outcome.trail())
    caught = outcome.detail("StepExited", "Call")
    assert caught["error"] == "ValueError"
    assert json.loads(caught["cause"])["errorMessage"] == "bad \ufffd text"
