"""`fnf test-step`: one step evaluated on its own, with the interpreter's plans and the task
activity's retry decision (no Temporal)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from translator import compile_text
from worker.activities.retry import backoff
from worker.mocking.model import MockResponse
from worker.mocking.step_check import StepNotFound, check_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FLOW = """
version: v1
type: flow
steps:
  - type: pass
    name: Shape
    inputMappings:
      - target: n
        source: $input.count
    outputMappings:
      - target: doubled
        source: $input.n
      - target: who
        source: $context.step.name
  - type: choice
    name: Route
    inputMappings:
      - target: n
        source: $local.doubled
    choices:
      - condition: $.n > 10
        goto: Big
      - condition: $.n > 0
        steps:
          - type: pass
            name: Inner
        goto: Small
    default:
      goto: Nothing
  - type: task
    name: Call
    resourceArn: acs:fc:::services/s/functions/f
    inputMappings:
      - target: n
        source: $local.doubled
      - target: token
        source: $context.task.token
    outputMappings:
      - target: answer
        source: $local.value
    errorMappings:
      - target: why
        source: $local.cause
    retry:
      - errors: [Throttled]
        intervalSeconds: 2
        maxAttempts: 2
        multiplier: 3
      - errors: [FnF.ALL]
        intervalSeconds: 1
        maxAttempts: 1
    catch:
      - errors: [Fatal]
        goto: Nothing
      - errors: [FnF.ALL]
        goto: Small
  - type: pass
    name: Big
  - type: pass
    name: Small
  - type: fail
    name: Nothing
    error: NoWork
    cause: nothing to do
"""


@pytest.fixture(scope="module")
def graph() -> Any:
    return compile_text(FLOW)


def test_pass_mappings_and_context(graph: Any) -> None:
    checked = check_step(graph, "Shape", {"count": 4}, {"old": 1})
    assert checked.input == {"n": 4}
    assert checked.output == {"doubled": 4, "who": "Shape"}
    assert checked.scope_local == {"old": 1, "doubled": 4, "who": "Shape"}
    assert checked.next == "Route"


@pytest.mark.parametrize(
    ("value", "option", "goto"), [(11, 0, "Big"), (3, 1, "Small"), (0, "default", "Nothing")]
)
def test_choice_picks_its_branch(graph: Any, value: int, option: Any, goto: str) -> None:
    checked = check_step(graph, "Route", {}, {"doubled": value})
    assert checked.choice is not None
    assert (checked.choice["option"], checked.choice["goto"], checked.next) == (option, goto, goto)


def test_task_result_goes_through_output_mappings(graph: Any) -> None:
    result = MockResponse.model_validate({"return": {"value": 42}})
    checked = check_step(graph, "Call", {}, {"doubled": 5}, [result])
    assert checked.input == {"n": 5, "token": None}  # not a waitForCallback task: no token
    assert checked.output == {"answer": 42}
    assert checked.next == "Big"


def test_retriers_keep_their_own_counters_then_the_catch(graph: Any) -> None:
    throttled = MockResponse(error="Throttled", cause="slow down", times=2)
    other = MockResponse(error="Boom", cause="it broke", times=2)
    checked = check_step(graph, "Call", {}, {}, [throttled, other])
    retries = [attempt.get("retry") for attempt in checked.attempts]
    policy = graph["steps"][2]["retry"][0]
    assert retries == [
        {
            "retrier": 0,
            "errors": ["Throttled"],
            "delaySeconds": backoff(policy, 0),
            "retriesUsed": 1,
        },
        {"retrier": 0, "errors": ["Throttled"], "delaySeconds": 6.0, "retriesUsed": 2},
        {"retrier": 1, "errors": ["FnF.ALL"], "delaySeconds": 1.0, "retriesUsed": 1},
        None,
    ]
    assert checked.caught == {
        "catch": 1,
        "errors": ["FnF.ALL"],
        "goto": "Small",
        "retryCount": 3,
        "errorMappings": {"why": "it broke"},
    }
    assert checked.next == "Small" and checked.scope_local == {"why": "it broke"}


def test_listed_responses_run_out_as_in_fnf_test(graph: Any) -> None:
    checked = check_step(graph, "Call", {}, {}, [MockResponse(error="Throttled")])
    assert checked.attempts[1]["error"] == "fnf.MockMissing"
    assert checked.caught is not None and checked.caught["goto"] == "Small"


def test_fail_step_and_unknown_step(graph: Any) -> None:
    checked = check_step(graph, "Nothing", {}, {})
    assert (checked.error, checked.cause, checked.next) == ("NoWork", "nothing to do", None)
    with pytest.raises(StepNotFound, match="no step named 'Nope'"):
        check_step(graph, "Nope", {}, {})


def test_cli_test_step_on_the_saga(tmp_path: Path) -> None:
    """`fnf test-step` as a user runs it: the hotel's retries and its catch."""
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("fnf")),
            "test-step",
            str(EXAMPLES / "saga" / "flow.yaml"),
            "ReserveHotel",
            "--input",
            '{"reserve_hotel_result": false}',
            "--local",
            '{"reserve_flight_txnID": "f-1"}',
            "--error",
            "FC.Unknown",
            "--cause",
            "down",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    shown = json.loads(completed.stdout)
    assert shown["input"] == {"operation": "reserve_hotel", "reserve_hotel": False}
    assert [a.get("retry", {}).get("delaySeconds") for a in shown["attempts"]] == [1, 2, 4, None]
    assert shown["caught"]["goto"] == shown["next"] == "CancelFlight"
    assert shown["scopeLocal"] == {"reserve_flight_txnID": "f-1"}
