"""A task's output or error too large for Temporal's 2 MB payload limit is decided inside the
activity: the function is called once per FDL attempt (never again and again by Temporal
retrying a refused completion), an output over the per-event quota fails as a catchable
FnF.RuntimeError naming the event and field, and an error keeps its name with its cause cut to
FnF's 4096 characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow
from worker.activities.attempts import Ledger
from worker.activities.payload_bounds import SAFE_OUTPUT_BYTES
from worker.activities.requests import AttemptRecord
from worker.functions.errors import MAX_CAUSE_CHARS

HANDLERS = """\
import json

def _count(event):
    event = json.loads(event)
    with open(event["calls"], "a") as calls:
        calls.write("x")
    return event

def huge_output(event, context):
    event = _count(event)
    return {"b": "z" * event["size"]}

def keyed(event, context):
    event = json.loads(event)
    return {event["key"]: "z" * event["size"]}

def huge_error(event, context):
    event = _count(event)
    raise ValueError("y" * event["size"])
"""

ARN = "acs:fc:::services/s/functions"


def task_flow(function: str, retry: str = "") -> str:
    return f"""\
version: v1
type: flow
steps:
  - type: task
    name: T
    resourceArn: {ARN}/{function}
{retry}    catch:
      - errors: [ValueError, FnF.RuntimeError]
        goto: Caught
  - type: succeed
    name: Done
  - type: pass
    name: Caught
"""


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    path = tmp_path / "functions.yaml"
    path.write_text(
        "functions:\n"
        "  s/huge_output:\n    handler: handlers.py:huge_output\n"
        "  s/huge_error:\n    handler: handlers.py:huge_error\n"
        "  s/keyed:\n    handler: handlers.py:keyed\n"
    )
    return path


def calls(tmp_path: Path) -> int:
    path = tmp_path / "calls"
    return len(path.read_text()) if path.exists() else 0


@pytest.mark.parametrize("limit", [0, 32 * 1024, 4 * 1024 * 1024])
async def test_output_over_temporal_limit_fails_once_catchably(
    run_flow: RunFlow, registry: Path, tmp_path: Path, limit: int
) -> None:
    """2.5 MB of output, with no quota, the default one, or one above Temporal's limit."""
    event = {"calls": str(tmp_path / "calls"), "size": 2_500_000}
    outcome = await run_flow(
        "pb-out", event, text=task_flow("huge_output"), functions=registry, step_data_limit=limit
    )
    assert outcome.status == "Succeeded", (
        outcome.trail(),
        outcome.error,
        (outcome.cause or "")[:300],
    )
    assert calls(tmp_path) == 1
    failed = outcome.detail("TaskFailed", "T")
    assert failed["error"] == "FnF.RuntimeError"
    assert "TaskSucceeded" not in outcome.types("T")
    assert "its output is" in failed["cause"] and "event TaskSucceeded of step T" in failed["cause"]
    bound = limit if 0 < limit < SAFE_OUTPUT_BYTES else SAFE_OUTPUT_BYTES
    assert f"{bound}-byte limit" in failed["cause"]
    assert outcome.types("Caught")


async def test_output_over_quota_fails_the_attempt_not_the_step_event(
    run_flow: RunFlow, registry: Path, tmp_path: Path
) -> None:
    """An output just over the quota is refused by the activity: a TaskFailed, not a
    TaskSucceeded carrying it; the retry policy sees FnF.RuntimeError like any failure."""
    retry = "    retry:\n      - errors: [FnF.RuntimeError]\n        maxAttempts: 1\n"
    retry += "        intervalSeconds: 1\n"
    event = {"calls": str(tmp_path / "calls"), "size": 5000}
    outcome = await run_flow(
        "pb-out",
        event,
        text=task_flow("huge_output", retry),
        functions=registry,
        step_data_limit=4096,
    )
    assert calls(tmp_path) == 2
    assert outcome.types("T").count("TaskFailed") == 2
    assert "over the 4096-byte limit" in outcome.detail("TaskFailed", "T", 1)["cause"]
    assert outcome.types("Caught")


@pytest.mark.parametrize(("size", "retries"), [(2_500_000, 0), (800_000, 2), (MAX_CAUSE_CHARS, 1)])
async def test_huge_error_keeps_its_name_and_is_called_once_per_attempt(
    run_flow: RunFlow, registry: Path, tmp_path: Path, size: int, retries: int
) -> None:
    retry = ""
    if retries:
        retry = f"    retry:\n      - errors: [ValueError]\n        maxAttempts: {retries}\n"
        retry += "        intervalSeconds: 1\n"
    event = {"calls": str(tmp_path / "calls"), "size": size}
    outcome = await run_flow(
        "pb-err", event, text=task_flow("huge_error", retry), functions=registry
    )
    assert outcome.status == "Succeeded", (
        outcome.trail(),
        outcome.error,
        (outcome.cause or "")[:300],
    )
    assert calls(tmp_path) == retries + 1
    kinds = outcome.types("T")
    assert kinds.count("TaskScheduled") == kinds.count("TaskFailed") == retries + 1, kinds
    for nth in range(retries + 1):
        failed = outcome.detail("TaskFailed", "T", nth)
        assert failed["error"] == "ValueError"
        assert 0 < len(failed["cause"]) <= MAX_CAUSE_CHARS
    assert outcome.types("Caught")


def test_ledger_of_many_attempts_stays_small() -> None:
    """10 000 FDL attempts (one retrier's most) with 4096-character causes: the heartbeat
    details stay far under Temporal's payload limit, count every attempt, and keep the newest
    cause whole."""
    ledger = Ledger()
    for n in range(10_000):
        ledger.add(AttemptRecord(started="t", ended="t", error="E", cause=str(n % 10) * 5000))
    details = ledger.details()
    assert len(json.dumps(details)) < SAFE_OUTPUT_BYTES
    assert details["earlier"] + len(details["attempts"]) == 10_000
    assert details["attempts"][-1]["cause"] == "9" * 5000
    restored = Ledger.restore([details])
    assert restored.earlier + len(restored.attempts) == 10_000


def keyed_step(key: str, size: int = 750_000) -> str:
    return f"""\
  - type: task
    name: {key}
    resourceArn: {ARN}/keyed
    inputMappings:
      - target: key
        source: {key}
      - target: size
        source: {size}
"""


async def test_an_execution_output_too_large_for_temporal_fails_with_no_quota(
    run_flow: RunFlow, registry: Path
) -> None:
    """Three task results of 750 KB, each within the bound, merge into an execution output
    that Temporal cannot take: with no quota the execution fails rather than never ends."""
    flow = "version: v1\ntype: flow\nsteps:\n" + "".join(keyed_step(k) for k in "xyz")
    outcome = await run_flow("pb-result", {}, text=flow, functions=registry, step_data_limit=0)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert "event ExecutionSucceeded: its output is" in (outcome.cause or "")
    assert outcome.types()[-1] == "ExecutionFailed"


async def test_a_task_input_too_large_for_temporal_fails_the_step_with_no_quota(
    run_flow: RunFlow, registry: Path, tmp_path: Path
) -> None:
    """1.2 MB of local handed whole to a task (no inputMappings), with no quota: the step
    fails at StepEntered and the function is never called (a larger input would never even
    be scheduled by Temporal)."""
    flow = "version: v1\ntype: flow\nsteps:\n" + "".join(keyed_step(k, 400_000) for k in "xyz")
    flow += f"""\
  - type: task
    name: big
    resourceArn: {ARN}/huge_output
"""
    event = {"calls": str(tmp_path / "calls"), "size": 1}
    outcome = await run_flow("pb-input", event, text=flow, functions=registry, step_data_limit=0)
    assert (outcome.status, outcome.error) == ("Failed", "FnF.RuntimeError")
    assert calls(tmp_path) == 0
    assert outcome.types("big") == ["StepEntered", "StepFailed"]
    assert (outcome.cause or "").startswith("event StepEntered of step big: its input is 12")
