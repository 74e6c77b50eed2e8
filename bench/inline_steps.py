"""Inline steps (pass, choice, succeed with mappings) at scale: fnf-temporal against a
hand-written workflow doing the same dict manipulation, side by side in one run.

    python bench/inline_steps.py                                 # every workload below
    python bench/inline_steps.py --workloads chain:1000,loop:3000 --repeats 3 --blob-kb 16
    python bench/inline_steps.py --address HOST:PORT --json out.json --timeout 120

Workloads (`kind:size`, comma-separated):
  chain:N   an init pass step, then N pass steps, each mapping `n` from its input (the flow
            input + the local so far) and naming itself: the local keeps the same size
  loop:N    a choice loop counting decimal digits d0.. up to N: each iteration is the choice
            (a test of every digit, or the increment in its option's steps: a pass step per
            digit changed), so about 2.2 steps per iteration

`--blob-kb` puts a string of that size in the input, which the init step copies into the
local: every step's input and local then carry it (the per-event data quota is measured on
both), which shows whether the cost per step grows with the size of `$local`.

Per workload and variant: start-to-result latency of one execution alone (`--repeats` times,
variants alternating), ms per FnF step (the hand-written side is divided by the same count),
the ratio fnf-temporal / hand-written, and for fnf-temporal the runs of its continue-as-new
chain and the longest workflow task in any of them (server timestamps). An fnf-temporal
execution that does not finish within `--timeout` seconds is terminated and reported as such.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import handwritten
from harness import (
    bench_parser,
    fnf_worker,
    run_benchmark,
    temporal_server,
    workflow_runner_options,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.worker import Worker
from timeline import print_timeline, timeline_of

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import run_chain

FNF_QUEUE = "bench-inline-fnf"
HAND_QUEUE = "bench-inline-hand"
DEFAULT_WORKLOADS = "chain:1000,chain:3000,loop:1000,loop:3000,loop:100000"


# ---------------------------------------------------------------------------------------------
# The flows and what they must return


def chain_flow(steps: int) -> str:
    lines = [
        "version: v1",
        "type: flow",
        "steps:",
        "  - type: pass",
        "    name: init",
        "    outputMappings:",
        "      - {target: blob, source: $input.blob}",
        "      - {target: n, source: $input.n}",
    ]
    for index in range(steps):
        lines += [
            "  - type: pass",
            f"    name: p{index}",
            "    outputMappings:",
            "      - {target: n, source: $input.n}",
            f"      - {{target: last, source: p{index}}}",
        ]
    return "\n".join(lines) + "\n"


def digits_of(number: int, width: int) -> list[int]:
    return [(number // 10**place) % 10 for place in range(width)]


def loop_flow(iterations: int) -> str:
    """init, then the choice `loop` (done when every digit matches, else increment d0 with its
    carries and go back to `loop`), then `done`."""
    width = len(str(iterations))
    target = digits_of(iterations, width)
    done = " && ".join(f"$.d{place} == {digit}" for place, digit in enumerate(target))
    lines = [
        "version: v1",
        "type: flow",
        "steps:",
        "  - type: pass",
        "    name: init",
        "    outputMappings:",
        "      - {target: blob, source: $input.blob}",
        *[f"      - {{target: d{place}, source: 0}}" for place in range(width)],
        "  - type: choice",
        "    name: loop",
        "    choices:",
        f"      - condition: {done}",
        "        goto: done",
        *_increment(0, width, indent=6, goto="loop"),
        "  - {type: succeed, name: done}",
    ]
    return "\n".join(lines) + "\n"


def _increment(place: int, width: int, indent: int, goto: str | None) -> list[str]:
    """Choice options adding one to digit `place`: `d == k` sets k + 1; the default (9) sets 0
    and carries into the next digit with a nested choice."""
    pad = " " * indent
    jump = [f"{pad}  goto: {goto}"] if goto else []
    lines: list[str] = []
    for digit in range(9):
        lines += [
            f"{pad}- condition: $.d{place} == {digit}",
            f"{pad}  steps:",
            f"{pad}    - type: pass",
            f"{pad}      name: set{place}",
            f"{pad}      outputMappings: [{{target: d{place}, source: {digit + 1}}}]",
            *jump,
        ]
    carry = [
        f"{pad}    - type: pass",
        f"{pad}      name: zero{place}",
        f"{pad}      outputMappings: [{{target: d{place}, source: 0}}]",
    ]
    if place + 1 < width:
        carry += [
            f"{pad}    - type: choice",
            f"{pad}      name: carry{place + 1}",
            f"{pad}      choices:",
            *_increment(place + 1, width, indent + 8, goto=None),
        ]
    lines += [f"{pad[:-2]}default:", f"{pad}steps:", *carry, *[line[2:] for line in jump]]
    return lines


def loop_steps(iterations: int) -> int:
    """FnF steps the loop runs: init, a `loop` visit per iteration and one more, a pass per
    digit changed (and a `carry` choice per carry), and `done`."""
    total = 1 + (iterations + 1) + 1
    for value in range(iterations):
        carries = len(str(value)) - len(str(value).rstrip("9")) if value % 10 == 9 else 0
        total += 1 + 2 * carries
    return total


@dataclass
class Workload:
    kind: str
    size: int
    text: str
    steps: int
    flow_input: dict[str, Any]
    expected: dict[str, Any]
    hand_run: Any
    hand_args: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.size}"


def workload(spec: str, blob: str) -> Workload:
    kind, _, size_text = spec.partition(":")
    size = int(size_text)
    if kind == "chain":
        flow_input = {"n": 7, "blob": blob}
        expected = {"blob": blob, "n": 7, "last": f"p{size - 1}"}
        hand = handwritten.ChainedPasses.run
        args = {"input": flow_input, "steps": size}
        return Workload(kind, size, chain_flow(size), size + 1, flow_input, expected, hand, args)
    if kind == "loop":
        width = len(str(size))
        target = digits_of(size, width)
        flow_input = {"blob": blob}
        expected = {"blob": blob, **{f"d{place}": d for place, d in enumerate(target)}}
        hand = handwritten.CountingLoop.run
        args = {"input": flow_input, "target": target}
        text = loop_flow(size)
        return Workload(kind, size, text, loop_steps(size), flow_input, expected, hand, args)
    raise SystemExit(f"unknown workload {spec!r} (chain:N or loop:N)")


# ---------------------------------------------------------------------------------------------
# Measuring


class MeteredExecutor(ThreadPoolExecutor):
    """A worker's workflow-task threads (Temporal runs each activation in one), adding up the
    CPU time spent in activations: the workflow code alone, without the client encoding the
    input or the other worker."""

    def __init__(self, name: str) -> None:
        super().__init__(max_workers=4, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._cpu = 0.0
        self._wall = 0.0
        self._activations = 0

    def cpu(self) -> float:
        with self._lock:
            return self._cpu

    def wall(self) -> tuple[float, int]:
        """Wall seconds the activations took, and how many ran."""
        with self._lock:
            return self._wall, self._activations

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def timed() -> Any:
            began, wall = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.thread_time() - began
                waited = time.perf_counter() - wall
                with self._lock:
                    self._cpu += spent
                    self._wall += waited
                    self._activations += 1

        return super().submit(timed)


@dataclass
class Figures:
    latency_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    """CPU of this process (the workers and the client) during each execution."""
    workflow_cpu_s: list[float] = field(default_factory=list)
    """CPU of the side's workflow activations alone during each execution."""
    failures: list[str] = field(default_factory=list)
    runs: int | None = None
    longest_task_ms: float | None = None
    longest_tasks_ms: list[float] = field(default_factory=list)
    """The three longest workflow tasks of the chain, longest first."""


def fresh_name() -> str:
    return f"inline-{uuid.uuid4().hex[:12]}"


async def run_fnf(
    client: Client,
    load: Workload,
    graph: dict[str, Any],
    timeout: float,
    options: dict[str, Any] | None = None,
) -> tuple[float | None, WorkflowHandle[Any, Any]]:
    run = FlowRun(
        graph=graph,
        input=load.flow_input,
        flow_name=f"bench-{load.kind}",
        execution_name=fresh_name(),
        **(options or {}),
    )
    began = time.perf_counter()
    handle = await start_execution(client, FNF_QUEUE, run, search_attributes=False)
    try:
        result = await asyncio.wait_for(handle.result(), timeout)
    except TimeoutError:
        await handle.terminate("bench timeout")
        return None, handle
    elapsed = time.perf_counter() - began
    if result != load.expected:
        raise AssertionError(f"fnf-temporal {load.key}: unexpected result")
    return elapsed, handle


async def run_hand(client: Client, load: Workload, timeout: float) -> float | None:
    began = time.perf_counter()
    handle = await client.start_workflow(
        load.hand_run, load.hand_args, id=f"hand-{fresh_name()}", task_queue=HAND_QUEUE
    )
    try:
        result = await asyncio.wait_for(handle.result(), timeout)
    except TimeoutError:
        await handle.terminate("bench timeout")
        return None
    elapsed = time.perf_counter() - began
    if result != load.expected:
        raise AssertionError(f"hand-written {load.key}: unexpected result")
    return elapsed


async def longest_task_ms(client: Client, workflow_id: str) -> tuple[int, list[float]]:
    """The runs of the chain and its three longest workflow tasks, longest first (started ->
    completed), from the server's timestamps."""
    runs = await run_chain(client, workflow_id)
    lengths: list[float] = []
    for run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        started: dict[int, float] = {}
        for event in history.events:
            moment = event.event_time.ToDatetime().timestamp()
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                started[event.event_id] = moment
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                began = started[event.workflow_task_completed_event_attributes.started_event_id]
                lengths.append((moment - began) * 1000)
    return len(runs), sorted(lengths, reverse=True)[:3]


@dataclass
class Executors:
    fnf: MeteredExecutor
    hand: MeteredExecutor


async def measure(
    client: Client,
    load: Workload,
    repeats: int,
    timeout: float,
    executors: Executors,
    options: dict[str, Any] | None = None,
    breakdown: bool = False,
) -> dict[str, Any]:
    """`options`: FlowRun fields every fnf-temporal execution starts with (the run's
    pause and continue-as-new settings), else the defaults. `breakdown`: print where each
    fnf-temporal execution's time went (timeline.py) and the activations' wall time."""
    graph = dict(compile_text(load.text, f"bench-{load.kind}.yaml"))
    fnf, hand = Figures(), Figures()
    for repeat in range(repeats):
        order = ("fnf", "hand") if repeat % 2 == 0 else ("hand", "fnf")
        for side in order:
            cpu = time.process_time()
            if side == "hand":
                workflow_cpu = executors.hand.cpu()
                elapsed = await run_hand(client, load, timeout)
                if elapsed is None:
                    hand.failures.append(f"no result in {timeout:.0f} s")
                else:
                    hand.latency_s.append(elapsed)
                    hand.cpu_s.append(time.process_time() - cpu)
                    hand.workflow_cpu_s.append(executors.hand.cpu() - workflow_cpu)
                continue
            workflow_cpu, (activation_wall, activations) = executors.fnf.cpu(), executors.fnf.wall()
            elapsed, handle = await run_fnf(client, load, graph, timeout, options)
            if elapsed is None:
                fnf.failures.append(f"no result in {timeout:.0f} s")
                break
            fnf.latency_s.append(elapsed)
            fnf.cpu_s.append(time.process_time() - cpu)
            fnf.workflow_cpu_s.append(executors.fnf.cpu() - workflow_cpu)
            if breakdown:
                wall, count = executors.fnf.wall()
                print(
                    f"  {load.key}: {elapsed * 1000:.0f} ms; {count - activations} activations, "
                    f"{(wall - activation_wall) * 1000:.0f} ms wall, "
                    f"{fnf.workflow_cpu_s[-1] * 1000:.0f} ms CPU",
                    flush=True,
                )
                print_timeline(await timeline_of(client, handle.id))
            try:
                fnf.runs, tasks = await longest_task_ms(client, handle.id)
            except WorkflowQueryFailedError as error:  # a run too long to replay
                fnf.failures.append(f"its runs cannot be listed: {error}")
            else:
                fnf.longest_tasks_ms = sorted(fnf.longest_tasks_ms + tasks, reverse=True)[:3]
                fnf.longest_task_ms = fnf.longest_tasks_ms[0] if fnf.longest_tasks_ms else None
        if fnf.failures:
            break
    report = {
        "workload": load.key,
        "steps": load.steps,
        "graph_bytes": len(json.dumps(graph)),
        "fnf": _summary(fnf, load.steps),
        "hand": _summary(hand, load.steps),
    }
    fnf_ms, hand_ms = report["fnf"]["ms_per_step"], report["hand"]["ms_per_step"]
    report["ratio"] = fnf_ms / hand_ms if fnf_ms and hand_ms else None
    fnf_cpu, hand_cpu = report["fnf"]["cpu_ms_per_step"], report["hand"]["cpu_ms_per_step"]
    report["cpu_ratio"] = fnf_cpu / hand_cpu if fnf_cpu and hand_cpu else None
    fnf_wf, hand_wf = (
        report["fnf"]["workflow_cpu_ms_per_step"],
        report["hand"]["workflow_cpu_ms_per_step"],
    )
    report["workflow_cpu_ratio"] = fnf_wf / hand_wf if fnf_wf and hand_wf else None
    report["ratios_per_repeat"] = [
        f / h for f, h in zip(fnf.latency_s, hand.latency_s, strict=False)
    ]
    return report


def _summary(figures: Figures, steps: int) -> dict[str, Any]:
    latency = statistics.median(figures.latency_s) if figures.latency_s else None
    cpu = statistics.median(figures.cpu_s) if figures.cpu_s else None
    workflow_cpu = statistics.median(figures.workflow_cpu_s) if figures.workflow_cpu_s else None
    return {
        "cpu_s": figures.cpu_s,
        "cpu_ms_per_step": None if cpu is None else cpu * 1000 / steps,
        "workflow_cpu_s": figures.workflow_cpu_s,
        "workflow_cpu_ms_per_step": None if workflow_cpu is None else workflow_cpu * 1000 / steps,
        "latency_s": figures.latency_s,
        "median_s": latency,
        "ms_per_step": None if latency is None else latency * 1000 / steps,
        "failures": figures.failures,
        "runs": figures.runs,
        "longest_task_ms": figures.longest_task_ms,
        "longest_tasks_ms": figures.longest_tasks_ms,
    }


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_row(row: dict[str, Any]) -> None:
    fnf, hand = row["fnf"], row["hand"]
    failed = f"  FAILED: {fnf['failures'][0][:120]}" if fnf["failures"] else ""
    print(
        f"{row['workload']:>13} {row['steps']:>7} steps | fnf {fmt(fnf['median_s'], 2):>7} s "
        f"{fmt(fnf['ms_per_step']):>6} ms/step  runs {fnf['runs'] or '-':>4}  longest task "
        f"{fmt(fnf['longest_task_ms'], 0):>5} ms (three longest "
        f"{' '.join(fmt(t, 0) for t in fnf['longest_tasks_ms'])}) "
        f"| hand {fmt(hand['median_s'], 2):>6} s "
        f"{fmt(hand['ms_per_step'], 4):>7} ms/step | ratio {fmt(row['ratio'], 2):>6} "
        f"| CPU ms/step {fmt(fnf['cpu_ms_per_step'])} vs {fmt(hand['cpu_ms_per_step'], 4)} "
        f"ratio {fmt(row['cpu_ratio'], 2)} | workflow CPU ms/step "
        f"{fmt(fnf['workflow_cpu_ms_per_step'])} vs {fmt(hand['workflow_cpu_ms_per_step'], 4)} "
        f"ratio {fmt(row['workflow_cpu_ratio'], 2)} "
        f"(per repeat {' '.join(fmt(r, 2) for r in row['ratios_per_repeat'])}){failed}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    blob = "x" * (args.blob_kb * 1024)
    loads = [workload(spec.strip(), blob) for spec in args.workloads.split(",") if spec.strip()]
    runner = workflow_runner_options(args.unsandboxed)
    executors = Executors(MeteredExecutor("bench-fnf-wf"), MeteredExecutor("bench-hand-wf"))
    options = run_options(args)
    rows = []
    async with temporal_server(args.address) as server:
        hand_worker = Worker(
            server.client,
            task_queue=HAND_QUEUE,
            workflows=handwritten.WORKFLOWS,
            workflow_task_executor=executors.hand,
            **runner,
        )
        fnf = fnf_worker(server.client, FNF_QUEUE, workflow_task_executor=executors.fnf, **runner)
        async with fnf, hand_worker:
            warm = workload("loop:20", blob)  # imports, sandbox, caches on both sides
            await measure(server.client, warm, 2, args.timeout, executors)
            for load in loads:
                row = await measure(
                    server.client,
                    load,
                    args.repeats,
                    args.timeout,
                    executors,
                    options,
                    args.breakdown,
                )
                print_row(row)
                rows.append(row)
    return {
        "settings": {
            "blob_kb": args.blob_kb,
            "repeats": args.repeats,
            "workflow_runner": "unsandboxed" if args.unsandboxed else "sandboxed",
            **options,
        },
        "workloads": rows,
    }


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The FlowRun settings given on the command line (unset: the defaults)."""
    given = {
        "steps_per_activation": args.steps_per_activation,
        "pauses_per_run": args.pauses_per_run,
    }
    return {key: value for key, value in given.items() if value is not None}


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS)
    parser.add_argument("--repeats", type=int, default=3, help="executions per side")
    parser.add_argument("--blob-kb", type=int, default=0, help="KiB of data in the local")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per execution")
    parser.add_argument("--unsandboxed", action="store_true", help="no workflow sandbox")
    parser.add_argument(
        "--steps-per-activation", type=int, help="inline steps between two pauses (FlowRun)"
    )
    parser.add_argument(
        "--pauses-per-run", type=int, help="pauses before a continue-as-new (FlowRun)"
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="print where each fnf-temporal execution's time went (tasks and round trips)",
    )
    run_benchmark(parser, run, show=None)  # its rows are printed as they are measured


if __name__ == "__main__":
    main()
