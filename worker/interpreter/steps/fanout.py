"""parallel and foreach: concurrent nested sequences whose locals form the step's `$local`.

A member (branch or iteration) that fails fails the step (FDL spec 2.7, 2.8): the members
still running are cancelled, no new iteration starts, and the step waits until every cancelled
member has recorded its end before it fails, so its StepFailed follows them in the history
(worker/interpreter/cancellation.py says what they record).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from translator.expressions import evaluate_path
from translator.graph import StepNode
from translator.json_values import json_text
from worker.interpreter import versions
from worker.interpreter.budget import check_member_locals
from worker.interpreter.cancellation import CancelScope
from worker.interpreter.data import merge
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import member_path, step_label
from worker.interpreter.redrive import Members, mark_step, take_frame
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun
from worker.interpreter.steps.foreach_batches import in_batches, run_batches

if TYPE_CHECKING:
    from worker.interpreter.sequence import Interpreter

T = TypeVar("T")

CANCELS_ONCE_PATCH = "fanout-cancels-each-member-once"
"""Runs since this patch cancel a fan-out's member once; earlier ones cancelled it again when
its run_all saw the stop (see _not_yet_cancelled)."""


async def run_all(work: Sequence[Awaitable[T]], scope: CancelScope, settle: bool = True) -> list[T]:
    """All results in order. On the first failure the others are cancelled and, when `settle`
    (every execution started since cancellation.PATCH), awaited before the failure goes up."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        return list(await asyncio.gather(*tasks))
    except (Exception, asyncio.CancelledError):  # never GeneratorExit: see cancellation.py
        reason = None if scope.reason is None else scope.reason.cause
        for task in _not_yet_cancelled(tasks):
            task.cancel(reason)
        if settle:
            # Returns (or, when a stop lands meanwhile, raises CancelledError, which wins over
            # the failure) only once every member has ended.
            await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _not_yet_cancelled(tasks: Sequence[asyncio.Future[T]]) -> list[asyncio.Future[T]]:
    """The members a failure or a stop still has to cancel. Under a stop every member was
    cancelled already (the stop reached each through `gather`), and one still waiting for its
    child run to end would pass a second cancellation into the child's handle: the SDK then
    sends the child a second cancel request without the stop's reason, and the run's closing
    workflow task often fails on the event it brings (UnhandledCommand)."""
    running = [task for task in tasks if not task.done()]
    fresh = [task for task in running if not (isinstance(task, asyncio.Task) and task.cancelling())]
    if len(fresh) < len(running) and versions.patched(CANCELS_ONCE_PATCH):
        return fresh
    return running


async def _member(
    run: StepRun,
    inner: Interpreter,
    kind: str,
    index: int,
    body: Callable[[Interpreter], Awaitable[dict[str, Any]]],
    members: Members | None = None,
) -> dict[str, Any]:
    """One branch or iteration between its Entered and Exited events; a failure or a
    cancellation still records the Exited event, with the error and cause. Its sequence runs
    with its own path (`Both#1`), which the summaries of what it schedules name. `members`
    keeps how it ended, for a redrive (worker/interpreter/redrive.py)."""
    member = f"{kind.lower()} {index}"
    run.record(f"{kind}Entered", {"index": index})
    try:
        local = await body(inner.member(member_path(inner.path, run.node["name"], index)))
    except StepFailure as failure:
        _keep_frame(members, index, failure)
        if inner.cancels_cleanly:
            inner.scope.abandon(member, run.node["name"], failure.error)
        run.record(
            f"{kind}Exited", {"index": index, "error": failure.error, "cause": failure.cause}
        )
        raise
    except asyncio.CancelledError as cancelled:
        _keep_frame(members, index, cancelled)
        run.record(f"{kind}Exited", {"index": index, **inner.scope.why().detail()})
        raise
    run.record(f"{kind}Exited", {"index": index})
    if members is not None:
        members.done[str(index)] = local
    return local


def _keep_frame(members: Members | None, index: int, error: BaseException) -> None:
    frame = take_frame(error)
    if members is not None and frame is not None:
        members.frames[str(index)] = frame


async def _redrivable(members: Members, work: Awaitable[list[T]]) -> list[T]:
    """The members' work; a failure or a stop leaving it carries how each member ended."""
    try:
        return await work
    except (StepFailure, asyncio.CancelledError) as error:
        mark_step(error, members.point())
        raise


class _Progress:
    """`foreach Each: 3 of 10 iterations done` in the run's current details."""

    def __init__(self, run: StepRun, kind: str, total: int) -> None:
        self.interpreter = run.interpreter
        self.label = f"{run.node['type']} {step_label(run.node['name'], run.interpreter.path)}"
        self.kind, self.total, self.done = kind, total, 0
        self.key = self.interpreter.details.begin(self._text())

    def _text(self) -> str:
        return f"{self.label}: {self.done} of {self.total} {self.kind} done"

    def one_done(self) -> None:
        self.done += 1
        self.interpreter.details.update(self.key, self._text())

    def close(self) -> None:
        self.interpreter.details.end(self.key)


class ParallelStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        inner = run.interpreter.within(run.interpreter.scope.nested())
        members = Members.resuming(run.redrive)

        progress = _Progress(run, "branches", len(node["branches"]))

        async def branch(index: int, steps: list[StepNode]) -> dict[str, Any]:
            kept = members.completed(index)
            if kept is None:
                start = members.frame(index)
                kept = await _member(
                    run,
                    inner,
                    "Branch",
                    index,
                    lambda member: member.run_sequence(steps, value, start),
                    members,
                )
            progress.one_done()
            return kept

        work = [branch(i, s) for i, s in enumerate(node["branches"])]
        try:
            locals_ = await _redrivable(members, run_all(work, inner.scope, inner.cancels_cleanly))
        finally:
            progress.close()
        return _outcome(run, locals_)


class ForeachStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        items = foreach_items(node, value)
        if in_batches(node, items, run):
            return _outcome(run, await run_batches(node, value, items, run))
        inner = run.interpreter.within(run.interpreter.scope.nested())
        members = Members.resuming(run.redrive)
        work = run_iterations(run, inner, value, items, 0, node["maxConcurrency"], members=members)
        locals_ = await _redrivable(members, work)
        return _outcome(run, [local or {} for local in locals_])


def foreach_items(node: StepNode, value: dict[str, Any]) -> list[Any]:
    items = evaluate_path(node["collection"], value)
    if not isinstance(items, list):
        text = node["collection"]["text"]
        raise StepFailure(
            RUNTIME_ERROR, f"foreach collection {text} is not an array: {json_text(items)}"
        )
    return items


async def run_iterations(
    run: StepRun,
    inner: Interpreter,
    value: dict[str, Any],
    items: list[Any],
    first_index: int,
    concurrency: int,
    stop_starting: Callable[[], bool] | None = None,
    members: Members | None = None,
) -> list[dict[str, Any] | None]:
    """The iterations of `items` (numbered from `first_index`), `concurrency` at a time, their
    locals in order. When `stop_starting` says so, iterations not yet started stay unstarted
    (None): they start in order, so they are the tail of the list. `members` keeps how each
    ended; redriven, those that completed keep their locals and run no more."""
    node = run.node
    limit = asyncio.Semaphore(concurrency)
    progress = _Progress(run, "iterations", len(items))

    async def iteration(index: int, item: Any) -> dict[str, Any] | None:
        kept = None if members is None else members.completed(index)
        if kept is not None:
            return kept
        start = None if members is None else members.frame(index)
        extra = {node["item"]: item}
        if node.get("index"):
            extra[str(node["index"])] = index
        async with limit:
            if inner.scope.reason is not None:  # a sibling failed: start no more
                raise asyncio.CancelledError()
            if stop_starting is not None and stop_starting():
                return None
            local = await _member(
                run,
                inner,
                "Iteration",
                index,
                lambda member: member.run_sequence(node["steps"], merge(value, extra), start),
                members,
            )
            progress.one_done()
            return local

    work = [iteration(first_index + i, item) for i, item in enumerate(items)]
    try:
        return await run_all(work, inner.scope, inner.cancels_cleanly)
    finally:
        progress.close()


def _outcome(run: StepRun, locals_: list[dict[str, Any]]) -> StepOutcome:
    """The members' locals as the step's `$local`, within the quota before StepSucceeded."""
    check_member_locals(run.node["name"], locals_, run.interpreter.log.data_limit)
    return StepOutcome(local=locals_)
