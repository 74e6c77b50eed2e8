"""fnf-temporal's interpreter against hand-written Temporal workflows doing the same work.

    python bench/interpreter_vs_handwritten.py [--executions 50] [--rounds 2] [--repeats 3]
        [--address HOST:PORT] [--json FILE] [--unsandboxed] [--scenarios inline,sequential,foreach]

Every figure is a ratio against a hand-written workflow measured in the same process, on the
same server, in the same round: the two workers (FnFFlow on one task queue, the hand-written
workflows of handwritten.py on another) run side by side, and each round runs the variants of a
scenario one after the other, in alternating order and each after the server is idle again, so
that drift in the machine's speed hits both sides alike. Without --address an embedded dev
server (fast dispatch on) is started.

Scenarios:
  inline      20 pass/choice steps (no activity) vs the same dict manipulation in workflow code
  sequential  10 task steps calling `increment` vs 10 activities in a row, the activity calling
              the handler in-process, and (isolating the interpreter) through FunctionRuntime;
              then the same as local activities on both sides (`increment-local`, registry
              `localActivity: true`, vs `execute_local_activity`)
  foreach     a foreach over 50 items with a task each vs asyncio.gather of 50 activities

For each variant: single-execution latency (start to result, one execution alone; `--repeats`
times per round), then `--executions` executions started at once and the wall time until all
finished; CPU seconds of this process (workers and client) and of the embedded server; and a
breakdown of one execution's Temporal history.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import handwritten
from harness import (
    ARN,
    CpuClock,
    Server,
    bench_parser,
    bench_runtime,
    cpu_spent,
    fnf_worker,
    history_breakdown,
    run_benchmark,
    settle,
    temporal_server,
    workflow_runner_options,
)
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution

FNF_QUEUE = "bench-fnf"
HAND_QUEUE = "bench-hand"
INLINE_PAIRS = 10  # a pass and a choice each: 20 steps
SEQUENTIAL_STEPS = 10
FOREACH_ITEMS = 50

FNF = "fnf-temporal"
HAND_IN_PROCESS = "hand-written, in-process"
HAND_VIA_RUNTIME = "hand-written, via runtime"
FNF_LOCAL = "fnf-temporal, local"
HAND_LOCAL_IN_PROCESS = "hand-written, local, in-process"
HAND_LOCAL_VIA_RUNTIME = "hand-written, local, via runtime"
HAND_INLINE = "hand-written"


# ---------------------------------------------------------------------------------------------
# The flows


def inline_flow(pairs: int) -> str:
    """`pairs` x (pass copying n into s<i>, choice on n jumping to the next pair), a succeed."""
    lines = ["version: v1", "type: flow", "steps:"]
    for index in range(pairs):
        after = f"copy{index + 1}" if index + 1 < pairs else "done"
        lines += [
            "  - type: pass",
            f"    name: copy{index}",
            "    outputMappings:",
            f"      - {{target: s{index}, source: $input.n}}",
            "      - {target: n, source: $input.n}",
            "  - type: choice",
            f"    name: check{index}",
            "    inputMappings: [{target: n, source: $local.n}]",
            "    choices:",
            f"      - {{condition: $.n >= 0, goto: {after}}}",
            "    default: {goto: negative}",
        ]
    lines += [
        "  - {type: succeed, name: done}",
        "  - {type: fail, name: negative, error: Negative, cause: n is negative}",
    ]
    return "\n".join(lines) + "\n"


def sequential_flow(steps: int, function: str = "increment") -> str:
    """`steps` task steps on `function`; each one's input is the flow input + local so far."""
    lines = ["version: v1", "type: flow", "steps:"]
    for index in range(steps):
        lines += [
            "  - type: task",
            f"    name: increment{index}",
            f"    resourceArn: {ARN}/{function}",
        ]
    return "\n".join(lines) + "\n"


FOREACH_FLOW = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping: {{collection: $.items, item: item}}
    steps:
      - type: task
        name: increment
        resourceArn: {ARN}/increment
        inputMappings: [{{target: n, source: $input.item}}]
    outputMappings:
      - {{target: results, source: $local}}
"""


# ---------------------------------------------------------------------------------------------
# Scenarios and their variants

Start = Callable[[str], Awaitable[WorkflowHandle[Any, Any]]]


@dataclass
class Variant:
    label: str
    start: Start
    expected: dict[str, Any]
    handwritten: bool
    against: tuple[str, ...] = (FNF,)
    """The fnf-temporal variants a hand-written one is the denominator of a ratio for."""


@dataclass
class Scenario:
    key: str
    title: str
    steps: int
    """Steps (or activities) one execution runs: the divisor of the per-step figures."""
    variants: list[Variant]


def fnf_start(client: Client, flow_name: str, text: str, flow_input: dict[str, Any]) -> Start:
    graph = dict(compile_text(text, f"{flow_name}.yaml"))

    async def start(name: str) -> WorkflowHandle[Any, Any]:
        run = FlowRun(graph=graph, input=flow_input, flow_name=flow_name, execution_name=name)
        return await start_execution(client, FNF_QUEUE, run, search_attributes=False)

    return start


def hand_start(client: Client, workflow_run: Any, args: dict[str, Any]) -> Start:
    async def start(name: str) -> WorkflowHandle[Any, Any]:
        return await client.start_workflow(
            workflow_run, args, id=f"hand-{name}", task_queue=HAND_QUEUE
        )

    return start


def scenarios(client: Client) -> list[Scenario]:
    inline_input = {"n": 7}
    inline_output = {"n": 7, **{f"s{i}": 7 for i in range(INLINE_PAIRS)}}
    sequential_input = {"n": 0}
    sequential_output = {"n": SEQUENTIAL_STEPS}
    items = list(range(FOREACH_ITEMS))
    foreach_input = {"items": items}
    foreach_output = {"results": [{"n": item + 1} for item in items]}

    def hand_tasks(
        run: Any, args: dict[str, Any], expected: dict[str, Any], local: bool = False
    ) -> list[Variant]:
        labels = (
            (HAND_LOCAL_IN_PROCESS, HAND_LOCAL_VIA_RUNTIME)
            if local
            else (HAND_IN_PROCESS, HAND_VIA_RUNTIME)
        )
        # Regular activities are also what the local mode is measured against (2x the goal).
        against = (FNF_LOCAL,) if local else (FNF, FNF_LOCAL) if "local" in args else (FNF,)
        return [
            Variant(
                label,
                hand_start(client, run, {**args, "activity": activity}),
                expected,
                handwritten=True,
                against=against,
            )
            for label, activity in zip(
                labels, (handwritten.IN_PROCESS, handwritten.VIA_RUNTIME), strict=True
            )
        ]

    return [
        Scenario(
            "inline",
            f"inline steps ({2 * INLINE_PAIRS} pass/choice)",
            2 * INLINE_PAIRS,
            [
                Variant(
                    FNF,
                    fnf_start(client, "bench-inline", inline_flow(INLINE_PAIRS), inline_input),
                    inline_output,
                    handwritten=False,
                ),
                Variant(
                    HAND_INLINE,
                    hand_start(
                        client,
                        handwritten.InlineSteps.run,
                        {"input": inline_input, "pairs": INLINE_PAIRS},
                    ),
                    inline_output,
                    handwritten=True,
                ),
            ],
        ),
        Scenario(
            "sequential",
            f"sequential tasks ({SEQUENTIAL_STEPS})",
            SEQUENTIAL_STEPS,
            [
                Variant(
                    FNF,
                    fnf_start(
                        client,
                        "bench-sequential",
                        sequential_flow(SEQUENTIAL_STEPS),
                        sequential_input,
                    ),
                    sequential_output,
                    handwritten=False,
                ),
                *hand_tasks(
                    handwritten.SequentialTasks.run,
                    {"input": sequential_input, "steps": SEQUENTIAL_STEPS, "local": False},
                    sequential_output,
                ),
                Variant(
                    FNF_LOCAL,
                    fnf_start(
                        client,
                        "bench-sequential-local",
                        sequential_flow(SEQUENTIAL_STEPS, "increment-local"),
                        sequential_input,
                    ),
                    sequential_output,
                    handwritten=False,
                ),
                *hand_tasks(
                    handwritten.SequentialTasks.run,
                    {"input": sequential_input, "steps": SEQUENTIAL_STEPS, "local": True},
                    sequential_output,
                    local=True,
                ),
            ],
        ),
        Scenario(
            "foreach",
            f"foreach fan-out ({FOREACH_ITEMS} items)",
            FOREACH_ITEMS,
            [
                Variant(
                    FNF,
                    fnf_start(client, "bench-foreach", FOREACH_FLOW, foreach_input),
                    foreach_output,
                    handwritten=False,
                ),
                *hand_tasks(handwritten.FanOut.run, {"input": foreach_input}, foreach_output),
            ],
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Samples:
    """Every measurement of one variant, one entry per round (latencies: all repeats)."""

    latency_ms: list[float] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)
    worker_cpu_s: list[float] = field(default_factory=list)
    server_cpu_s: list[float] = field(default_factory=list)
    breakdown: dict[str, Any] = field(default_factory=dict)


def fresh_name() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}"


async def finish(variant: Variant, handle: WorkflowHandle[Any, Any]) -> None:
    result = await handle.result()
    if result != variant.expected:
        raise AssertionError(f"{variant.label}: unexpected result {result!r}")


async def single(variant: Variant) -> tuple[float, WorkflowHandle[Any, Any]]:
    """Milliseconds from start to result of one execution running alone."""
    began = time.perf_counter()
    handle = await variant.start(fresh_name())
    await finish(variant, handle)
    return (time.perf_counter() - began) * 1000, handle


async def batch(variant: Variant, executions: int, clock: CpuClock, samples: Samples) -> None:
    """`executions` started at once; wall time until the last one finished, and CPU spent."""
    cpu_before = clock.read()
    began = time.perf_counter()
    handles = await asyncio.gather(*(variant.start(fresh_name()) for _ in range(executions)))
    await asyncio.gather(*(finish(variant, handle) for handle in handles))
    samples.wall_s.append(time.perf_counter() - began)
    own, server = cpu_spent(cpu_before, clock.read())
    samples.worker_cpu_s.append(own)
    if server is not None:
        samples.server_cpu_s.append(server)


async def measure_scenario(
    scenario: Scenario, executions: int, rounds: int, repeats: int, clock: CpuClock
) -> dict[str, Samples]:
    results = {variant.label: Samples() for variant in scenario.variants}
    for variant in scenario.variants:  # warm up: instances, caches, connections
        await single(variant)
        await batch(variant, min(executions, 5), clock, Samples())
    for round_ in range(rounds):
        order = scenario.variants if round_ % 2 == 0 else scenario.variants[::-1]
        for variant in order:
            await settle(clock)
            samples = results[variant.label]
            handle = None
            for _ in range(repeats):
                latency, handle = await single(variant)
                samples.latency_ms.append(latency)
            if handle is not None and not samples.breakdown:
                samples.breakdown = (await history_breakdown(handle)).as_dict()
            await settle(clock)
            await batch(variant, executions, clock, samples)
            print(
                f"  {scenario.key:10} round {round_ + 1}  {variant.label:32} "
                f"single {statistics.median(samples.latency_ms[-repeats:]):7.1f} ms   "
                f"{executions} at once {samples.wall_s[-1]:6.2f} s",
                flush=True,
            )
    return results


# ---------------------------------------------------------------------------------------------
# Reporting


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(scenario: Scenario, samples: Samples, executions: int) -> dict[str, Any]:
    latency = median(samples.latency_ms)
    wall = median(samples.wall_s)
    worker_cpu = median(samples.worker_cpu_s)
    server_cpu = median(samples.server_cpu_s)
    return {
        "single_latency_ms": latency,
        "single_ms_per_step": None if latency is None else latency / scenario.steps,
        "wall_s": wall,
        "executions_per_s": None if not wall else executions / wall,
        "steps_per_s": None if not wall else executions * scenario.steps / wall,
        "ms_per_step_under_load": None
        if wall is None
        else wall * 1000 / (executions * scenario.steps),
        "worker_cpu_ms_per_execution": None
        if worker_cpu is None
        else worker_cpu * 1000 / executions,
        "server_cpu_ms_per_execution": None
        if server_cpu is None
        else server_cpu * 1000 / executions,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ratios(scenario: Scenario, results: dict[str, Samples]) -> list[dict[str, Any]]:
    """fnf-temporal / each hand-written variant; wall ratios also per round (same round)."""
    rows = []
    for variant in scenario.variants:
        if not variant.handwritten:
            continue
        for label in variant.against:
            if label in results:
                rows.append(_ratio_row(results[label], results[variant.label], label, variant))
    return rows


def _ratio_row(fnf: Samples, hand: Samples, label: str, variant: Variant) -> dict[str, Any]:
    per_round = [f / h for f, h in zip(fnf.wall_s, hand.wall_s, strict=True)]
    return {
        "fnf": label,
        "against": variant.label,
        "single_latency": ratio(median(fnf.latency_ms), median(hand.latency_ms)),
        "wall": ratio(median(fnf.wall_s), median(hand.wall_s)),
        "wall_per_round": per_round,
        "worker_cpu": ratio(median(fnf.worker_cpu_s), median(hand.worker_cpu_s)),
        "server_cpu": ratio(median(fnf.server_cpu_s), median(hand.server_cpu_s)),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_report(report: dict[str, Any]) -> None:
    console = Console(width=max(Console().width, 150))
    settings = report["settings"]
    executions = settings["executions"]
    table = Table(
        title=(
            f"{settings['server']}, {settings['workflow_runner']} workflow runner, "
            f"{executions} executions at once, {settings['rounds']} rounds (medians)"
        )
    )
    for header in (
        "scenario",
        "variant",
        "single ms",
        "ms/step",
        f"{executions} wall s",
        "exec/s",
        "steps/s",
        "ms/step load",
        "worker CPU ms/exec",
        "server CPU ms/exec",
    ):
        table.add_column(header, justify="left" if header in ("scenario", "variant") else "right")
    for scenario in report["scenarios"]:
        for index, variant in enumerate(scenario["variants"]):
            figures = variant["summary"]
            table.add_row(
                scenario["title"] if index == 0 else "",
                variant["label"],
                fmt(figures["single_latency_ms"]),
                fmt(figures["single_ms_per_step"], 2),
                fmt(figures["wall_s"], 2),
                fmt(figures["executions_per_s"]),
                fmt(figures["steps_per_s"]),
                fmt(figures["ms_per_step_under_load"], 2),
                fmt(figures["worker_cpu_ms_per_execution"]),
                fmt(figures["server_cpu_ms_per_execution"]),
            )
        table.add_section()
    console.print(table)

    ratio_table = Table(title="Ratios fnf-temporal / hand-written (1.0 = as fast; higher = slower)")
    for header in (
        "scenario",
        "fnf-temporal",
        "against",
        "single latency",
        "wall (median)",
        "wall per round",
        "worker CPU",
        "server CPU",
    ):
        ratio_table.add_column(
            header, justify="left" if header in ("scenario", "fnf-temporal", "against") else "right"
        )
    for scenario in report["scenarios"]:
        for index, row in enumerate(scenario["ratios"]):
            ratio_table.add_row(
                scenario["title"] if index == 0 else "",
                row["fnf"],
                row["against"],
                fmt(row["single_latency"], 2),
                fmt(row["wall"], 2),
                " ".join(fmt(value, 2) for value in row["wall_per_round"]),
                fmt(row["worker_cpu"], 2),
                fmt(row["server_cpu"], 2),
            )
    console.print(ratio_table)

    breakdown = Table(title="One execution's Temporal history (server timestamps)")
    for header in (
        "scenario",
        "variant",
        "events",
        "history bytes",
        "total ms",
        "workflow tasks",
        "in workflow tasks ms",
        "in activities ms",
    ):
        breakdown.add_column(
            header, justify="left" if header in ("scenario", "variant") else "right"
        )
    for scenario in report["scenarios"]:
        for index, variant in enumerate(scenario["variants"]):
            facts = variant["breakdown"]
            breakdown.add_row(
                scenario["title"] if index == 0 else "",
                variant["label"],
                str(facts.get("events", "-")),
                str(facts.get("history_bytes", "-")),
                fmt(facts.get("total_ms")),
                str(facts.get("workflow_tasks", "-")),
                fmt(facts.get("workflow_task_ms")),
                fmt(facts.get("activity_ms")),
            )
    console.print(breakdown)


# ---------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    wanted = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    runner = workflow_runner_options(args.unsandboxed)
    async with temporal_server(args.address) as server:
        clock = CpuClock(server.pid)
        async with fnf_worker(server.client, FNF_QUEUE, **runner) as (_, _runtime):
            hand_runtime = bench_runtime()
            try:
                activities = handwritten.RuntimeActivities(hand_runtime, f"{ARN}/increment")
                hand_worker = Worker(
                    server.client,
                    task_queue=HAND_QUEUE,
                    workflows=handwritten.WORKFLOWS,
                    activities=[
                        handwritten.increment_in_process,
                        activities.increment_via_runtime,
                    ],
                    **runner,
                )
                async with hand_worker:
                    return await _measure_all(server, clock, wanted, args)
            finally:
                await hand_runtime.aclose()


async def _measure_all(
    server: Server, clock: CpuClock, wanted: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    chosen = [s for s in scenarios(server.client) if s.key in wanted]
    unknown = set(wanted) - {s.key for s in chosen}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    report: dict[str, Any] = {
        "settings": {
            "server": "embedded dev server, fast dispatch on"
            if server.embedded
            else f"server at {server.address}",
            "workflow_runner": "unsandboxed" if args.unsandboxed else "sandboxed",
            "executions": args.executions,
            "rounds": args.rounds,
            "repeats": args.repeats,
        },
        "scenarios": [],
    }
    for scenario in chosen:
        results = await measure_scenario(
            scenario, args.executions, args.rounds, args.repeats, clock
        )
        report["scenarios"].append(
            {
                "key": scenario.key,
                "title": scenario.title,
                "steps": scenario.steps,
                "variants": [
                    {
                        "label": variant.label,
                        "summary": summary(scenario, results[variant.label], args.executions),
                        "samples": {
                            "latency_ms": results[variant.label].latency_ms,
                            "wall_s": results[variant.label].wall_s,
                            "worker_cpu_s": results[variant.label].worker_cpu_s,
                            "server_cpu_s": results[variant.label].server_cpu_s,
                        },
                        "breakdown": results[variant.label].breakdown,
                    }
                    for variant in scenario.variants
                ],
                "ratios": ratios(scenario, results),
            }
        )
    return report


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--executions", type=int, default=50, help="executions at once")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per scenario")
    parser.add_argument("--repeats", type=int, default=3, help="single executions per round")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run both workers' workflows without Temporal's sandbox",
    )
    parser.add_argument("--scenarios", default="inline,sequential,foreach")
    run_benchmark(parser, run, print_report)


if __name__ == "__main__":
    main()
