"""Sizing figures: steps per second per worker process and per core, by worker role.

    python bench/worker_roles.py [--executions 100] [--rounds 2] [--address HOST:PORT]
        [--json FILE]

Four worker processes on one server, two per side, measured side by side in one run:

  fnf-temporal   `fnf worker --workflows-only` (the interpreter, FnFFlow) on one queue and
                 `fnf worker --service bench` (the `increment` function, FC-style in a warm
                 child process) on the queue the registry routes service `bench` to
  hand-written   a worker process running only the SequentialTasks workflow of handwritten.py
                 and one running only its activity (the same handler, called in-process)

Each round starts `--executions` executions of a flow of 10 task steps at once on one side,
then on the other (alternating which goes first), each after the server is idle again, and
reads the CPU seconds each worker process (with its children: the function instances) spent.
Per process it reports CPU milliseconds per step and steps per CPU-second: what one core
serves when that role is the bottleneck, the figure to size a pool with. Steps/s is the
throughput of the whole run (all four processes and the server share this machine's cores).
Load and cores are printed first: on a shared machine the ratios, not the absolute figures,
are what carry over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import handwritten
from harness import ARN, HERE, CpuClock, Server, settle, temporal_server
from rich.console import Console
from rich.table import Table
from temporalio.client import Client
from temporalio.worker import Worker

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution

STEPS = 10
ROOT = HERE.parent


def sequential_flow() -> str:
    lines = ["version: v1", "type: flow", "steps:"]
    for index in range(STEPS):
        lines += [
            "  - type: task",
            f"    name: increment{index}",
            f"    resourceArn: {ARN}/increment",
        ]
    return "\n".join(lines) + "\n"


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and its live descendants (function instances)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        spent[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    family = {pid}
    grew = True
    while grew:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(spent.get(member, 0.0) for member in family)


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log.open("ab")
        self.popen = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=ROOT
        )

    def cpu(self) -> float:
        return tree_cpu(self.popen.pid)

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(timeout=30)
        self.log.close()


@dataclass
class Side:
    name: str
    workflow_process: Process
    activity_process: Process
    start: Any


@dataclass
class Measure:
    side: str
    round: int
    executions: int
    steps: int
    seconds: float
    steps_per_s: float
    workflow_cpu_ms_per_step: float
    activity_cpu_ms_per_step: float
    workflow_steps_per_core_s: float
    activity_steps_per_core_s: float
    server_cpu_ms_per_step: float | None


async def serve_handwritten(address: str, queue: str, role: str) -> None:
    """`--serve`: one hand-written worker process (workflows or activities only)."""
    client = await Client.connect(address)
    if role == "workflows":
        worker = Worker(client, task_queue=queue, workflows=[handwritten.SequentialTasks])
    else:
        worker = Worker(client, task_queue=queue, activities=[handwritten.increment_in_process])
    async with worker:
        await asyncio.Event().wait()


def fnf_processes(address: str, folder: Path, tag: str) -> tuple[Process, Process, str]:
    interpreter_queue, function_queue = f"roles-fnf-{tag}", f"roles-fn-{tag}"
    routes = folder / "interpreter.yaml"
    routes.write_text(f"services:\n  bench: {{taskQueue: {function_queue}}}\n")
    code = folder / "bench.yaml"
    code.write_text(
        f"services:\n  bench: {{taskQueue: {function_queue}}}\n"
        f"functions:\n  bench/increment: {{handler: '{HERE / 'functions.py'}:increment'}}\n"
    )
    base = [sys.executable, "-m", "cli.main", "worker", "--address", address]
    base += ["--task-queue", interpreter_queue]
    interpreter = Process(
        "interpreter",
        [*base, "--functions", str(routes), "--workflows-only"],
        {},
        folder / "interpreter.log",
    )
    functions = Process(
        "functions",
        [*base, "--functions", str(code), "--service", "bench"],
        {},
        folder / "functions.log",
    )
    return interpreter, functions, interpreter_queue


def hand_processes(address: str, folder: Path, tag: str) -> tuple[Process, Process, str, str]:
    workflow_queue, activity_queue = f"roles-hand-{tag}", f"roles-hand-act-{tag}"
    script = [sys.executable, str(Path(__file__).resolve()), "--address", address]
    workflows = Process(
        "hand-workflows",
        [*script, "--serve", "workflows", "--queue", workflow_queue],
        {},
        folder / "hand-workflows.log",
    )
    activities = Process(
        "hand-activities",
        [*script, "--serve", "activities", "--queue", activity_queue],
        {},
        folder / "hand-activities.log",
    )
    return workflows, activities, workflow_queue, activity_queue


async def run_batch(side: Side, executions: int, server: Server, clock: CpuClock) -> Measure:
    await settle(clock)
    before = (side.workflow_process.cpu(), side.activity_process.cpu(), clock.read())
    started = time.perf_counter()
    handles = await asyncio.gather(*(side.start() for _ in range(executions)))
    results = await asyncio.gather(*(handle.result() for handle in handles))
    seconds = time.perf_counter() - started
    after = (side.workflow_process.cpu(), side.activity_process.cpu(), clock.read())
    assert all(result["n"] == STEPS for result in results), results[:3]
    steps = executions * STEPS
    workflow_cpu, activity_cpu = after[0] - before[0], after[1] - before[1]
    server_before, server_after = before[2][1], after[2][1]
    server_cpu = (
        None if server_before is None or server_after is None else server_after - server_before
    )
    return Measure(
        side=side.name,
        round=0,
        executions=executions,
        steps=steps,
        seconds=round(seconds, 3),
        steps_per_s=round(steps / seconds, 1),
        workflow_cpu_ms_per_step=round(workflow_cpu * 1000 / steps, 3),
        activity_cpu_ms_per_step=round(activity_cpu * 1000 / steps, 3),
        workflow_steps_per_core_s=round(steps / workflow_cpu, 1) if workflow_cpu else 0.0,
        activity_steps_per_core_s=round(steps / activity_cpu, 1) if activity_cpu else 0.0,
        server_cpu_ms_per_step=None if server_cpu is None else round(server_cpu * 1000 / steps, 3),
    )


async def wait_for_pollers(start: Any) -> None:
    """The first execution of a side: it finishes once both its processes poll."""
    handle = await start()
    await asyncio.wait_for(handle.result(), 120)


async def main(options: argparse.Namespace) -> None:
    console = Console(width=170)
    load = os.getloadavg()
    cores = os.cpu_count()
    console.print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cores} cores "
        f"(uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})"
    )
    tag = uuid.uuid4().hex[:6]
    graph = dict(compile_text(sequential_flow()))
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        async with temporal_server(options.address) as server:
            clock = CpuClock(server.pid)
            client = server.client
            fnf_wf, fnf_fn, fnf_queue = fnf_processes(server.address, folder, tag)
            hand_wf, hand_act, hand_queue, hand_act_queue = hand_processes(
                server.address, folder, tag
            )

            async def start_fnf() -> Any:
                run = FlowRun(
                    graph=graph,
                    input={},
                    flow_name="bench-roles",
                    execution_name=f"roles-{uuid.uuid4()}",
                )
                return await start_execution(client, fnf_queue, run, search_attributes=False)

            async def start_hand() -> Any:
                args = {
                    "input": {},
                    "steps": STEPS,
                    "activity": handwritten.IN_PROCESS,
                    "activity_queue": hand_act_queue,
                }
                return await client.start_workflow(
                    handwritten.SequentialTasks.run,
                    args,
                    id=f"roles-hand-{uuid.uuid4()}",
                    task_queue=hand_queue,
                )

            sides = [
                Side("fnf-temporal", fnf_wf, fnf_fn, start_fnf),
                Side("hand-written", hand_wf, hand_act, start_hand),
            ]
            try:
                for side in sides:
                    await wait_for_pollers(side.start)
                    await run_batch(side, min(options.executions, 20), server, clock)  # warm-up
                for number in range(1, options.rounds + 1):
                    order = sides if number % 2 else list(reversed(sides))
                    for side in order:
                        measure = await run_batch(side, options.executions, server, clock)
                        measure.round = number
                        measures.append(measure)
                        console.print(f"round {number} {side.name}: {measure.steps_per_s} steps/s")
            finally:
                for process in (fnf_wf, fnf_fn, hand_wf, hand_act):
                    process.stop()
    report(console, measures)
    if options.json:
        Path(options.json).write_text(json.dumps([asdict(m) for m in measures], indent=2))


def report(console: Console, measures: list[Measure]) -> None:
    table = Table(title=f"{STEPS} task steps per execution; CPU per worker process (with children)")
    for column in (
        "side",
        "round",
        "executions",
        "steps/s",
        "workflow CPU ms/step",
        "activity CPU ms/step",
        "workflow steps/core-s",
        "activity steps/core-s",
        "server CPU ms/step",
    ):
        table.add_column(column, justify="right")
    for m in measures:
        table.add_row(
            m.side,
            str(m.round),
            str(m.executions),
            f"{m.steps_per_s:.0f}",
            f"{m.workflow_cpu_ms_per_step:.2f}",
            f"{m.activity_cpu_ms_per_step:.2f}",
            f"{m.workflow_steps_per_core_s:.0f}",
            f"{m.activity_steps_per_core_s:.0f}",
            "-" if m.server_cpu_ms_per_step is None else f"{m.server_cpu_ms_per_step:.2f}",
        )
    console.print(table)
    by_side: dict[str, list[Measure]] = {}
    for m in measures:
        by_side.setdefault(m.side, []).append(m)
    if len(by_side) == 2:
        fnf, hand = by_side["fnf-temporal"], by_side["hand-written"]

        def mean(values: list[float]) -> float:
            return sum(values) / len(values)

        for label, attribute in (
            ("workflow process CPU per step", "workflow_cpu_ms_per_step"),
            ("activity process CPU per step", "activity_cpu_ms_per_step"),
        ):
            ratio = mean([getattr(m, attribute) for m in fnf]) / mean(
                [getattr(m, attribute) for m in hand]
            )
            console.print(f"{label}: fnf-temporal / hand-written = {ratio:.2f}")
        ratio = mean([m.steps_per_s for m in fnf]) / mean([m.steps_per_s for m in hand])
        console.print(f"throughput: fnf-temporal / hand-written = {ratio:.2f}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--address")
    parser.add_argument("--json")
    parser.add_argument("--serve", choices=("workflows", "activities"), help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    given = arguments()
    if given.serve:
        asyncio.run(serve_handwritten(given.address, given.queue, given.serve))
    else:
        asyncio.run(main(given))
