"""RedriveExecution on the dev server: a failed or stopped execution goes on from the step where
it ended, in a new run of its workflow; what completed keeps its results and does not run
again (counted by the functions themselves, in files), and the history reads as one.

The functions (redrive_functions/functions.py) fail while a flag file exists: a test fixes one
between two attempts by removing its flag, as a user deploys a fixed function.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client

from api.services.executions import ExecutionService
from api.services.failures import ServiceError
from api.store.flows import FlowStore
from tests.helpers.api_workers import Api, serve_api
from worker.callbacks.client import ReportRefused, report_task_succeeded
from worker.limits import RedriveLimits
from worker.redrive import redriving
from worker.settings import Settings

FUNCTIONS = Path(__file__).parent / "redrive_functions" / "functions.yaml"
STEP_ARN = "acs:fc:::services/fnf-test/functions/step"


def task(name: str, extra: str = "") -> str:
    """A task step calling `step` as function `name` (its counter and flag are named so)."""
    return f"""
  - type: task
    name: {name}
    resourceArn: {STEP_ARN}
    inputMappings:
      - target: dir
        source: $input.dir
      - target: name
        source: {name}{extra}"""


SEQUENCE = f"""version: v1
type: flow
steps:{task("a")}{task("b")}{task("c")}
      - target: value
        source: $local.a
"""

FOREACH = f"""version: v1
type: flow
steps:{task("before")}
  - type: foreach
    name: Each
    inputMappings:
      - target: items
        source: $input.items
      - target: dir
        source: $input.dir
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: Work
        resourceArn: {STEP_ARN}
        inputMappings:
          - target: dir
            source: $input.dir
          - target: name
            source: $input.item.name
          - target: delay
            source: $input.item.delay
    outputMappings:
      - target: results
        source: $local
{task("after")}
"""


def nested(text: str) -> str:
    """Steps written for the root, indented for a branch's `steps:`."""
    return text.replace("\n", "\n      ")


PARALLEL = f"""version: v1
type: flow
steps:
  - type: parallel
    name: Both
    inputMappings:
      - target: dir
        source: $input.dir
    branches:
      - steps:{nested(task("p0"))}
      - steps:{nested(task("p1a"))}{nested(task("p1b"))}
            - target: delay
              source: 0.5
      - steps:{nested(task("p2"))}
    outputMappings:
      - target: results
        source: $local
"""

CHOICE = f"""version: v1
type: flow
steps:
  - type: choice
    name: Route
    inputMappings:
      - target: dir
        source: $input.dir
      - target: route
        source: $input.route
    choices:
      - condition: $.route == "long"
        steps:{nested(task("x"))}{nested(task("y"))}
    default:
      goto: Done{task("z")}
  - type: pass
    name: Done
"""

CALLBACK = f"""version: v1
type: flow
steps:{task("first")}
  - type: task
    name: Wait
    resourceArn: acs:fc:::services/fnf-test/functions/echo
    pattern: waitForCallback
    inputMappings:
      - target: taskToken
        source: $context.task.token
{task("last")}
"""


@pytest_asyncio.fixture(scope="module")
async def api(dev_server_address: str) -> AsyncIterator[Api]:
    client = await Client.connect(dev_server_address)
    queue = f"redrive-{uuid.uuid4().hex[:6]}"
    settings = Settings(temporal_address=dev_server_address, task_queue=queue, functions=FUNCTIONS)
    store = FlowStore(client, f"{queue}-store")
    limits = RedriveLimits(max_count=2, max_age=3600)
    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack)
        yield Api(client, store, ExecutionService(client, store, queue, redrive_limits=limits))


async def create(api: Api, definition: str, mode: str = "Standard") -> str:
    flow = f"redrive_{uuid.uuid4().hex[:8]}"
    await api.store.create(
        {
            "Name": flow,
            "Definition": definition,
            "Description": "",
            "Type": "FDL",
            "ExecutionMode": mode,
        }
    )
    return flow


def counts(folder: Path) -> dict[str, int]:
    return {path.stem: len(path.read_text()) for path in folder.glob("*.count")}


async def history(api: Api, flow: str, execution: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page, token = await api.executions.history(flow, execution, 7, token)
        events += page
        if token is None:
            return events


async def closed(api: Api, flow: str, execution: str) -> dict[str, Any]:
    record = await api.executions.describe(flow, execution, wait_seconds=30)
    assert record["Status"] != "Running", record
    return record


async def refusal(api: Api, flow: str, execution: str) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        await api.executions.redrive(flow, execution)
    return refused.value


def check_one_history(first: list[dict[str, Any]], whole: list[dict[str, Any]]) -> None:
    """The first attempt's events unchanged, then ExecutionRedriven, EventIds counting on."""
    assert whole[: len(first)] == first
    assert [event["EventId"] for event in whole] == list(range(1, len(whole) + 1))
    redriven = whole[len(first)]
    assert redriven["Type"] == "ExecutionRedriven"
    assert json.loads(redriven["EventDetail"])["redriveCount"] == 1
    times = [event["Time"] for event in whole]
    assert times == sorted(times)


async def test_a_task_failure_is_redriven_from_the_failed_step(api: Api, tmp_path: Path) -> None:
    flow = await create(api, SEQUENCE)
    (tmp_path / "broken-b").touch()
    started = await api.executions.start(flow, "order-1", {"dir": str(tmp_path)}, None)
    failed = await closed(api, flow, "order-1")
    assert (failed["Status"], failed["RedriveCount"], failed["RedriveTime"]) == ("Failed", 0, "")
    first = await history(api, flow, "order-1")
    assert first[-1]["Type"] == "ExecutionFailed"

    (tmp_path / "broken-b").unlink()  # the function is fixed
    redriven = await api.executions.redrive(flow, "order-1")
    assert (redriven["Status"], redriven["RedriveCount"]) == ("Running", 1)
    assert redriven["RedriveTime"] and redriven["StartedTime"] == started["StartedTime"]
    done = await closed(api, flow, "order-1")
    assert done["Status"] == "Succeeded", done
    # c read $local.a, which a wrote in the first attempt: the local was carried over.
    assert json.loads(done["Output"]) == {"a": "done", "b": "done", "c": "done"}
    assert json.loads(done["Input"]) == {"dir": str(tmp_path)}
    assert counts(tmp_path) == {"a": 1, "b": 2, "c": 1}

    whole = await history(api, flow, "order-1")
    check_one_history(first, whole)
    after = whole[len(first) :]
    assert json.loads(after[0]["EventDetail"])["step"] == "b"
    assert [e["StepName"] for e in after if e["Type"] == "StepEntered"] == ["b", "c"]
    assert after[-1]["Type"] == "ExecutionSucceeded"

    for _ in range(100):  # visibility lists every run: the execution is listed once
        listed, _ = await api.executions.list_executions(
            flow,
            status=None,
            name_prefix=None,
            started_after=None,
            started_before=None,
            limit=10,
            next_token=None,
            metadata_only=True,
        )
        if [item["Status"] for item in listed] == ["Succeeded"]:
            break
        await asyncio.sleep(0.1)
    assert [(item["Name"], item["Status"]) for item in listed] == [("order-1", "Succeeded")]

    succeeded = await refusal(api, flow, "order-1")
    assert succeeded.code == "ExecutionNotRedrivable" and "succeeded" in succeeded.message
    assert succeeded.status == 400


async def test_only_the_failed_iteration_runs_again(api: Api, tmp_path: Path) -> None:
    flow = await create(api, FOREACH)
    items = [{"name": f"i{n}", "delay": 1.0 if n == 2 else 0} for n in range(4)]
    (tmp_path / "broken-i2").touch()
    await api.executions.start(flow, "each", {"dir": str(tmp_path), "items": items}, None)
    assert (await closed(api, flow, "each"))["Status"] == "Failed"
    first = await history(api, flow, "each")
    completed = {
        json.loads(e["EventDetail"])["index"]
        for e in first
        if e["Type"] == "IterationExited" and "error" not in json.loads(e["EventDetail"])
    }
    assert 2 not in completed and completed, first  # i2 failed after the others ended

    (tmp_path / "broken-i2").unlink()
    await api.executions.redrive(flow, "each")
    done = await closed(api, flow, "each")
    assert done["Status"] == "Succeeded", done
    output = json.loads(done["Output"])
    assert output["results"] == [{f"i{n}": "done"} for n in range(4)]
    expected = {f"i{n}": 1 if n in completed else 2 for n in range(4)}
    assert counts(tmp_path) == {"before": 1, "after": 1, **expected}
    whole = await history(api, flow, "each")
    check_one_history(first, whole)
    again = {
        json.loads(e["EventDetail"])["index"]
        for e in whole[len(first) :]
        if e["Type"] == "IterationEntered"
    }
    assert again == set(range(4)) - completed


async def test_only_the_failed_branch_runs_again_from_its_failed_step(
    api: Api, tmp_path: Path
) -> None:
    flow = await create(api, PARALLEL)
    (tmp_path / "broken-p1b").touch()
    await api.executions.start(flow, "both", {"dir": str(tmp_path)}, None)
    assert (await closed(api, flow, "both"))["Status"] == "Failed"
    first = await history(api, flow, "both")
    assert counts(tmp_path) == {"p0": 1, "p1a": 1, "p1b": 1, "p2": 1}

    (tmp_path / "broken-p1b").unlink()
    await api.executions.redrive(flow, "both")
    done = await closed(api, flow, "both")
    assert done["Status"] == "Succeeded", done
    assert json.loads(done["Output"])["results"] == [
        {"p0": "done"},
        {"p1a": "done", "p1b": "done"},
        {"p2": "done"},
    ]
    # p1a ran before p1b failed, in the same branch: only p1b runs again.
    assert counts(tmp_path) == {"p0": 1, "p1a": 1, "p1b": 2, "p2": 1}
    whole = await history(api, flow, "both")
    check_one_history(first, whole)
    after = whole[len(first) :]
    branches = [json.loads(e["EventDetail"])["index"] for e in after if "Branch" in e["Type"]]
    assert branches == [1, 1]  # BranchEntered, BranchExited


async def test_a_choice_option_goes_on_from_its_failed_step(api: Api, tmp_path: Path) -> None:
    flow = await create(api, CHOICE)
    (tmp_path / "broken-y").touch()
    await api.executions.start(flow, "route", {"dir": str(tmp_path), "route": "long"}, None)
    assert (await closed(api, flow, "route"))["Status"] == "Failed"
    first = await history(api, flow, "route")
    (tmp_path / "broken-y").unlink()
    await api.executions.redrive(flow, "route")
    done = await closed(api, flow, "route")
    assert done["Status"] == "Succeeded", done
    assert json.loads(done["Output"]) == {"x": "done", "y": "done", "z": "done"}
    assert counts(tmp_path) == {"x": 1, "y": 2, "z": 1}
    whole = await history(api, flow, "route")
    check_one_history(first, whole)
    entered = [e["StepName"] for e in whole[len(first) :] if e["Type"] == "StepEntered"]
    assert entered == ["Route", "y", "z", "Done"]


async def test_a_batched_foreach_runs_only_its_unfinished_batches(api: Api, tmp_path: Path) -> None:
    """Above FNF_FOREACH_BATCH_THRESHOLD items a foreach runs batches as child runs: a redrive
    runs again the batches that did not complete (a failed batch's other items with it)."""
    options = {"foreach_batch_threshold": 2, "foreach_batch_size": 2}
    batched = ExecutionService(
        api.client, api.store, api.executions.task_queue, run_options=options
    )
    flow = await create(api, FOREACH)
    items = [{"name": f"i{n}", "delay": 1.5 if n == 3 else 0} for n in range(6)]
    (tmp_path / "broken-i3").touch()
    await batched.start(flow, "batches", {"dir": str(tmp_path), "items": items}, None)
    assert (await closed(api, flow, "batches"))["Status"] == "Failed"
    first = await history(api, flow, "batches")
    parts = [json.loads(e["EventDetail"]) for e in first if e["Type"] == "PartExited"]
    completed = {part["firstIndex"] for part in parts if "error" not in part}
    assert 2 not in completed and completed, parts
    before = counts(tmp_path)

    (tmp_path / "broken-i3").unlink()
    await batched.redrive(flow, "batches")
    done = await closed(api, flow, "batches")
    assert done["Status"] == "Succeeded", done
    assert json.loads(done["Output"])["results"] == [{f"i{n}": "done"} for n in range(6)]
    after = counts(tmp_path)
    for n in range(6):
        ran_again = 0 if n - n % 2 in completed else 1
        assert after[f"i{n}"] == before.get(f"i{n}", 0) + ran_again, (n, before, after)
    whole = await history(api, flow, "batches")
    check_one_history(first, whole)
    again = {
        json.loads(e["EventDetail"])["firstIndex"]
        for e in whole[len(first) :]
        if e["Type"] == "PartEntered"
    }
    assert again == {0, 2, 4} - completed


async def test_a_stopped_execution_goes_on_from_its_waiting_task(api: Api, tmp_path: Path) -> None:
    flow = await create(api, CALLBACK)
    await api.executions.start(flow, "cb", {"dir": str(tmp_path)}, None)
    old_token = await token_of(api, flow, "cb", 1)
    running = await refusal(api, flow, "cb")
    assert running.code == "ExecutionNotRedrivable" and "running" in running.message
    await api.executions.stop(flow, "cb", "Paused", "by the test")
    first = await history(api, flow, "cb")
    assert first[-1]["Type"] == "ExecutionStopped"

    redriven = await api.executions.redrive(flow, "cb")
    assert redriven["Status"] == "Running"
    token = await token_of(api, flow, "cb", 2)
    assert token != old_token
    with pytest.raises(ReportRefused) as stale:  # the stopped attempt's token is spent
        await report_task_succeeded(api.client, old_token, '{"status": "late"}')
    assert stale.value.code == "TaskAlreadyCompleted"
    await report_task_succeeded(api.client, token, '{"status": "ok"}')
    done = await closed(api, flow, "cb")
    assert done["Status"] == "Succeeded", done
    assert counts(tmp_path) == {"first": 1, "last": 1}
    check_one_history(first, await history(api, flow, "cb"))


async def test_limits_missing_executions_and_deleted_flows(api: Api, tmp_path: Path) -> None:
    flow = await create(api, SEQUENCE)
    (tmp_path / "broken-a").touch()
    await api.executions.start(flow, "again", {"dir": str(tmp_path)}, None)
    assert (await closed(api, flow, "again"))["Status"] == "Failed"
    for count in (1, 2):  # still broken: each redrive fails again at a
        record = await api.executions.redrive(flow, "again")
        assert record["RedriveCount"] == count
        assert (await closed(api, flow, "again"))["Status"] == "Failed"
    over = await refusal(api, flow, "again")
    assert over.code == "ExecutionNotRedrivable" and "FNF_REDRIVE_MAX_COUNT" in over.message
    assert counts(tmp_path) == {"a": 3}  # the first attempt and two redrives
    events = await history(api, flow, "again")
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    redrives = [json.loads(e["EventDetail"]) for e in events if e["Type"] == "ExecutionRedriven"]
    assert [r["redriveCount"] for r in redrives] == [1, 2]

    express = await create(api, SEQUENCE, "Express")
    ended = await api.executions.start_sync(express, "sync", {"dir": str(tmp_path)}, None)
    assert ended["Status"] == "Failed"
    not_standard = await refusal(api, express, ended["Name"])
    assert not_standard.code == "ActionNotSupported"

    missing = await refusal(api, flow, "no-such-execution")
    assert missing.code == "ExecutionNotExists"
    await api.store.delete(flow)
    deleted = await refusal(api, flow, "again")
    assert deleted.code == "FlowNotExists"


async def test_an_execution_closed_too_long_ago_is_not_redrivable(api: Api, tmp_path: Path) -> None:
    flow = await create(api, SEQUENCE)
    (tmp_path / "broken-c").touch()
    await api.executions.start(flow, "old", {"dir": str(tmp_path)}, None)
    assert (await closed(api, flow, "old"))["Status"] == "Failed"
    young = ExecutionService(
        api.client, api.store, api.executions.task_queue, redrive_limits=RedriveLimits(5, 0)
    )
    await asyncio.sleep(0.05)
    with pytest.raises(ServiceError) as refused:
        await young.redrive(flow, "old")
    assert refused.value.code == "ExecutionNotRedrivable"
    assert "FNF_REDRIVE_MAX_AGE" in refused.value.message


async def token_of(api: Api, flow: str, execution: str, nth: int) -> str:
    """The task token of the `nth` TaskSubmitted event."""
    for _ in range(200):
        events = await history(api, flow, execution)
        submitted = [e for e in events if e["Type"] == "TaskSubmitted"]
        if len(submitted) >= nth:
            return str(json.loads(submitted[nth - 1]["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.1)
    raise AssertionError("not parked")


async def test_two_redrives_at_once_exactly_one_wins(api: Api, tmp_path: Path) -> None:
    """Redrive reads the last run, then starts the next: a second redrive that read the same
    run must not start too, even once the first one's run has failed again (Temporal's start
    would admit it then, from the older point, as the same redrive count). The loser gets
    ExecutionNotRedrivable (400), never a 5xx."""
    flow = await create(api, SEQUENCE)
    (tmp_path / "broken-a").touch()  # stays broken: every redrive fails again at once
    await api.executions.start(flow, "race", {"dir": str(tmp_path)}, None)
    assert (await closed(api, flow, "race"))["Status"] == "Failed"
    workflow = f"{flow}/race"
    limits = api.executions.redrive_limits
    queue = api.executions.task_queue
    async with redriving(api.client, workflow, queue, limits) as first:
        # The second reads the same closed run meanwhile: refused at once, clearly.
        second = await refusal(api, flow, "race")
        assert (second.code, second.status) == ("ExecutionNotRedrivable", 400)
        assert "another call" in second.message
        await first.start()
    assert (await closed(api, flow, "race"))["Status"] == "Failed"  # the first run went on

    results = await asyncio.gather(
        *(api.executions.redrive(flow, "race") for _ in range(4)), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if not isinstance(r, dict)]
    assert len(won) == 1 and won[0]["RedriveCount"] == 2, results
    assert all(isinstance(r, ServiceError) and r.status == 400 for r in lost), lost
    assert {r.code for r in lost if isinstance(r, ServiceError)} == {"ExecutionNotRedrivable"}
    assert (await closed(api, flow, "race"))["Status"] == "Failed"
    events = await history(api, flow, "race")
    redrives = [json.loads(e["EventDetail"]) for e in events if e["Type"] == "ExecutionRedriven"]
    assert [r["redriveCount"] for r in redrives] == [1, 2]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert counts(tmp_path) == {"a": 3}
