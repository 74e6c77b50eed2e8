"""Where an inline step's workflow CPU goes: record one execution of an `inline_steps.py`
workload, then replay its history (deterministic, no server needed for the replays) side by
side with the hand-written workflow's, timed, and optionally under cProfile.

    python bench/replay_profile.py --workload loop:1000 --replays 5
    python bench/replay_profile.py --workload chain:1000 --profile 30 --save /tmp/h
    python bench/replay_profile.py --load /tmp/h --replays 5 --unsandboxed

Replaying a run executes exactly the workflow code the run executed (the interpreter's per-step
path, the archive at close), without the server, the client or the network: the time per
replay divided by the FnF steps is the workflow's own cost per step, and the hand-written
workflow's replay is the same measure for what a Temporal user would write.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import handwritten
from harness import fnf_worker, temporal_server, workflow_runner_options
from inline_steps import FNF_QUEUE, HAND_QUEUE, run_options, workload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, Worker

from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.sandbox import workflow_runner
from worker.workflow import FnFFlow

HAND_WORKFLOWS = [handwritten.ChainedPasses, handwritten.CountingLoop]


async def record(
    spec: str, blob_kb: int, folder: Path, options: dict[str, Any] | None = None
) -> None:
    """Run the workload once on each side on an embedded server; keep both histories.
    `options`: FlowRun fields the fnf-temporal execution starts with (else the defaults)."""
    load = workload(spec, "x" * (blob_kb * 1024))
    graph = dict(compile_text(load.text, f"bench-{load.kind}.yaml"))
    async with temporal_server(None) as server:
        client = server.client
        hand_worker = Worker(client, task_queue=HAND_QUEUE, workflows=HAND_WORKFLOWS)
        async with fnf_worker(client, FNF_QUEUE), hand_worker:
            run = FlowRun(
                graph=graph,
                input=load.flow_input,
                flow_name=f"bench-{load.kind}",
                execution_name=uuid.uuid4().hex[:12],
                **(options or {}),
            )
            handle = await start_execution(client, FNF_QUEUE, run, search_attributes=False)
            assert await handle.result() == load.expected
            hand = await client.start_workflow(
                load.hand_run,
                load.hand_args,
                id=f"hand-{uuid.uuid4().hex[:12]}",
                task_queue=HAND_QUEUE,
            )
            assert await hand.result() == load.expected
            fnf_history = await handle.fetch_history()
            hand_history = await hand.fetch_history()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fnf.json").write_text(fnf_history.to_json())
    (folder / "hand.json").write_text(hand_history.to_json())
    (folder / "meta.json").write_text(json.dumps({"workload": spec, "steps": load.steps}))


class ProfiledExecutor(ThreadPoolExecutor):
    """One workflow-task thread whose work runs under `profiler` (cProfile sees one thread)."""

    def __init__(self, profiler: cProfile.Profile | None) -> None:
        super().__init__(max_workers=1)
        self.profiler = profiler

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        profiler = self.profiler
        if profiler is None:
            return super().submit(fn, *args, **kwargs)

        def profiled() -> Any:
            profiler.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                profiler.disable()

        return super().submit(profiled)


class GcClock:
    """Seconds this process spent in garbage collection since it was made."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began


async def replay_times(
    history: WorkflowHistory,
    workflows: list[Any],
    replays: int,
    unsandboxed: bool,
    profiler: cProfile.Profile | None = None,
) -> list[float]:
    runner = workflow_runner_options(unsandboxed)
    if not unsandboxed and FnFFlow in workflows:
        runner = {"workflow_runner": workflow_runner()}  # what fnf-temporal's workers run
    replayer = Replayer(
        workflows=workflows,
        workflow_task_executor=ProfiledExecutor(profiler),
        **runner,
    )
    times = []
    for _ in range(replays):
        began = time.process_time()
        await replayer.replay_workflow(history)
        times.append(time.process_time() - began)
    return times


async def main_async(args: argparse.Namespace) -> None:
    folder = args.load or args.save or Path(f"/tmp/replay-{uuid.uuid4().hex[:8]}")
    if not args.load:
        await record(args.workload, args.blob_kb, folder, run_options(args))
    meta = json.loads((folder / "meta.json").read_text())
    steps = meta["steps"]
    fnf = WorkflowHistory.from_json("fnf", (folder / "fnf.json").read_text())
    hand = WorkflowHistory.from_json("hand", (folder / "hand.json").read_text())
    if args.profile:
        await replay_times(fnf, [FnFFlow], 1, args.unsandboxed)  # imports, build id
        profiler = cProfile.Profile()
        gc.collect()
        gc.disable()  # a collection's time would land on whichever call triggered it
        await replay_times(fnf, [FnFFlow], 1, args.unsandboxed, profiler)
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.profile)
        return
    collecting = GcClock()
    if args.no_gc:
        gc.collect()
        gc.disable()  # the code's own cost, without the collections it leads to
    # alternate the sides, so that drift hits both
    fnf_times: list[float] = []
    hand_times: list[float] = []
    for _ in range(args.replays):
        fnf_times += await replay_times(fnf, [FnFFlow], 1, args.unsandboxed)
        hand_times += await replay_times(hand, HAND_WORKFLOWS, 1, args.unsandboxed)
    f, h = statistics.median(fnf_times), statistics.median(hand_times)
    print(
        f"{meta['workload']}: {steps} FnF steps, {len(fnf.events)} / {len(hand.events)} events; "
        f"replay CPU median of {args.replays}: fnf-temporal {f * 1000:.1f} ms "
        f"({f / steps * 1e6:.1f} us/step), hand-written {h * 1000:.1f} ms "
        f"({h / steps * 1e6:.1f} us/step), ratio {f / h:.2f}; garbage collection "
        f"{collecting.seconds / (2 * args.replays) * 1000:.1f} ms per replay"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", default="loop:1000")
    parser.add_argument("--blob-kb", type=int, default=0)
    parser.add_argument("--replays", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="print this many profile rows")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--save", type=Path, help="keep the recorded histories here")
    parser.add_argument("--load", type=Path, help="replay histories saved with --save")
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--no-gc", action="store_true", help="garbage collection off")
    parser.add_argument(
        "--steps-per-activation", type=int, help="inline steps between two pauses (FlowRun)"
    )
    parser.add_argument(
        "--pauses-per-run", type=int, help="pauses before a continue-as-new (FlowRun)"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
