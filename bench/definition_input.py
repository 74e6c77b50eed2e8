"""What a pinned definition costs an execution's input, inline against by reference.

For a small flow (one pass step) and a large one (`--steps` chained pass steps, a mapping
each, the scale of the issue's 3,000-step flow), both ways, in one run on one server:

- input bytes: the first run's input payload as Temporal stores it, and the payload a
  continue-as-new hands the next run (by reference: the definition is stored once, compressed,
  its size shown);
- start: p50 of StartWorkflowExecution as the API calls it (start_execution: by reference this
  includes storing the definition, a no-op after the first time);
- run: p50 from the start call to the result of a run that skips the chain (a choice first),
  the worker loading the definition (LoadDefinition, cached by hash after the first load) when
  it is by reference.

The reference path is forced for the small flow (the inline limit set to 0) to show its cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from dataclasses import replace
from typing import Any

from harness import bench_parser, fnf_worker, run_benchmark, temporal_server
from temporalio.client import Client

import worker.definitions as definitions
from translator import compile_text
from worker.definitions import DEFINITION_ID_PREFIX
from worker.execution import FlowRun, Resumption
from worker.executions import by_reference as by_reference_if_large
from worker.executions import start_execution
from worker.history import run_chain


def chain(steps: int) -> str:
    """`steps` chained pass steps, and a choice before them that skips to the end when the
    input says so: the graph is full size, the run short (the time of 3,000 inline steps is
    another benchmark's subject)."""
    body = "".join(
        f"  - type: pass\n    name: p{n}\n    outputMappings: [{{target: n, source: {n}}}]\n"
        for n in range(steps)
    )
    skip = (
        "  - type: choice\n    name: skip\n    choices:\n"
        "      - condition: $.skip == true\n        goto: done\n    default:\n      goto: p0\n"
    )
    return f"version: v1\ntype: flow\nsteps:\n{skip}{body}  - type: succeed\n    name: done\n"


async def input_sizes(client: Client, workflow_id: str) -> list[int]:
    sizes = []
    for run in await run_chain(client, workflow_id):
        handle = client.get_workflow_handle(workflow_id, run_id=run)
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            sizes.append(sum(len(payload.data) for payload in payloads))
            break
    return sizes


async def measure(
    client: Client, queue: str, text: str, by_reference: bool, rounds: int
) -> dict[str, Any]:
    graph = dict(compile_text(text))
    limit = definitions.INLINE_DEFINITION_BYTES
    definitions.INLINE_DEFINITION_BYTES = 0 if by_reference else 1 << 40
    starts, runs = [], []
    try:
        for _ in range(rounds):
            run = FlowRun(
                graph=graph,
                input={"skip": True},
                flow_name="bench",
                execution_name=f"d-{uuid.uuid4()}",
                definition=text,
            )
            began = time.perf_counter()
            handle = await start_execution(client, queue, run, search_attributes=False)
            starts.append(time.perf_counter() - began)
            await handle.result()
            runs.append(time.perf_counter() - began)
        sent = await by_reference_if_large(client, run)
    finally:
        definitions.INLINE_DEFINITION_BYTES = limit
    [first] = await input_sizes(client, handle.id)
    # What a continue-as-new hands the next run: the same FlowRun with a resumption.
    carried = replace(sent, resumption=Resumption(1, {"n": 0}, {}, next_event_id=4))
    [payload] = await client.data_converter.encode([carried])
    result: dict[str, Any] = {
        "first_run_input_bytes": first,
        "continue_as_new_input_bytes": len(payload.data),
        "start_p50_ms": statistics.median(starts) * 1000,
        "run_p50_ms": statistics.median(runs) * 1000,
    }
    if sent.definition_ref:
        stored = await input_sizes(client, DEFINITION_ID_PREFIX + sent.definition_ref)
        result["stored_once_bytes"] = stored[0]
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    queue = f"bench-definition-{uuid.uuid4().hex[:6]}"
    flows = {"small (1 pass step)": chain(1), f"large ({args.steps} pass steps)": chain(args.steps)}
    result: dict[str, Any] = {}
    async with temporal_server(args.address) as server, fnf_worker(server.client, queue):
        await measure(server.client, queue, chain(1), False, 2)  # warm-up: worker, sandbox
        for label, text in flows.items():
            result[label] = {
                "inline": await measure(server.client, queue, text, False, args.rounds),
                "by_reference": await measure(server.client, queue, text, True, args.rounds),
            }
    result["load_average"] = os.getloadavg()
    return result


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    run_benchmark(parser, run)


if __name__ == "__main__":
    main()
