"""What the Temporal Web UI and the `temporal` CLI show of an execution, read where a test can
read it: `temporal workflow describe --output json`, the history's user metadata (the summaries
the UI's timeline labels bars with), the `__temporal_workflow_metadata` query (the UI's "current
details"), the failure message, the UI server's own HTTP API and, with Chromium, the rendered
page (worker/interpreter/legible.py words all of it)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.parse
import urllib.request
import uuid
from base64 import b64decode
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from api.mns import mns_workflows
from api.services.scheduled_start import starter_workflows
from api.store.entity import FlowDefinitionWorkflow
from tests.conftest import installed_binary
from translator import compile_file, compile_text
from worker.assembly import run_worker
from worker.callbacks.client import report_task_failed
from worker.definitions import DEFINITION_ID_PREFIX, PinnedDefinition, publish
from worker.devserver import DevServer, DevServerOptions
from worker.execution import FlowRun
from worker.executions import ensure_search_attributes, start_execution, stop_execution
from worker.naming import executions_only_url
from worker.settings import Settings
from worker.workflow import FnFFlow

EXAMPLES = Path(__file__).parents[2] / "examples"
FAILING_SAGA = {
    "buy_train_ticket_result": "success",
    "reserve_flight_result": "success",
    "reserve_hotel_result": False,
}
CALLBACK = """
version: v1
type: flow
steps:
  - type: task
    name: Approve
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    timeoutSeconds: 600
    inputMappings:
      - target: taskToken
        source: $context.task.token
    retry:
      - errors: [Busy]
        intervalSeconds: 300
        maxAttempts: 1
"""
LOOP = """
version: v1
type: flow
steps:
  - type: foreach
    name: EachRegion
    iterationMapping:
      collection: $.regions
      item: region
    maxConcurrency: 2
    steps:
      - type: wait
        name: Settle
        duration: 600
"""
BRANCH_FAILS = """
version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: pass
            name: Fine
      - steps:
          - type: fail
            name: Refuse
            error: Order.Rejected
            cause: the card was declined
"""


class Ui:
    """A dev server with its Web UI, a worker for the examples' functions, and a client."""

    def __init__(self, server: DevServer, client: Client, queue: str) -> None:
        self.server, self.client, self.queue = server, client, queue

    async def start(self, graph: dict[str, Any], flow_input: dict[str, Any]) -> WorkflowHandle:
        flow = f"ui_{uuid.uuid4().hex[:6]}"
        run = FlowRun(input=flow_input, flow_name=flow, execution_name="order-1", graph=graph)
        return await start_execution(self.client, self.queue, run)

    def cli(self, *args: str) -> Any:
        command = [installed_binary("temporal"), *args, "--address", self.server.address]
        done = subprocess.run([*command, "--output", "json"], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    def http(self, path: str) -> Any:
        """The UI server's HTTP API, as the browser calls it."""
        assert self.server.ui_url is not None
        with urllib.request.urlopen(f"{self.server.ui_url}/api/v1{path}", timeout=30) as answer:
            return json.loads(answer.read())


@pytest_asyncio.fixture(scope="module")
async def ui() -> AsyncIterator[Ui]:
    server = await DevServer.start(DevServerOptions(ui_port=0))
    try:
        client = await Client.connect(server.address)
        assert await ensure_search_attributes(client, "default")
        queue = f"ui-{uuid.uuid4().hex[:8]}"
        settings = Settings(
            temporal_address=server.address,
            task_queue=queue,
            functions=EXAMPLES / "functions.yaml",
        )
        async with AsyncExitStack() as stack:
            await run_worker(client, settings, stack)
            yield Ui(server, client, queue)
    finally:
        await server.stop()


def text_of(payload: Any) -> Any:
    """A JSON payload as `--output json` prints it: base64 data, or already decoded."""
    if isinstance(payload, dict) and set(payload) == {"metadata", "data"}:
        return json.loads(b64decode(payload["data"]))
    return payload


async def summaries(handle: WorkflowHandle) -> list[tuple[str, str]]:
    """(event type, summary) of every history event that carries one."""
    found = []
    async for event in handle.fetch_history_events():
        summary = _summary(event)
        if summary is not None:
            found.append((EventType.Name(event.event_type), summary))
    return found


def _summary(event: HistoryEvent) -> str | None:
    if not event.user_metadata.HasField("summary"):
        return None
    return str(json.loads(event.user_metadata.summary.data))


async def untyped_commands(handle: WorkflowHandle) -> list[str]:
    """Activities, timers and local activities scheduled without a summary."""
    missing = []
    async for event in handle.fetch_history_events():
        kind = EventType.Name(event.event_type)
        is_local = (
            event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )
        scheduled = event.event_type in (
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EventType.EVENT_TYPE_TIMER_STARTED,
        )
        if (scheduled or is_local) and _summary(event) is None:
            missing.append(kind)
    return missing


async def current_details(handle: WorkflowHandle, holds: Callable[[str], bool]) -> str:
    """The run's current details once `holds` says they show what is expected."""
    details = ""
    for _ in range(100):
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        details = metadata.current_details
        if holds(details):
            return details
        await asyncio.sleep(0.1)
    raise AssertionError(f"current details never showed it: {details!r}")


async def started(handle: WorkflowHandle) -> WorkflowExecutionDescription:
    """The run's description once Temporal has it: the parent names a part run it waits for
    as it sends the start, which the server may not have carried out yet."""
    for _ in range(100):
        try:
            return await handle.describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never started")


async def failed(handle: WorkflowHandle) -> None:
    with pytest.raises(WorkflowFailureError):
        await handle.result()


async def test_a_failed_saga_reads_in_steps(ui: Ui) -> None:
    graph = dict(compile_file(EXAMPLES / "saga" / "flow.yaml"))
    handle = await ui.start(graph, FAILING_SAGA)
    await failed(handle)
    flow = handle.id.split("/")[0]

    described = ui.cli("workflow", "describe", "-w", handle.id)
    metadata = described["executionConfig"]["userMetadata"]
    assert text_of(metadata["summary"]) == f"FnF flow {flow} · execution order-1"
    details = text_of(metadata["details"])
    assert f"**Flow** {flow}" in details and '"reserve_hotel_result": false' in details
    failure = described["closeEvent"]["workflowExecutionFailedEventAttributes"]["failure"]
    assert failure["message"].startswith(
        "step OrderFailed failed after step ReserveHotel failed with FC.Unknown: "
    )
    assert failure["message"].endswith("(caught, went to CancelFlight)")
    assert "stackTrace" not in failure and "cause" not in failure  # no Python stack
    assert failure["applicationFailureInfo"]["nonRetryable"] is True

    shown = await summaries(handle)
    activities = [text for kind, text in shown if kind == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"]
    assert activities == [
        "task BuyTrainTicket (fc fnf-demo/Operation)",
        "task ReserveFlight (fc fnf-demo/Operation)",
        "task ReserveHotel (fc fnf-demo/Operation; FDL retry FC.Unknown x3)",
        "task CancelFlight (fc fnf-demo/Operation)",
        "task CancelTrainTicket (fc fnf-demo/Operation)",
    ]
    assert any(text.startswith("internal: archive FnF events") for _, text in shown)
    assert await untyped_commands(handle) == []

    started = described["workflowExecutionInfo"]
    assert started["type"]["name"] == "FnFFlow"
    history = ui.cli("workflow", "show", "-w", handle.id)
    arguments = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    assert text_of(arguments["payloads"][0]) == FAILING_SAGA  # the Input panel opens on it
    # The two-argument input and the summaries replay (metadata is not compared on replay).
    await Replayer(workflows=[FnFFlow]).replay_workflow(await handle.fetch_history())


async def test_the_ui_http_api_and_the_executions_only_view(ui: Ui) -> None:
    """What the UI's pages fetch: the execution's user metadata, and the list behind the
    documented executions-only query, which leaves the internal workflows out."""
    graph = dict(compile_text(LOOP))
    handle = await ui.start(graph, {"regions": ["a", "b", "c"]})
    await ui.client.start_workflow(
        "FnFSignatureNonce",
        id=f"fnf-nonce:{uuid.uuid4().hex}",
        task_queue="nobody",
        start_delay=timedelta(hours=1),
    )
    pinned = PinnedDefinition({"steps": [], "n": uuid.uuid4().hex}).encode()
    definition = DEFINITION_ID_PREFIX + await publish(ui.client, pinned)
    quoted = urllib.parse.quote(handle.id, safe="")
    page = ui.http(f"/namespaces/default/workflows/{quoted}")
    summary = text_of(page["executionConfig"]["userMetadata"]["summary"])
    assert summary.endswith("· execution order-1")
    assert ui.server.ui_url is not None  # the list the URL `fnf dev` prints opens
    link = urllib.parse.urlsplit(executions_only_url(ui.server.ui_url, "default"))
    assert link.path == "/namespaces/default/workflows"
    [shown] = urllib.parse.parse_qs(link.query)["query"]
    query = urllib.parse.quote(f'{shown} AND ExecutionStatus="Running"')
    listed = ui.http(f"/namespaces/default/workflows?query={query}")
    ids = [item["execution"]["workflowId"] for item in listed["executions"]]
    assert handle.id in ids and all("/" in i for i in ids)
    everything = ui.http("/namespaces/default/workflows")
    others = [item["execution"]["workflowId"] for item in everything["executions"]]
    assert any(i.startswith("fnf-nonce:") for i in others) and definition in others
    await stop_execution(handle, "Done", "test over")


async def test_a_parked_callback_says_what_it_waits_for(ui: Ui) -> None:
    graph = dict(compile_text(CALLBACK))
    handle = await ui.start(graph, {"orderId": "A-1001"})
    waiting = await current_details(handle, lambda text: "waiting for a callback" in text)
    assert waiting.startswith(
        "- waiting for a callback to task Approve: ReportTaskSucceeded or ReportTaskFailed "
        "with the task token of step Approve (StepEntered event 2), until "
    )
    token = await _token(handle)
    await report_task_failed(ui.client, token, "Busy", "try later")
    backoff = await current_details(handle, lambda text: "retry backoff" in text)
    assert backoff.startswith("- retry backoff of task Approve after Busy: attempt 2 at ")
    shown = [text for _, text in await summaries(handle)]
    assert "callback timeout 600s of task Approve" in shown
    assert "retry backoff Approve: 300s after Busy, then attempt 2" in shown
    assert "internal: mint the secret of a waitForCallback task's token" in shown
    assert await untyped_commands(handle) == []
    await stop_execution(handle, "Done", "test over")
    stopped = await current_details(handle, lambda text: text.startswith("stopped"))
    assert stopped == "stopped: Done: test over"


async def test_every_handler_says_what_it_takes(ui: Ui) -> None:
    """`temporal workflow metadata` (the UI's Queries tab too) lists each signal, query and
    update with what it is for and what it takes; it used to list bare names, so reporting a
    callback with `temporal workflow update` meant reading the code. The update works as its
    description says."""
    handle = await ui.start(dict(compile_text(CALLBACK)), {"orderId": "A-1002"})
    await current_details(handle, lambda text: "waiting for a callback" in text)
    # The worker runs on this event loop: the CLI waits in a thread while it answers.
    metadata = await asyncio.to_thread(ui.cli, "workflow", "metadata", "-w", handle.id)
    shown = metadata["queryResult"][0]["definition"]
    ours = {
        handler["name"]: handler.get("description", "")
        for kind in ("queryDefinitions", "signalDefinitions", "updateDefinitions")
        for handler in shown[kind]
        if not handler["name"].startswith("__")
    }
    assert set(ours) == {
        "history",
        "StopExecution",
        "ChildStopped",
        "TaskAttemptReported",
        "ReportTask",
    }
    assert all(ours.values()), ours
    assert '{"token": T, "succeeded": true, "output": ' in ours["ReportTask"]
    report = {"token": await _token(handle), "succeeded": True, "output": '{"approved": true}'}
    update = ["workflow", "update", "execute", "-w", handle.id, "--name", "ReportTask"]
    empty = json.dumps({**report, "output": ""})  # ReportTaskSucceeded requires its Output
    command = [installed_binary("temporal"), *update, "--input", empty]
    refused = await asyncio.to_thread(
        subprocess.run, [*command, "--address", ui.server.address], capture_output=True
    )
    assert refused.returncode != 0 and b"Output must be a JSON object" in refused.stderr
    await asyncio.to_thread(ui.cli, *update, "--input", json.dumps(report))
    assert await handle.result() == {"approved": True}


def test_every_workflow_of_the_workers_describes_its_handlers() -> None:
    """The same for the workflows `fnf api` serves (flow records, schedule starts, MNS)."""
    for served in [FnFFlow, FlowDefinitionWorkflow, *starter_workflows(), *mns_workflows()]:
        definition = workflow._Definition.must_from_class(served)
        handlers = [*definition.signals.values(), *definition.queries.values()]
        handlers += definition.updates.values()
        assert all(handler.description for handler in handlers), definition.name


async def _token(handle: WorkflowHandle) -> str:
    for _ in range(100):
        page = await handle.query("history")
        for event in page["events"]:
            if event["Type"] == "TaskScheduled":
                return str(json.loads(event["EventDetail"])["input"]["taskToken"])
        await asyncio.sleep(0.1)
    raise AssertionError("the task was never scheduled")


async def test_a_running_loop_shows_its_progress(ui: Ui) -> None:
    graph = dict(compile_text(LOOP))
    handle = await ui.start(graph, {"regions": ["cn-hangzhou", "cn-shanghai", "eu-central-1"]})
    details = await current_details(handle, lambda text: text.count("wait") == 2)
    lines = details.splitlines()
    assert lines[0] == "- foreach EachRegion: 0 of 3 iterations done"
    assert lines[1].startswith("- wait Settle in EachRegion#0 until ")
    assert lines[2].startswith("- wait Settle in EachRegion#1 until ")
    timers = [text for kind, text in await summaries(handle) if kind.endswith("TIMER_STARTED")]
    assert timers == ["wait Settle in EachRegion#0 (600s)", "wait Settle in EachRegion#1 (600s)"]
    await stop_execution(handle, "Done", "test over")


async def test_a_failed_branch_is_named_with_its_path(ui: Ui) -> None:
    handle = await ui.start(dict(compile_text(BRANCH_FAILS)), {})
    await failed(handle)
    described = ui.cli("workflow", "describe", "-w", handle.id)
    failure = described["closeEvent"]["workflowExecutionFailedEventAttributes"]["failure"]
    assert failure["message"] == (
        "step Refuse in Both#1 failed with Order.Rejected: the card was declined"
    )
    assert failure["applicationFailureInfo"]["type"] == "Order.Rejected"
    [details] = failure["applicationFailureInfo"]["details"]  # the CLI decodes them
    assert text_of(details) == {
        "error": "Order.Rejected",
        "cause": "the card was declined",
        "step": "Refuse",
        "within": "Both#1",
    }
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details.startswith("failed: step Refuse in Both#1 failed")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_the_web_ui_shows_a_parked_callback_in_fnf_terms(ui: Ui) -> None:
    """The rendered page: the task's timeline bar and the User Metadata tab (summary, the
    input in the details, what the execution waits for)."""
    from playwright.async_api import async_playwright

    handle = await ui.start(dict(compile_text(CALLBACK)), {"orderId": "A-1001"})
    await current_details(handle, lambda text: "waiting for a callback" in text)
    quoted = urllib.parse.quote(handle.id, safe="")
    url = f"{ui.server.ui_url}/namespaces/default/workflows/{quoted}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(url)
            bar = page.get_by_text("task Approve (fc fnf-demo/echo; FDL retry Busy x1)")
            await bar.first.wait_for(timeout=20_000)
            await page.get_by_text("User Metadata", exact=True).first.click()
            flow = handle.id.split("/")[0]
            # The UI renders Markdown metadata in sandboxed frames (its /render page).
            await _shown(page, f"FnF flow {flow} · execution order-1")
            await _shown(page, '"orderId": "A-1001"')
            await _shown(page, "waiting for a callback to task Approve")
        finally:
            await browser.close()
    await stop_execution(handle, "Done", "test over")


BODY_TEXT = "document.body ? document.body.innerText : ''"


async def _shown(page: Any, text: str) -> None:
    """Wait until the page or one of its frames shows `text`."""
    seen: list[str] = []
    for _ in range(100):
        seen = [await frame.evaluate(BODY_TEXT) for frame in page.frames]
        if any(text in shown for shown in seen):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the page never showed {text!r}: {seen!r}")


CONTINUED_AND_BATCHED = (
    """
version: v1
type: flow
steps:
"""
    + "".join(f"  - {{type: pass, name: P{n}}}\n" for n in range(8))
    + """
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: wait
        name: Settle
        duration: 600
"""
)


async def test_every_run_names_flow_execution_and_input(ui: Ui) -> None:
    """A run continued as new and a foreach batch's part run name the flow, the execution and
    the input, as the first run's static summary and details do: part runs carried only
    `part of ...`, and continued runs nothing at all. Temporal starts a continued run without
    user metadata, so it says them in its current details (the same User Metadata panel)."""
    flow = f"ui_{uuid.uuid4().hex[:6]}"
    flow_input = {"items": [1, 2, 3], "customer": "Ada-7"}
    run = FlowRun(
        input=flow_input,
        flow_name=flow,
        execution_name="order-1",
        graph=dict(compile_text(CONTINUED_AND_BATCHED)),
        steps_per_activation=2,
        pauses_per_run=1,
        foreach_batch_threshold=2,
        foreach_batch_size=1,
    )
    handle = await start_execution(ui.client, ui.queue, run)
    first = await handle.describe()
    assert await first.static_summary() == f"FnF flow {flow} · execution order-1"
    latest = ui.client.get_workflow_handle(handle.id)
    now = await current_details(latest, lambda text: "waiting for the part run" in text)
    described = await latest.describe()
    assert described.run_id != first.run_id  # continued as new (more than once)
    assert now.startswith(f"FnF flow {flow} · execution order-1")
    assert "**Continued from run**" in now and "Ada-7" in now and "**Now**" in now

    part_id = now.split("waiting for the part run ", 1)[1].split(":", 1)[0]
    assert part_id.startswith(f"{handle.id}/part-")
    child = await started(ui.client.get_workflow_handle(part_id))
    summary = await child.static_summary()
    details = await child.static_details()
    assert summary is not None and summary.startswith(f"FnF flow {flow} · execution order-1 · ")
    assert "step Each" in summary
    assert details is not None and f"**Flow** {flow}" in details
    assert "**Execution** order-1" in details and "**Part input**" in details
    await handle.terminate("done")
