"""parallel and foreach: concurrent nested sequences whose locals form the step's `$local`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from translator.expressions import evaluate_path
from translator.graph import StepNode
from worker.interpreter.data import merge
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


async def run_all(work: list[Awaitable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """All results in order; on the first failure the others are cancelled (FDL abandons them)."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


class ParallelStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        async def branch(index: int, steps: list[StepNode]) -> dict[str, Any]:
            run.record("BranchEntered", {"index": index})
            local = await run.interpreter.run_sequence(steps, value)
            run.record("BranchExited", {"index": index})
            return local

        locals_ = await run_all([branch(i, s) for i, s in enumerate(node["branches"])])
        return StepOutcome(local=locals_)


class ForeachStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        items = evaluate_path(node["collection"], value)
        if not isinstance(items, list):
            text = node["collection"]["text"]
            raise StepFailure(
                RUNTIME_ERROR, f"foreach collection {text} is not an array: {items!r}"
            )
        limit = asyncio.Semaphore(node["maxConcurrency"])

        async def iteration(index: int, item: Any) -> dict[str, Any]:
            async with limit:
                run.record("IterationEntered", {"index": index})
                extra = {node["item"]: item}
                if node.get("index"):
                    extra[str(node["index"])] = index
                local = await run.interpreter.run_sequence(node["steps"], merge(value, extra))
                run.record("IterationExited", {"index": index})
                return local

        locals_ = await run_all([iteration(i, item) for i, item in enumerate(items)])
        return StepOutcome(local=locals_)
