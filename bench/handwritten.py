"""Hand-written Temporal workflows doing the work of the benchmark flows, as a Temporal user
would write them: plain workflow code, one activity per call, no interpreter, no FnF history.

Two activities call the same handler (functions.py:increment): `IncrementInProcess` right in the
worker process (what a Temporal user would write), `IncrementViaRuntime` through fnf-temporal's
FunctionRuntime (a warm child process per function, as the FnF task activity does), which
isolates the cost of the interpreter from the cost of crash-isolated functions.
"""

# No `from __future__ import annotations`: Temporal resolves the workflow and activity type hints
# inside its sandbox.
import asyncio
import json
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import functions as bench_functions

    from translator.resources import Resource, parse_resource_arn
    from worker.functions import FunctionRuntime, Invocation

IN_PROCESS = "IncrementInProcess"
COUNTDOWN_IN_PROCESS = "CountdownInProcess"
VIA_RUNTIME = "IncrementViaRuntime"
ACTIVITY_TIMEOUT = timedelta(seconds=60)


@activity.defn(name=IN_PROCESS)
async def increment_in_process(event: dict[str, Any]) -> dict[str, Any]:
    """The handler called in the worker process, with the same JSON round trip FC does."""
    return bench_functions.increment(json.dumps(event).encode(), None)


@activity.defn(name=COUNTDOWN_IN_PROCESS)
async def countdown_in_process(event: dict[str, Any]) -> dict[str, Any]:
    return bench_functions.countdown(json.dumps(event).encode(), None)


class RuntimeActivities:
    """The handler called through fnf-temporal's function runtime (its own warm instance)."""

    def __init__(self, runtime: FunctionRuntime, arn: str) -> None:
        self.runtime = runtime
        self.resource: Resource = parse_resource_arn(arn)

    @activity.defn(name=VIA_RUNTIME)
    async def increment_via_runtime(self, event: dict[str, Any]) -> dict[str, Any]:
        info = activity.info()
        invocation = Invocation(
            request_id=f"{info.workflow_run_id}-{info.activity_id}-{info.attempt}",
            attempt=info.attempt,
        )
        output: dict[str, Any] = await self.runtime.invoke(
            self.resource, json.dumps(event).encode(), invocation
        )
        return output


@workflow.defn
class InlineSteps:
    """The "inline steps" flow's data manipulation (pass steps copying a field, choice steps
    testing it) in workflow code."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        flow_input: dict[str, Any] = args["input"]
        local: dict[str, Any] = {}
        for index in range(args["pairs"]):
            value = {**flow_input, **local}
            local = {**local, f"s{index}": value["n"], "n": value["n"]}
            if not local["n"] >= 0:
                raise ValueError("n must not be negative")
        return local


@workflow.defn
class SequentialTasks:
    """`steps` activities one after the other, each on the previous one's output; local
    activities (`execute_local_activity`) when `local` is set, else on `activity_queue` when
    given (workflows and activities in separate worker processes)."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        local: dict[str, Any] = dict(args["input"])
        for _ in range(args["steps"]):
            if args.get("local"):
                output = await workflow.execute_local_activity(
                    args["activity"], local, start_to_close_timeout=ACTIVITY_TIMEOUT
                )
            else:
                output = await workflow.execute_activity(
                    args["activity"],
                    local,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    task_queue=args.get("activity_queue"),
                )
            local = {**local, **output}
        return local


@workflow.defn
class FanOut:
    """One activity per item, all at once, results in item order."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        calls = [
            workflow.execute_activity(
                args["activity"], {"n": item}, start_to_close_timeout=ACTIVITY_TIMEOUT
            )
            for item in args["input"]["items"]
        ]
        return {"results": list(await asyncio.gather(*calls))}


@workflow.defn
class CountdownLoop:
    """The polling loop: count `left` down one activity at a time, handing over to a new run
    at the history length (or Temporal's suggestion) FnFFlow hands over at."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        left: int = args["left"]
        progressed = False
        while left > 0:
            info = workflow.info()
            long = info.is_continue_as_new_suggested() or (
                info.get_current_history_length() >= args["continue_as_new_at"]
            )
            if progressed and long:
                workflow.continue_as_new({**args, "left": left})
            output = await workflow.execute_activity(
                COUNTDOWN_IN_PROCESS, {"left": left}, start_to_close_timeout=ACTIVITY_TIMEOUT
            )
            left = output["left"]
            progressed = True
        return {"left": left}


WORKFLOWS = [InlineSteps, SequentialTasks, FanOut, CountdownLoop]


@workflow.defn
class ChainedPasses:
    """bench/inline_steps.py's chain: an init step copying the blob into the local, then
    `steps` pass steps, each mapping `n` from its input (flow input + local) and naming itself."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        flow_input: dict[str, Any] = args["input"]
        local: dict[str, Any] = {"blob": flow_input["blob"], "n": flow_input["n"]}
        for index in range(args["steps"]):
            value = {**flow_input, **local}
            local = {**local, "n": value["n"], "last": f"p{index}"}
        return local


@workflow.defn
class CountingLoop:
    """bench/inline_steps.py's choice loop: decimal digits d0.. counted up to `iterations`,
    each iteration a test of every digit then one increment (with its carries)."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        flow_input: dict[str, Any] = args["input"]
        target: list[int] = args["target"]
        local: dict[str, Any] = {"blob": flow_input["blob"]}
        local.update({f"d{i}": 0 for i in range(len(target))})
        while True:
            value = {**flow_input, **local}
            if all(value[f"d{i}"] == digit for i, digit in enumerate(target)):
                return local
            digit = 0
            while value[f"d{digit}"] == 9:
                local = {**local, f"d{digit}": 0}
                digit += 1
            local = {**local, f"d{digit}": value[f"d{digit}"] + 1}


WORKFLOWS += [ChainedPasses, CountingLoop]


class FanOutBatch:
    """One batch of a batched fan-out: its items' activities, `concurrency` at a time."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = asyncio.Semaphore(args["concurrency"])

        async def call(item: Any) -> Any:
            async with limit:
                return await workflow.execute_activity(
                    args["activity"], {"n": item}, start_to_close_timeout=ACTIVITY_TIMEOUT
                )

        return {"results": list(await asyncio.gather(*(call(item) for item in args["items"])))}


@workflow.defn
class BatchedFanOut:
    """A fan-out too big for one history, as a Temporal user writes it: the items in batches
    of child workflows, `slots` batches at a time, the concurrency shared between them."""

    @workflow.run
    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        items: list[Any] = args["items"]
        size: int = args["batch_size"]
        batches = [items[first : first + size] for first in range(0, len(items), size)]
        slots = max(1, min(len(batches), args["concurrency"], args["slots"]))
        shares = [
            args["concurrency"] // slots + (1 if i < args["concurrency"] % slots else 0)
            for i in range(slots)
        ]
        results: list[list[Any]] = [[] for _ in batches]
        pending = iter(range(len(batches)))

        async def slot(share: int) -> None:
            for k in pending:
                output = await workflow.execute_child_workflow(
                    FanOutBatch.run,
                    {"items": batches[k], "concurrency": share, "activity": args["activity"]},
                    id=f"{workflow.info().workflow_id}/batch-{k}",
                )
                results[k] = output["results"]

        await asyncio.gather(*(slot(share) for share in shares))
        return {"n": [result["n"] for batch in results for result in batch]}
