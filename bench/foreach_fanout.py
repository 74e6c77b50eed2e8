"""A foreach over 1,000 to 100,000 items, one task each, against the batched fan-out a Temporal
user writes by hand (asyncio.gather of activities in batches of child workflows).

    python bench/foreach_fanout.py [--items 1000 10000] [--max-concurrency 100]
        [--batch-size 500] [--activity via-runtime|in-process] [--no-handwritten]
        [--address HOST:PORT] [--json FILE]

The flow: foreach over `$.items` (from the execution's input, event data limit off as a user
who outgrows FnF's quota sets it), one task on `increment` per item (`{"n": item}` ->
`{"n": item + 1}`), output `$local[*].n`, checked against the items. fnf-temporal runs it as
batches of child runs above FNF_FOREACH_BATCH_THRESHOLD (worker/interpreter/parts.py); the
hand-written side (handwritten.BatchedFanOut) uses the same batch size, slots and shares of
maxConcurrency, and calls the same function through the same runtime (`via-runtime`, default)
or in the worker process (`in-process`).

Per size and side: wall time, ms per item, the longest Temporal history of any run (parent,
batches, continued runs), the number of runs, and the peak RSS of this process (both workers
and the client; function instances are separate processes) while the size ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import handwritten
from harness import (
    ARN,
    CpuClock,
    bench_parser,
    bench_runtime,
    fnf_worker,
    run_benchmark,
    settle,
    temporal_server,
)
from temporalio.client import Client
from temporalio.worker import Worker

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history
from worker.interpreter.steps.foreach_batches import SLOTS
from worker.limits import DEFAULT_FOREACH_BATCH_THRESHOLD
from worker.visibility_query import equals

FNF_QUEUE = "bench-fanout-fnf"
HAND_QUEUE = "bench-fanout-hand"
FLOW_NAME = "bench-foreach"

FLOW = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: {{concurrency}}
    steps:
      - type: task
        name: Increment
        resourceArn: {ARN}/increment
        inputMappings:
          - target: n
            source: $input.item
    outputMappings:
      - target: n
        source: $local[*].n
"""


class PeakRss:
    """The peak resident set of this process while a measurement runs, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def now() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            await asyncio.sleep(0.2)

    def __enter__(self) -> PeakRss:
        self.peak = self.now()
        self._task = asyncio.ensure_future(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.peak = max(self.peak, self.now())


async def runs_of(client: Client, workflow_ids: list[str]) -> list[int]:
    """The Temporal history length of every run of these workflows (visibility)."""
    lengths = []
    for workflow_id in workflow_ids:
        async for run in client.list_workflows(equals("WorkflowId", workflow_id)):
            lengths.append(run.history_length)
    return lengths


async def run_fnf(client: Client, items: list[int], args: argparse.Namespace) -> dict[str, Any]:
    graph = dict(compile_text(FLOW.format(concurrency=args.max_concurrency), "fanout.yaml"))
    name = f"fanout-{uuid.uuid4().hex[:8]}"
    run = FlowRun(
        graph=graph,
        input={"items": items},
        flow_name=FLOW_NAME,
        execution_name=name,
        step_data_limit=0,
        foreach_batch_size=args.batch_size,
        foreach_batch_threshold=args.threshold,
    )
    with PeakRss() as rss:
        began = time.perf_counter()
        handle = await start_execution(client, FNF_QUEUE, run, search_attributes=False)
        output = await handle.result()
        seconds = time.perf_counter() - began
    events = await read_history(client, handle.id)
    parts = [
        json.loads(e["EventDetail"])["workflowId"] for e in events if e["Type"] == "PartEntered"
    ]
    lengths = await runs_of(client, [handle.id, *parts])
    expected = [item + 1 for item in items]
    return figures("fnf-temporal", len(items), seconds, lengths, rss.peak, output["n"] == expected)


async def run_handwritten(
    client: Client, items: list[int], args: argparse.Namespace
) -> dict[str, Any]:
    workflow_id = f"hand-fanout-{uuid.uuid4().hex[:8]}"
    activity = handwritten.VIA_RUNTIME if args.activity == "via-runtime" else handwritten.IN_PROCESS
    request = {
        "items": items,
        "batch_size": args.batch_size,
        "concurrency": args.max_concurrency,
        "slots": SLOTS,
        "activity": activity,
    }
    with PeakRss() as rss:
        began = time.perf_counter()
        output = await client.execute_workflow(
            handwritten.BatchedFanOut.run, request, id=workflow_id, task_queue=HAND_QUEUE
        )
        seconds = time.perf_counter() - began
    batches = (len(items) + args.batch_size - 1) // args.batch_size
    children = [f"{workflow_id}/batch-{k}" for k in range(batches)]
    lengths = await runs_of(client, [workflow_id, *children])
    expected = [item + 1 for item in items]
    return figures("hand-written", len(items), seconds, lengths, rss.peak, output["n"] == expected)


def figures(
    variant: str, items: int, seconds: float, lengths: list[int], rss: int, verified: bool
) -> dict[str, Any]:
    return {
        "variant": variant,
        "items": items,
        "seconds": seconds,
        "ms_per_item": seconds * 1000 / items,
        "runs": len(lengths),
        "max_events_per_run": max(lengths) if lengths else None,
        "peak_rss_mib": rss / 2**20,
        "verified": verified,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    async with temporal_server(args.address) as server:
        clock = CpuClock(server.pid)
        runtime = bench_runtime()
        hand = Worker(
            server.client,
            task_queue=HAND_QUEUE,
            workflows=[handwritten.BatchedFanOut, handwritten.FanOutBatch],
            activities=[
                handwritten.increment_in_process,
                handwritten.RuntimeActivities(runtime, f"{ARN}/increment").increment_via_runtime,
            ],
            max_concurrent_activities=500,
        )
        async with fnf_worker(server.client, FNF_QUEUE), hand:
            for size in args.items:
                items = list(range(size))
                print(f"fnf-temporal: {size} items ...", flush=True)
                results.append(await run_fnf(server.client, items, args))
                print(f"  {results[-1]}", flush=True)
                await settle(clock)
                if args.handwritten:
                    print(f"hand-written: {size} items ...", flush=True)
                    results.append(await run_handwritten(server.client, items, args))
                    print(f"  {results[-1]}", flush=True)
                    await settle(clock)
        await runtime.aclose()
    return {
        "settings": {
            "max_concurrency": args.max_concurrency,
            "batch_size": args.batch_size,
            "threshold": args.threshold,
            "activity": args.activity,
        },
        "results": results,
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\n{report['settings']}")
    print("variant        items    total s   ms/item  runs  max events/run  peak RSS MiB  ok")
    for r in report["results"]:
        print(
            f"{r['variant']:<14} {r['items']:>6} {r['seconds']:>10.1f} {r['ms_per_item']:>9.2f} "
            f"{r['runs']:>5} {r['max_events_per_run']:>15} {r['peak_rss_mib']:>13.0f}  "
            f"{'yes' if r['verified'] else 'NO'}"
        )
    by_size: dict[int, dict[str, float]] = {}
    for r in report["results"]:
        by_size.setdefault(r["items"], {})[r["variant"]] = r["seconds"]
    for size, sides in by_size.items():
        if len(sides) == 2:
            ratio = sides["fnf-temporal"] / sides["hand-written"]
            print(f"ratio fnf-temporal / hand-written at {size} items: {ratio:.2f}")


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--max-concurrency", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--threshold", type=int, default=DEFAULT_FOREACH_BATCH_THRESHOLD)
    parser.add_argument("--activity", choices=["via-runtime", "in-process"], default="via-runtime")
    parser.add_argument("--no-handwritten", dest="handwritten", action="store_false")
    run_benchmark(parser, run, print_report, verified=True)


if __name__ == "__main__":
    main()
