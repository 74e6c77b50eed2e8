"""The path an execution took (translator/diagram/path.py), computed from real FnF histories of
the examples run on the session's Temporal server, and drawn (translator/diagram/svg.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from tests.worker.conftest import EXAMPLES, RunFlow
from tests.worker.test_foreach_batches import PASS_EACH, SMALL
from tests.worker.test_nested_handover import IN_PARALLEL, SHORT
from tests.worker.test_task_features import COUNTDOWN
from translator import compile_file, compile_text
from translator.diagram.layout import layout_flow
from translator.diagram.model import FlowDiagram
from translator.diagram.path import ExecutionPath, PathTracker, execution_path
from translator.diagram.svg import render_svg
from worker.callbacks.client import report_task_succeeded
from worker.execution import FlowRun
from worker.executions import start_execution, stop_execution
from worker.history import read_history

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def flow_text(example: str) -> str:
    return (EXAMPLES / example / "flow.yaml").read_text()


def by_name(diagram: FlowDiagram) -> dict[str, str]:
    """Step name to node id (the examples' step names are unique)."""
    return {node.name: node.id for node in diagram.steps()}


def drawn(diagram: FlowDiagram, path: ExecutionPath, iteration: Any = None) -> ET.Element:
    return ET.fromstring(render_svg(diagram, path, iteration))


def step_statuses(svg: ET.Element) -> dict[str, str]:
    return {
        g.attrib["data-step"]: g.attrib["data-status"]
        for g in svg.iter(f"{SVG}g")
        if "step" in g.attrib.get("class", "").split()
    }


def edge_counts(svg: ET.Element) -> dict[tuple[str, str], int]:
    return {
        (g.attrib["data-source"], g.attrib["data-target"]): int(g.attrib["data-count"])
        for g in svg.iter(f"{SVG}g")
        if "data-count" in g.attrib
    }


def saga_input(hotel: Any) -> dict[str, Any]:
    return {
        "buy_train_ticket_result": "success",
        "reserve_flight_result": "success",
        "reserve_hotel_result": hotel,
    }


async def test_saga_that_succeeds(run_flow: RunFlow) -> None:
    outcome = await run_flow("saga", saga_input("success"))
    text = flow_text("saga")
    diagram, path = layout_flow(text), execution_path(outcome.events, text)
    assert path.status == "Succeeded" and path.output == outcome.output
    view, ids = path.view(), by_name(diagram)
    taken = ["BuyTrainTicket", "ReserveFlight", "ReserveHotel", "OrderSucceeded"]
    skipped = ["CancelFlight", "CancelTrainTicket", "OrderFailed"]
    assert {n: view.status(ids[n]) for n in taken} == dict.fromkeys(taken, "succeeded")
    assert {n: view.status(ids[n]) for n in skipped} == dict.fromkeys(skipped, "not_reached")
    hotel = view.step(ids["ReserveHotel"])
    assert hotel is not None and hotel.attempts == 1
    assert hotel.output == outcome.detail("TaskSucceeded", "ReserveHotel")["output"]
    assert hotel.input == outcome.detail("StepEntered", "ReserveHotel")["input"]
    route = ["start", *(ids[n] for n in taken), "end"]
    assert {f"{a}->{b}" for a, b in pairwise(route)} == set(view.edges)
    assert set(view.edges) <= {edge.key for edge in diagram.edges}
    svg = drawn(diagram, path)
    assert step_statuses(svg)["OrderFailed"] == "not_reached"
    assert svg.attrib["data-status"] == "Succeeded"


async def test_saga_that_compensates(run_flow: RunFlow) -> None:
    outcome = await run_flow("saga", saga_input(False))
    text = flow_text("saga")
    diagram, path = layout_flow(text), execution_path(outcome.events, text)
    assert path.status == "Failed"
    view, ids = path.view(), by_name(diagram)
    hotel = view.step(ids["ReserveHotel"])
    assert hotel is not None
    assert (view.status(ids["ReserveHotel"]), hotel.attempts) == ("caught", 4)
    assert hotel.error == "FC.Unknown" and hotel.cause and "exited unexpectedly" in hotel.cause
    assert view.status(ids["OrderFailed"]) == "failed"
    assert view.status(ids["OrderSucceeded"]) == "not_reached"
    assert view.edges[f"{ids['ReserveHotel']}->{ids['CancelFlight']}"] == 1
    catch = next(
        e for e in diagram.edges if e.key == f"{ids['ReserveHotel']}->{ids['CancelFlight']}"
    )
    assert catch.kind == "catch" and catch.label == "catch FC.Unknown"
    svg = drawn(diagram, path)
    hotel_node = next(g for g in svg.iter(f"{SVG}g") if g.attrib.get("data-step") == "ReserveHotel")
    assert hotel_node.attrib["data-attempts"] == "4"
    assert "4 attempts" in "".join(hotel_node.itertext())
    assert step_statuses(svg)["CancelTrainTicket"] == "succeeded"


async def test_polling_loop_counts(run_flow: RunFlow) -> None:
    outcome = await run_flow("polling", {"delay": 3600})
    text = flow_text("polling")
    diagram, path = layout_flow(text), execution_path(outcome.events, text)
    view, ids = path.view(), by_name(diagram)
    polls = outcome.types("GetJobStatus").count("StepEntered")
    assert polls == 4
    wait, poll, check = ids["Wait10s"], ids["GetJobStatus"], ids["CheckJobComplete"]
    assert view.edges[f"{wait}->{poll}"] == polls
    assert view.edges[f"{check}->{wait}"] == polls - 1
    assert view.edges[f"{check}->{ids['JobFailed']}"] == 1
    assert view.status(ids["JobFailed"]) == "failed"
    assert view.status(ids["JobSucceeded"]) == "not_reached"
    step = view.step(poll)
    assert step is not None and len(step.visits) == polls
    assert step.output == {"job_status": "running", "try_count": 4} | step.output
    svg = drawn(diagram, path)
    counts = edge_counts(svg)
    assert counts[(wait, poll)] == 4 and counts[(check, wait)] == 3
    labels = "".join(svg.itertext())
    assert "x4" in labels and "x3" in labels
    assert (ids["StartJob"], ids["Init"]) not in counts  # taken once: no count drawn


async def test_polling_across_continue_as_new(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "pages", {"left": 12}, text=COUNTDOWN, functions=FUNCTIONS, continue_as_new_at=30
    )
    assert outcome.status == "Succeeded" and outcome.runs >= 2
    path = execution_path(outcome.events, COUNTDOWN)
    diagram = layout_flow(COUNTDOWN)
    view, ids = path.view(), by_name(diagram)
    ticks = outcome.types("tock").count("StepEntered")
    assert ticks > 2
    assert view.edges[f"{ids['again']}->{ids['tock']}"] == ticks - 1
    assert view.status(ids["done"]) == "succeeded" and path.status == "Succeeded"
    shuffled = list(reversed(outcome.events)) + outcome.events[:5]
    assert execution_path(shuffled, COUNTDOWN).view().edges == view.edges


async def test_video_processing_branches(run_flow: RunFlow) -> None:
    flow_input = json.loads((EXAMPLES / "video-processing" / "input.json").read_text())
    outcome = await run_flow("video-processing", flow_input)
    text = flow_text("video-processing")
    diagram, path = layout_flow(text), execution_path(outcome.events, text)
    ids = by_name(diagram)
    branches = path.root.branches[ids["Process_Video"]]
    assert [b.index for b in branches] == [0, 1] and {b.status for b in branches} == {"succeeded"}
    assert set(branches[0].steps) == {ids["Extract_Audio"]}
    assert {ids["Split"], ids["Transcode"], ids["after-process"]} <= set(branches[1].steps)
    transcode = branches[1].branches[ids["Transcode"]]
    assert len(transcode) == 3
    avi = transcode[0].foreach[ids["Transcode_splits_avi"]]
    segments = len(outcome.detail("TaskSucceeded", "Split")["output"]["split_keys"])
    assert (avi.total, avi.succeeded, avi.failed, avi.running) == (segments, segments, 0, 0)
    view = path.view()
    assert {view.status(ids[n]) for n in ids} == {"succeeded"}
    join = f"{ids['Process_Video']}.join"
    assert view.edges[f"{ids['Extract_Audio']}->{join}"] == 1
    assert view.edges[f"{ids['after-process']}->{join}"] == 1
    assert view.edges[f"{ids['Transcode_avi']}->{ids['Transcode_splits_avi']}.join"] == segments
    first = path.view({ids["Transcode_splits_avi"]: 1}).step(ids["Transcode_avi"])
    assert first is not None and first.input["video_key"] == first.input["split_keys"][1]
    svg = drawn(diagram, path, {"Transcode_splits_avi": 1})
    assert "iteration 1 of" in "".join(svg.itertext())
    assert set(step_statuses(svg).values()) == {"succeeded"}


async def test_foreach_iterations_of_game_build(run_flow: RunFlow) -> None:
    flow_input = json.loads((EXAMPLES / "game-build" / "input.json").read_text())
    outcome = await run_flow("game-build", flow_input)
    text = flow_text("game-build")
    diagram, path = layout_flow(text), execution_path(outcome.events, text)
    ids = by_name(diagram)
    fan = path.root.foreach[ids["ParallelBuildAPK"]]
    channels = outcome.detail("TaskSucceeded", "pre-process")["output"]["channels"]
    assert (fan.total, fan.succeeded, fan.failed, fan.running) == (
        len(channels),
        len(channels),
        0,
        0,
    )
    for index, channel in enumerate(channels):
        build = fan.iterations[index].steps[ids["build-game-apk"]]
        assert build.input["channel"] == channel
        assert build.output == {"package": f"demo-{channel}.apk"}
        chosen = path.view(index).step(ids["build-game-apk"])
        assert chosen is not None and chosen.output == build.output
    svg = drawn(diagram, path)
    assert f"{len(channels)} succeeded · 0 failed · 0 running" in "".join(svg.itertext())

    # The same history read while it ran: up to the first iteration's end.
    first_end = next(n for n, e in enumerate(outcome.events) if e["Type"] == "IterationExited")
    running = execution_path(outcome.events[: first_end + 1], text)
    fan = running.root.foreach[ids["ParallelBuildAPK"]]
    assert (fan.succeeded, fan.running) == (1, len(channels) - 1)
    view = running.view()
    assert running.status == "Running"
    assert view.status(ids["ParallelBuildAPK"]) == view.status(ids["build-game-apk"]) == "running"
    assert view.status(f"{ids['ParallelBuildAPK']}.join") == "not_reached"
    assert view.status(ids["after-process"]) == "not_reached"
    assert path.view().status(f"{ids['ParallelBuildAPK']}.join") == "succeeded"


async def test_foreach_batches_count_their_items(run_flow: RunFlow) -> None:
    items = list(range(70))
    outcome = await run_flow("batches", {"items": items, "tag": "t"}, text=PASS_EACH, **SMALL)
    assert outcome.status == "Succeeded" and "PartEntered" in outcome.types()
    path = execution_path(outcome.events, PASS_EACH)
    ids = by_name(layout_flow(PASS_EACH))
    fan = path.root.foreach[ids["Each"]]
    assert fan.batches and {b.status for b in fan.batches} == {"succeeded"}
    assert (fan.total, fan.succeeded, fan.failed, fan.running) == (70, 70, 0, 0)
    parts = [json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "PartEntered"]
    assert [b.workflow_id for b in fan.batches] == [p["workflowId"] for p in parts]


async def test_a_nested_handover_marks_where_the_child_went_on(run_flow: RunFlow) -> None:
    outcome = await run_flow(
        "nested", {"iterations": 80}, text=IN_PARALLEL, functions=FUNCTIONS, **SHORT
    )
    assert outcome.status == "Succeeded"
    handed = [json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "PartEntered"]
    assert handed, "the branch's loop must have been handed over"
    path = execution_path(outcome.events, IN_PARALLEL)
    ids = by_name(layout_flow(IN_PARALLEL))
    looping = path.root.branches[ids["Both"]][0]
    assert looping.parts == [handed[0]["workflowId"]]
    step = looping.steps[ids[handed[0]["step"]]]
    assert step.last.part == handed[0]["workflowId"] and step.status == "succeeded"
    assert path.root.branches[ids["Both"]][1].steps[ids["Other"]].status == "succeeded"


@pytest_asyncio.fixture(scope="module")
async def callback_queue(temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"diagram-callbacks-{uuid.uuid4().hex[:6]}"
    async with serving(temporal_env.client, queue, EXAMPLES / "callback" / "functions.yaml"):
        yield queue


async def test_a_task_waiting_for_its_callback(
    temporal_env: WorkflowEnvironment, callback_queue: str
) -> None:
    client = temporal_env.client
    graph = dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph, input={}, flow_name="callback", execution_name=f"exec-{uuid.uuid4()}"
    )
    handle = await start_execution(client, callback_queue, run, search_attributes=False)
    for _ in range(200):
        events = await read_history(client, handle.id)
        if any(e["Type"] == "TaskSubmitted" for e in events):
            break
        await asyncio.sleep(0.05)
    text = flow_text("callback")
    diagram = layout_flow(text)
    waiting = execution_path(events, text)
    assert waiting.status == "Running"
    assert waiting.view().status(by_name(diagram)["mytask"]) == "waiting"
    assert step_statuses(drawn(diagram, waiting)) == {"mytask": "waiting"}
    submitted = next(e for e in events if e["Type"] == "TaskSubmitted")
    token = json.loads(submitted["EventDetail"])["output"]["taskToken"]
    await report_task_succeeded(client, token, '{"status": "ok"}')
    await handle.result()
    done = execution_path(await read_history(client, handle.id), compile_text(text))
    assert done.status == "Succeeded"
    assert done.view().status(by_name(diagram)["mytask"]) == "succeeded"


STOPPED_MIDWAY = """version: v1
type: flow
steps:
  - type: pass
    name: First
  - type: parallel
    name: Both
    inputMappings:
      - target: items
        source: $input.items
    branches:
      - steps:
          - type: wait
            name: Nap
            duration: 300
      - steps:
          - type: pass
            name: Quick
      - steps:
          - type: foreach
            name: Each
            inputMappings:
              - target: items
                source: $input.items
            iterationMapping:
              collection: $.items
              item: item
            steps:
              - type: wait
                name: Doze
                duration: 300
  - type: pass
    name: After
"""


async def test_a_stop_shows_what_it_ended_as_stopped(
    temporal_env: WorkflowEnvironment, callback_queue: str
) -> None:
    """Steps, branches and iterations a stop ended (StepFailed/BranchExited/IterationExited
    with the stop's error and cause, then ExecutionStopped) are `stopped`, not `failed`;
    what completed before it keeps its status."""
    client = temporal_env.client
    graph = dict(compile_text(STOPPED_MIDWAY))
    run = FlowRun(
        graph=graph,
        input={"items": [1, 2]},
        flow_name="halt",
        execution_name=f"exec-{uuid.uuid4()}",
    )
    handle = await start_execution(client, callback_queue, run, search_attributes=False)
    for _ in range(200):
        events = await read_history(client, handle.id)
        entered = [e["StepName"] for e in events if e["Type"] == "StepEntered"]
        if entered.count("Doze") == 2 and "Nap" in entered:
            break
        await asyncio.sleep(0.05)
    await stop_execution(handle, "Ops.Halt", "maintenance")
    with contextlib.suppress(Exception):
        await handle.result()
    events = await read_history(client, handle.id)
    assert events[-1]["Type"] == "ExecutionStopped"
    path = execution_path(events, STOPPED_MIDWAY)
    diagram = layout_flow(STOPPED_MIDWAY)
    ids = by_name(diagram)
    assert (path.status, path.root.status, path.error) == ("Stopped", "stopped", "Ops.Halt")
    assert step_statuses(drawn(diagram, path)) == {
        "First": "succeeded",
        "Both": "stopped",
        "Nap": "stopped",
        "Quick": "succeeded",
        "Each": "stopped",
        "Doze": "stopped",
        "After": "not_reached",
    }
    branches = path.root.branches[ids["Both"]]
    assert [b.status for b in branches] == ["stopped", "succeeded", "stopped"]
    fan = branches[2].foreach[ids["Each"]]
    assert (fan.total, fan.stopped, fan.failed, fan.running) == (2, 2, 0, 0)
    svg = drawn(diagram, path)
    legend = [g.attrib["data-status"] for g in svg.iter(f"{SVG}g") if "data-status" in g.attrib]
    assert "stopped" in legend
    assert '[data-status="stopped"] .shape' in render_svg(diagram, path)
    counts = "".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "2 stopped" in counts


async def test_runs_placement_and_a_path_fed_in_pieces(run_flow: RunFlow) -> None:
    """The console reads each run of a step and each event's place from the same model the
    graph is drawn from, fed only the events it has not seen: fed in two pieces at any point,
    the path is the one traced at once. A run that failed, or whose error a catch took, has
    no output (it had none), only its error and cause."""
    saga = await run_flow("saga", saga_input(False))
    flow_input = json.loads((EXAMPLES / "video-processing" / "input.json").read_text())
    video = await run_flow("video-processing", flow_input)
    for outcome, example in ((saga, "saga"), (video, "video-processing")):
        text, events = flow_text(example), outcome.events
        whole = execution_path(events, text)
        for cut in range(0, len(events) + 1, 5):
            tracker = PathTracker(text)
            assert tracker.feed(events[:cut]) == cut
            assert tracker.feed(events[: cut + 3]) == min(3, len(events) - cut)  # seen: skipped
            tracker.feed(events)
            pieces = tracker.path
            assert [(r.key, r.status, r.output, r.error) for r in pieces.runs] == [
                (r.key, r.status, r.output, r.error) for r in whole.runs
            ]
            assert pieces.placed == whole.placed and pieces.view().edges == whole.view().edges
            assert (pieces.status, pieces.events) == (whole.status, len(events))

    path, ids = (
        execution_path(saga.events, flow_text("saga")),
        by_name(layout_flow(flow_text("saga"))),
    )
    [hotel] = [r for r in path.runs if r.name == "ReserveHotel"]
    assert (hotel.status, hotel.caught, hotel.output, hotel.error) == (
        "caught",
        True,
        None,
        "FC.Unknown",
    )
    assert [a.result for a in hotel.tries] == ["TaskFailed"] * 4
    assert [r.name for r in path.caught_runs()] == ["ReserveHotel"]
    failed = path.failed_step()
    assert failed is not None and failed.name == "OrderFailed" and failed.output is None
    [flight] = [r for r in path.runs if r.name == "ReserveFlight"]
    assert flight.output == saga.detail("TaskSucceeded", "ReserveFlight")["output"]
    assert path.placed[flight.entered_id] == ("", ids["ReserveFlight"])

    path = execution_path(video.events, flow_text("video-processing"))
    [audio] = [r for r in path.runs if r.name == "Extract_Audio"]
    assert audio.within == ["Process_Video#0"] and len(audio.events) >= 5
    assert {path.placed[e] for e in audio.events} == {("Process_Video#0", audio.key)}
