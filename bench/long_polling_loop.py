"""A polling loop far longer than one Temporal history can hold, finished through continue-as-new.

    python bench/long_polling_loop.py [--iterations 50000] [--address HOST:PORT]
        [--continue-as-new-at 10000] [--handwritten] [--nested parallel|foreach] [--json FILE]

The flow is examples/polling without its 10 s wait: a task (`countdown`, {"left": n} ->
{"left": n - 1}) and a choice jumping back to it while `left > 0`. Every iteration adds six
events to the Temporal history (an activity and a workflow task) and nine to the FnF history,
so 50,000 iterations (about 300,000 Temporal events) only finish because FnFFlow hands over to
a fresh run between root steps once its history is long (worker.execution's
DEFAULT_CONTINUE_AS_NEW_AT, or earlier when the server suggests it).

Reports the total time and iterations per second, the runs of the continue-as-new chain (from
visibility, cross-checked by walking `previousRunId` back), and verifies the output and the FnF
history that `read_history` stitches together across the runs: one ExecutionStarted, one
TaskSucceeded per iteration, and EventIds 1..N without a gap. With --handwritten, the same loop
as a hand-written workflow (same continue-as-new rule, the handler in-process) runs afterwards
on the same server, for a ratio.

With --nested, the same loop runs inside a parallel branch (`parallel`) or a foreach
iteration (`foreach`, one item). Only root steps continue as new, so once the history is long
the branch hands the rest of its loop to a child run (worker/interpreter/parts.py) that
continues as new at its root; the script then also verifies and measures that child's runs
(TaskSucceeded counted across the execution and the child, EventIds 1..N in each, the longest
history of any run).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import textwrap
import time
import uuid
from collections import Counter
from typing import Any

import handwritten
from harness import (
    ARN,
    CpuClock,
    bench_parser,
    cpu_spent,
    fnf_worker,
    run_benchmark,
    temporal_server,
)
from temporalio.client import Client, WorkflowExecution, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history, run_chain
from worker.limits import DEFAULT_CONTINUE_AS_NEW_AT
from worker.visibility_query import equals

FNF_QUEUE = "bench-loop-fnf"
HAND_QUEUE = "bench-loop-hand"
FLOW_NAME = "bench-polling-loop"
PROGRESS_EVERY = 30.0

LOOP_FLOW = f"""\
version: v1
type: flow
steps:
  - type: pass
    name: Init
    outputMappings: [{{target: left, source: $input.iterations}}]
  - type: task
    name: Poll
    resourceArn: {ARN}/countdown
    inputMappings: [{{target: left, source: $local.left}}]
  - type: choice
    name: CheckDone
    inputMappings: [{{target: left, source: $local.left}}]
    choices:
      - condition: $.left > 0
        goto: Poll
    default:
      goto: Done
  - type: succeed
    name: Done
"""

NESTED_HEAD = {
    "parallel": """\
version: v1
type: flow
steps:
  - type: parallel
    name: Nest
    branches:
      - steps:
""",
    "foreach": """\
version: v1
type: flow
steps:
  - type: foreach
    name: Nest
    iterationMapping:
      collection: $.rounds
      item: iterations
    steps:
""",
}
NESTED_TAIL = """\
    outputMappings: [{target: left, source: "$local[0].left"}]
"""


def loop_flow(nested: str | None) -> str:
    """The loop at the root, or inside a parallel branch or a foreach iteration."""
    if nested is None:
        return LOOP_FLOW
    body = LOOP_FLOW.split("steps:\n", 1)[1]
    indent = " " * (8 if nested == "parallel" else 4)
    return NESTED_HEAD[nested] + textwrap.indent(body, indent) + NESTED_TAIL


FNF_EVENTS_PER_ITERATION = 9  # Poll: entered, scheduled, started, succeeded, exited; CheckDone: 4
FNF_EVENTS_AROUND = 10  # ExecutionStarted/Succeeded, Init and Done (4 each)


async def runs_of(client: Client, workflow_id: str) -> list[WorkflowExecution]:
    """Every run of an execution, oldest first (visibility; the dev server's is immediate)."""
    runs = [run async for run in client.list_workflows(equals("WorkflowId", workflow_id))]
    return sorted(runs, key=lambda run: run.start_time)


async def report_progress(client: Client, workflow_id: str, began: float) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        runs = await runs_of(client, workflow_id)
        print(f"  {time.perf_counter() - began:7.0f} s: run {len(runs)} of the chain", flush=True)


def run_figures(runs: list[WorkflowExecution]) -> dict[str, Any]:
    """Per-run history lengths and durations: does a late run go slower than an early one?"""
    lengths = [run.history_length for run in runs]
    seconds = [
        (run.close_time - run.start_time).total_seconds()
        for run in runs
        if run.close_time is not None
    ]
    return {
        "runs": len(runs),
        "history_length_min": min(lengths),
        "history_length_median": statistics.median(lengths),
        "history_length_max": max(lengths),
        "run_seconds_first": seconds[0] if seconds else None,
        "run_seconds_median": statistics.median(seconds) if seconds else None,
        "run_seconds_last_full": seconds[-2] if len(seconds) > 1 else None,
    }


async def timed_loop(
    client: Client, workflow_id: str, start: Any, clock: CpuClock
) -> tuple[dict[str, Any], float, tuple[float, float | None]]:
    cpu_before = clock.read()
    began = time.perf_counter()
    progress = asyncio.ensure_future(report_progress(client, workflow_id, began))
    try:
        handle = await start()
        output: dict[str, Any] = await handle.result()
    finally:
        progress.cancel()
    seconds = time.perf_counter() - began
    return output, seconds, cpu_spent(cpu_before, clock.read())


async def run_fnf(
    client: Client,
    iterations: int,
    continue_as_new_at: int,
    clock: CpuClock,
    nested: str | None = None,
) -> dict[str, Any]:
    graph = dict(compile_text(loop_flow(nested), "loop.yaml"))
    name = f"loop-{uuid.uuid4().hex[:8]}"
    flow_input = {"iterations": iterations, "rounds": [iterations]}
    run = FlowRun(
        graph=graph,
        input=flow_input,
        flow_name=FLOW_NAME,
        execution_name=name,
        continue_as_new_at=continue_as_new_at,
    )
    workflow_id = f"{FLOW_NAME}/{name}"

    async def start() -> Any:
        return await start_execution(client, FNF_QUEUE, run, search_attributes=False)

    output, seconds, (worker_cpu, server_cpu) = await timed_loop(client, workflow_id, start, clock)
    runs = await runs_of(client, workflow_id)

    problems = []
    events: list[dict[str, Any]] = []
    walked = 0
    began = time.perf_counter()
    try:
        events = await read_history(client, workflow_id)
        read_seconds = time.perf_counter() - began
        walked = len(await run_chain(client, workflow_id))
    except (RPCError, WorkflowQueryFailedError) as error:
        # e.g. one run's events over the server's blob size limit (2 MB by default)
        read_seconds = time.perf_counter() - began
        problems.append(f"read_history failed: {type(error).__name__}: {error}")

    ids = [event["EventId"] for event in events]
    kinds = Counter(event["Type"] for event in events)
    parts = [
        json.loads(e["EventDetail"])["workflowId"] for e in events if e["Type"] == "PartEntered"
    ]
    for child in parts:  # the rest of a nested loop, handed over to a child run
        child_events = await read_history(client, child)
        child_ids = [event["EventId"] for event in child_events]
        if child_ids != list(range(1, len(child_ids) + 1)):
            problems.append(f"EventIds of {child} not 1..{len(child_ids)} consecutive")
        kinds["TaskSucceeded"] += Counter(e["Type"] for e in child_events)["TaskSucceeded"]
        runs += await runs_of(client, child)
    if nested is not None and not parts:
        problems.append("the nested loop was never handed over")
    if output != {"left": 0}:
        problems.append(f"output {output!r}, expected {{'left': 0}}")
    if ids != list(range(1, len(ids) + 1)):
        gaps = [(a, b) for a, b in itertools.pairwise(ids) if b != a + 1][:5]
        problems.append(f"EventIds not 1..{len(ids)} consecutive; first breaks: {gaps}")
    expected_events = FNF_EVENTS_PER_ITERATION * iterations + FNF_EVENTS_AROUND
    if nested is None and len(events) != expected_events:
        problems.append(f"{len(events)} FnF events, expected {expected_events}")
    if kinds["TaskSucceeded"] != iterations:
        problems.append(f"{kinds['TaskSucceeded']} TaskSucceeded, expected {iterations}")
    if kinds["ExecutionStarted"] != 1 or kinds["ExecutionSucceeded"] != 1:
        problems.append(
            f"ExecutionStarted/Succeeded counts {kinds['ExecutionStarted']}/"
            f"{kinds['ExecutionSucceeded']}, expected 1/1"
        )
    if events and nested is None and walked != len(runs):
        problems.append(f"previousRunId walk found {walked} runs, visibility {len(runs)}")
    return {
        "variant": "fnf-temporal",
        "workflow_id": workflow_id,
        "seconds": seconds,
        "iterations_per_s": iterations / seconds,
        "ms_per_iteration": seconds * 1000 / iterations,
        "worker_cpu_ms_per_iteration": worker_cpu * 1000 / iterations,
        "server_cpu_ms_per_iteration": None
        if server_cpu is None
        else server_cpu * 1000 / iterations,
        **run_figures(runs),
        "runs_by_previous_run_id": walked,
        "parts": parts,
        "fnf_events": len(events),
        "read_history_seconds": read_seconds,
        "verified": not problems,
        "problems": problems,
    }


async def run_handwritten(
    client: Client, iterations: int, continue_as_new_at: int, clock: CpuClock
) -> dict[str, Any]:
    workflow_id = f"hand-loop-{uuid.uuid4().hex[:8]}"

    async def start() -> Any:
        return await client.start_workflow(
            handwritten.CountdownLoop.run,
            {"left": iterations, "continue_as_new_at": continue_as_new_at},
            id=workflow_id,
            task_queue=HAND_QUEUE,
        )

    output, seconds, (worker_cpu, server_cpu) = await timed_loop(client, workflow_id, start, clock)
    runs = await runs_of(client, workflow_id)
    problems = [] if output == {"left": 0} else [f"output {output!r}, expected {{'left': 0}}"]
    return {
        "variant": "hand-written, in-process",
        "workflow_id": workflow_id,
        "seconds": seconds,
        "iterations_per_s": iterations / seconds,
        "ms_per_iteration": seconds * 1000 / iterations,
        "worker_cpu_ms_per_iteration": worker_cpu * 1000 / iterations,
        "server_cpu_ms_per_iteration": None
        if server_cpu is None
        else server_cpu * 1000 / iterations,
        **run_figures(runs),
        "verified": not problems,
        "problems": problems,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    async with temporal_server(args.address) as server:
        clock = CpuClock(server.pid)
        async with fnf_worker(server.client, FNF_QUEUE):
            print(f"fnf-temporal: {args.iterations} iterations ...", flush=True)
            results.append(
                await run_fnf(
                    server.client, args.iterations, args.continue_as_new_at, clock, args.nested
                )
            )
        if args.handwritten:
            worker = Worker(
                server.client,
                task_queue=HAND_QUEUE,
                workflows=[handwritten.CountdownLoop],
                activities=[handwritten.countdown_in_process],
            )
            async with worker:
                print(f"hand-written: {args.iterations} iterations ...", flush=True)
                results.append(
                    await run_handwritten(
                        server.client, args.iterations, args.continue_as_new_at, clock
                    )
                )
        server_name = (
            "embedded dev server, fast dispatch on"
            if server.embedded
            else f"server at {server.address}"
        )
    report: dict[str, Any] = {
        "settings": {
            "server": server_name,
            "iterations": args.iterations,
            "continue_as_new_at": args.continue_as_new_at,
            "nested": args.nested,
        },
        "results": results,
    }
    if len(results) == 2:
        report["ratio_fnf_to_handwritten"] = results[0]["seconds"] / results[1]["seconds"]
    return report


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_report(report: dict[str, Any]) -> None:
    settings = report["settings"]
    print(
        f"\n{settings['server']}; {settings['iterations']} iterations; "
        f"continue-as-new at {settings['continue_as_new_at']} Temporal events "
        "(or the server's suggestion)"
    )
    for result in report["results"]:
        print(f"\n{result['variant']}:")
        print(
            f"  total {result['seconds']:.1f} s, {result['iterations_per_s']:.1f} iterations/s "
            f"({result['ms_per_iteration']:.2f} ms each)"
        )
        server_cpu = result["server_cpu_ms_per_iteration"]
        print(
            f"  CPU per iteration: worker process {result['worker_cpu_ms_per_iteration']:.2f} ms"
            + ("" if server_cpu is None else f", server {server_cpu:.2f} ms")
        )
        print(
            f"  {result['runs']} runs in the continue-as-new chain; Temporal history length "
            f"per run min/median/max {result['history_length_min']}/"
            f"{result['history_length_median']:g}/{result['history_length_max']}; "
            f"run duration first/median/last full "
            f"{_seconds(result['run_seconds_first'])}/{_seconds(result['run_seconds_median'])}/"
            f"{_seconds(result['run_seconds_last_full'])} s"
        )
        if "fnf_events" in result:
            print(
                f"  read_history: {result['fnf_events']} FnF events in "
                f"{result['read_history_seconds']:.1f} s; previousRunId walk: "
                f"{result['runs_by_previous_run_id']} runs"
            )
        print("  verified" if result["verified"] else f"  FAILED: {result['problems']}")
    if "ratio_fnf_to_handwritten" in report:
        print(f"\nratio fnf-temporal / hand-written: {report['ratio_fnf_to_handwritten']:.2f}")


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--iterations", type=int, default=50_000)
    parser.add_argument(
        "--continue-as-new-at",
        type=int,
        default=DEFAULT_CONTINUE_AS_NEW_AT,
        help="Temporal history length at which a run hands over to a new one",
    )
    parser.add_argument(
        "--handwritten", action="store_true", help="also run the loop as a hand-written workflow"
    )
    parser.add_argument(
        "--nested",
        choices=["parallel", "foreach"],
        help="run the loop inside a parallel branch or a foreach iteration",
    )
    run_benchmark(parser, run, print_report, verified=True)


if __name__ == "__main__":
    main()
