"""How fast the embedded dev server starts and dispatches one activity step after another.

A flow is a chain of steps, each usually one activity, so the per-step round trip through the
server (schedule, match to a poller, complete, next workflow task) bounds how fast a flow runs
on a laptop. This compares that round trip with the `fast_dispatch` dynamic config on and off.

    python bench/devserver_dispatch.py [--steps 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from worker.connection import connect_temporal
from worker.devserver import DevServer, DevServerOptions

TASK_QUEUE = "bench-dispatch"


@activity.defn
async def step(n: int) -> int:
    return n + 1


@workflow.defn
class StepChain:
    """`steps` trivial activities in sequence, like a flow of task steps."""

    @workflow.run
    async def run(self, steps: int) -> int:
        n = 0
        for _ in range(steps):
            n = await workflow.execute_activity(
                step, n, start_to_close_timeout=timedelta(seconds=10)
            )
        return n


async def time_startup(options: DevServerOptions, rounds: int) -> list[float]:
    """Seconds from `DevServer.start` to a server that describes its namespace."""
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        server = await DevServer.start(options)
        seconds.append(time.perf_counter() - began)
        await server.stop()
    return seconds


async def time_steps(client: Client, steps: int) -> float:
    """Milliseconds per activity step of one StepChain run."""
    began = time.perf_counter()
    result = await client.execute_workflow(
        StepChain.run, steps, id=f"bench-{uuid.uuid4()}", task_queue=TASK_QUEUE
    )
    elapsed = time.perf_counter() - began
    assert result == steps
    return elapsed * 1000 / steps


async def measure(fast_dispatch: bool, steps: int, rounds: int) -> None:
    options = DevServerOptions(fast_dispatch=fast_dispatch)
    startup = await time_startup(options, rounds)
    async with await DevServer.start(options) as server:
        client = await connect_temporal(server.address, server.namespace)
        worker = Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[StepChain],
            activities=[step],
            workflow_runner=UnsandboxedWorkflowRunner(),
        )
        async with worker:
            await time_steps(client, 5)  # warm up: first polls, caches, connections
            per_step = [await time_steps(client, steps) for _ in range(rounds)]
    print(
        f"fast_dispatch={fast_dispatch!s:5}  "
        f"startup median {statistics.median(startup):.2f} s "
        f"(min {min(startup):.2f}, max {max(startup):.2f})  "
        f"per activity step median {statistics.median(per_step):.1f} ms "
        f"(min {min(per_step):.1f}, max {max(per_step):.1f}) over {rounds} x {steps} steps"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for fast_dispatch in (True, False):
        await measure(fast_dispatch, args.steps, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
