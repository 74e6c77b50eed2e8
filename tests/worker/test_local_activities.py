"""Function tasks run as Temporal local activities (registry `localActivity: true`).

Every flow runs twice, on the same handler registered as a regular activity (service
`regular`) and as a local activity (service `local`): the FnF history must be the same in
shape (event types, order, error names), and the local run must show the local activities in
its Temporal history (markers, no ActivityTaskScheduled) with FDL backoffs as timers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from tests.worker.conftest import Outcome, RunFlow
from tests.worker.test_stopping import ended
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution, stop_execution
from worker.functions import FunctionRegistry

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "local.yaml"
MODES = ("regular", "local")
STOP = {"error": "Abandoned", "cause": "the user stopped it"}


def arn(mode: str, function: str) -> str:
    return f"acs:fc:::services/{mode}/functions/{function}"


async def run_both(
    run_flow: RunFlow, template: str, flow_input: dict[str, Any] | None = None
) -> dict[str, Outcome]:
    """The flow `template` (`{service}` in its ARNs) run as regular and as local tasks."""
    outcomes = {}
    for mode in MODES:
        text = template.replace("{service}", mode)
        outcomes[mode] = await run_flow(
            "local-activities", dict(flow_input or {}), text=text, functions=FUNCTIONS
        )
    return outcomes


def shape(outcome: Outcome) -> list[tuple[str, str, list[str], str | None]]:
    """Each event's type, step, detail keys and error name: what must not depend on the mode."""
    shown = []
    for event in outcome.events:
        detail = json.loads(event["EventDetail"] or "{}")
        shown.append((event["Type"], event["StepName"], sorted(detail), detail.get("error")))
    return shown


async def temporal_events(env: WorkflowEnvironment, outcome: Outcome) -> list[dict[str, Any]]:
    history = await env.client.get_workflow_handle(outcome.workflow_id).fetch_history()
    events: list[dict[str, Any]] = history.to_json_dict()["events"]
    return events


def activity_kinds(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(regular activities scheduled, local activity markers of tasks) in a Temporal history."""
    scheduled = sum(e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" for e in events)
    markers = sum(
        e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_local_activity"
        and _marker_type(e["markerRecordedEventAttributes"]) != "ArchiveHistory"
        for e in events
    )
    return scheduled, markers


def _marker_type(marker: dict[str, Any]) -> str:
    """The activity type a local activity marker records (ArchiveHistory, at each run's close,
    is not a task's)."""
    payload = marker["details"]["data"]["payloads"][0]
    return str(json.loads(base64.b64decode(payload["data"]))["activity_type"])


def timers(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["timerStartedEventAttributes"]["startToFireTimeout"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_TIMER_STARTED"
    ]


RETRIED = """\
version: v1
type: flow
steps:
  - type: task
    name: work
    resourceArn: acs:fc:::services/{service}/functions/flaky
    inputMappings:
      - {target: tally, source: $input.tally}
      - {target: failures, source: $input.failures}
    retry:
      - errors: [Other]
        intervalSeconds: 7
        maxAttempts: 5
      - errors: [Flaky]
        intervalSeconds: 2
        maxAttempts: 3
        multiplier: 1.5
    catch:
      - errors: [Flaky]
        goto: caught
    outputMappings: [{target: calls, source: $local.calls}]
  - type: succeed
    name: done
  - type: pass
    name: caught
    outputMappings: [{target: caught, source: true}]
"""


@pytest.mark.parametrize("failures", [2, 5], ids=["retried-then-succeeds", "spent-then-caught"])
async def test_local_retries_follow_the_retry_block(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment, tmp_path: Path, failures: int
) -> None:
    """The first policy listing the error decides (Other's never does), with its own counter:
    backoff 2 s, then 3 s, 4.5 s; maxAttempts 3 retries, then the catch."""
    outcomes = {}
    for mode in MODES:
        flow_input = {"tally": str(tmp_path / f"{mode}.tally"), "failures": failures}
        text = RETRIED.replace("{service}", mode)
        outcomes[mode] = await run_flow(
            "local-activities", flow_input, text=text, functions=FUNCTIONS
        )
    local = outcomes["local"]
    assert shape(local) == shape(outcomes["regular"])
    calls = min(failures + 1, 4)
    assert local.types("work").count("TaskScheduled") == calls
    assert local.types("work").count("TaskFailed") == min(failures, 4)
    if failures < 4:
        assert local.output == {"calls": calls}
    else:
        assert local.output == {"caught": True}
        assert local.detail("StepExited", "work")["retryCount"] == 3
    assert (tmp_path / "local.tally").read_text().count("call") == calls
    events = await temporal_events(temporal_env, local)
    assert activity_kinds(events) == (0, calls + 1)  # one GetFunction, one per FDL attempt
    assert timers(events) == ["2s", "3s", "4.500s"][: calls - 1]


CAUGHT = """\
version: v1
type: flow
steps:
  - type: task
    name: work
    resourceArn: acs:fc:::services/{service}/functions/{function}
    retry:
      - errors: [Unlisted]
        intervalSeconds: 1
        maxAttempts: 3
    catch:
      - errors: [{error}]
        goto: caught
  - type: succeed
    name: done
  - type: pass
    name: caught
    outputMappings: [{target: error, source: $local.errCode}]
"""


@pytest.mark.parametrize(
    ("function", "error"),
    [("raise", "ErrorNeedsRetry"), ("hard-exit", "FC.Unknown")],
    ids=["raised-exception", "function-crash"],
)
async def test_a_local_failure_goes_to_catch_by_its_error_name(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment, function: str, error: str
) -> None:
    template = CAUGHT.replace("{function}", function).replace("{error}", error)
    outcomes = await run_both(run_flow, template)
    local = outcomes["local"]
    assert shape(local) == shape(outcomes["regular"])
    assert local.status == "Succeeded"
    assert local.detail("TaskFailed", "work")["error"] == error
    assert local.types("work").count("TaskFailed") == 1  # not listed by the retry block
    events = await temporal_events(temporal_env, local)
    assert activity_kinds(events) == (0, 2)


TIMED_OUT = """\
version: v1
type: flow
steps:
  - type: task
    name: work
    resourceArn: acs:fc:::services/{service}/functions/nap
    timeoutSeconds: 1
    inputMappings: [{target: seconds, source: 3}]
    retry:
      - errors: [FnF.TaskTimeout]
        intervalSeconds: 1
        maxAttempts: 1
"""


async def test_a_local_task_past_timeout_seconds_times_out_as_a_regular_one(
    run_flow: RunFlow,
    temporal_env: WorkflowEnvironment,
) -> None:
    outcomes = await run_both(run_flow, TIMED_OUT)
    local = outcomes["local"]
    assert shape(local) == shape(outcomes["regular"])
    assert (local.status, local.error) == ("Failed", "FnF.TaskTimeout")
    assert local.types("work").count("TaskTimedOut") == 2


MIXED = """\
version: v1
type: flow
steps:
  - type: pass
    name: prepare
    outputMappings: [{target: items, source: $input.items}]
  - type: task
    name: first
    resourceArn: acs:fc:::services/{service}/functions/echo
    inputMappings: [{target: value, source: first}]
  - type: foreach
    name: each
    iterationMapping: {collection: $.items, item: item}
    maxConcurrency: 1
    steps:
      - type: task
        name: inner
        resourceArn: acs:fc:::services/{service}/functions/echo
        inputMappings: [{target: value, source: $input.item}]
    outputMappings: [{target: values, source: "$local[*].value"}]
"""


async def test_a_local_task_history_has_the_shape_of_a_regular_one(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    outcomes = await run_both(run_flow, MIXED, {"items": [1, 2, 3]})
    local, regular = outcomes["local"], outcomes["regular"]
    assert shape(local) == shape(regular)
    assert (
        local.output
        == regular.output
        == {"items": [1, 2, 3], "value": "first", "values": [1, 2, 3]}
    )
    for mode, outcome in outcomes.items():
        events = await temporal_events(temporal_env, outcome)
        # The regular run asks the registry once (GetFunction) and calls 4 activities.
        assert activity_kinds(events) == ((0, 5) if mode == "local" else (4, 1)), mode
    times = [event["Time"] for event in local.events]
    assert times == sorted(times)


def test_a_local_activity_entry_must_be_short() -> None:
    with pytest.raises(ValueError, match=r"'localActivity' needs a 'timeout' of at most 10"):
        FunctionRegistry.from_mapping(
            {"functions": {"svc/f": {"url": "http://127.0.0.1:1/f", "localActivity": True}}}
        )
    registry = FunctionRegistry.from_mapping(
        {
            "functions": {
                "svc/f": {"url": "http://127.0.0.1:1/f", "localActivity": True, "timeout": 2}
            }
        }
    )
    resource: Any = {"kind": "fc", "arn": "a", "service": "svc", "function": "f"}
    assert registry.local_activity_bound(resource) == 2
    assert registry.local_activity_bound({**resource, "function": "missing"}) is None


# StopExecution needs the dev server (see tests/worker/test_stopping.py)

QUEUE = f"local-stopping-{uuid.uuid4().hex[:6]}"

CHAIN = "\n".join(
    ["version: v1", "type: flow", "steps:"]
    + [
        f"""\
  - type: task
    name: nap{n}
    resourceArn: acs:fc:::services/local/functions/mark
    inputMappings:
      - {{target: marks, source: $input.marks}}
      - {{target: step, source: nap{n}}}
      - {{target: seconds, source: 1}}"""
        for n in range(30)
    ]
)


@pytest_asyncio.fixture(scope="module")
async def dev_client(dev_server_address: str) -> Any:
    temporal = await Client.connect(dev_server_address)
    async with serving(temporal, QUEUE, FUNCTIONS):
        yield temporal


async def test_stop_during_a_chain_of_local_tasks_stops_it(
    dev_client: Client, tmp_path: Path
) -> None:
    """A chain of local tasks runs inside one workflow task, which the worker keeps alive
    (Temporal's workflow task heartbeat, every 8 s of the 10 s timeout): the stop reaches the
    execution at the next one and cancels the running task, rather than after the chain."""
    marks = tmp_path / "marks"
    run = FlowRun(
        graph=dict(compile_text(CHAIN)),
        input={"marks": str(marks)},
        flow_name="local",
        execution_name=f"e-{uuid.uuid4()}",
    )
    handle: WorkflowHandle[Any, Any] = await start_execution(
        dev_client, QUEUE, run, search_attributes=False
    )
    deadline = time.monotonic() + 20
    while "nap0 start" not in (marks.read_text() if marks.exists() else ""):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    began = time.monotonic()
    await stop_execution(handle, **STOP)
    outcome = await ended(dev_client, handle)
    assert time.monotonic() - began < 15
    assert outcome.status == "Stopped"
    assert outcome.events[-1]["Type"] == "ExecutionStopped"
    assert json.loads(outcome.events[-1]["EventDetail"]) == STOP
    naps = marks.read_text().count(" start")
    assert naps < 15, naps
    cancelled = outcome.events[-2]
    assert cancelled["Type"] == "StepFailed"
    assert json.loads(cancelled["EventDetail"]) == STOP
    task_ends = [e for e in outcome.events if e["StepName"] == cancelled["StepName"]]
    assert [e["Type"] for e in task_ends if e["Type"].startswith("Task")] in (
        ["TaskScheduled"],
        ["TaskScheduled", "TaskStarted"],
    )
