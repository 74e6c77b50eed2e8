"""A large foreach runs its items in batches of child runs (worker/interpreter/parts.py).

Above `FNF_FOREACH_BATCH_THRESHOLD` items (pinned per execution), the items are cut into
batches of `FNF_FOREACH_BATCH_SIZE`, in order, and each batch runs as one child run. The
step's `maxConcurrency` holds across the whole fan-out: it is shared out between at most
`SLOTS` slots (their shares add up to it), each slot runs one batch at a time with its share
as the batch's concurrency, and takes the next batch when its batch ends. Results keep the
items' order. A failed batch (its failed item has already cancelled its siblings in the
batch) cancels the other batches and starts no more; the step fails with the item's error and
cause, which the step's catch sees as it would inline. A stop cancels every running batch.

Whatever can be known before the work fails at once: with an event data limit, a `$local`
of n items takes at least 3n + 1 bytes (`[{},{},...]`), so a foreach whose items can never fit
fails before any batch starts; and the collected locals are measured as each batch ends, so an
over-limit `$local` fails the step as soon as the batches so far exceed the limit, not after
the last one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from translator.graph import StepNode
from worker.execution import Part
from worker.interpreter import versions
from worker.interpreter.budget import LIMIT_SETTING
from worker.interpreter.data import data_size
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.parts import BATCHES_PATCH, ITERATIONS, has_callbacks, projected_input
from worker.interpreter.redrive import Members, mark_step
from worker.interpreter.steps.base import StepRun

SLOTS = 4
"""Batches that run at once (fewer when maxConcurrency is smaller): enough that one batch's
start and its last items overlap with the others' work."""


def in_batches(node: StepNode, items: list[Any], run: StepRun) -> bool:
    parts = run.interpreter.parts
    if parts is None:
        return False
    threshold = parts.template.foreach_batch_threshold
    return (
        0 < threshold < len(items)
        and not has_callbacks(node["steps"])
        and versions.patched(BATCHES_PATCH)
    )


def shares(concurrency: int, batches: int) -> list[int]:
    """maxConcurrency shared out between the slots: the shares add up to it."""
    slots = max(1, min(batches, concurrency, SLOTS))
    return [concurrency // slots + (1 if i < concurrency % slots else 0) for i in range(slots)]


async def run_batches(
    node: StepNode, value: dict[str, Any], items: list[Any], run: StepRun
) -> list[dict[str, Any]]:
    from worker.interpreter.steps.fanout import run_all  # fanout imports this module

    interpreter = run.interpreter
    parts = interpreter.parts
    assert parts is not None
    name = node["name"]
    collected = CollectedSize(name, len(items), interpreter.log.data_limit)
    size = parts.template.foreach_batch_size
    batches = [(first, items[first : first + size]) for first in range(0, len(items), size)]
    results: list[list[dict[str, Any]]] = [[] for _ in batches]
    inner = interpreter.within(interpreter.scope.nested())
    container = projected_input(node["steps"], value)
    pending = iter(range(len(batches)))

    members = Members.resuming(run.redrive)

    async def slot(share: int) -> None:
        for k in pending:
            if inner.scope.reason is not None:  # another batch failed: start no more
                return
            first, chunk = batches[k]
            kept = [members.completed(first + j) for j in range(len(chunk))]
            if all(local is not None for local in kept):  # redriven: this batch completed
                results[k] = [local or {} for local in kept]
                collected.add(results[k])
                continue
            part = Part(ITERATIONS, node["id"], container, items=chunk, first_index=first)
            part.concurrency = share
            detail = {"firstIndex": first, "count": len(chunk)}
            try:
                output = await parts.run(inner, part, name, run.entered_id, detail)
                results[k] = list(output["locals"])
                members.done.update({str(first + j): v for j, v in enumerate(results[k])})
                collected.add(results[k])
            except StepFailure as failure:
                member = f"batch {k} (iterations {first}-{first + len(chunk) - 1})"
                inner.scope.abandon(member, name, failure.error)
                raise

    slots = [slot(share) for share in shares(node["maxConcurrency"], len(batches))]
    try:
        await run_all(slots, inner.scope, settle=True)
    except (StepFailure, asyncio.CancelledError) as error:
        mark_step(error, members.point())  # a redrive runs the batches that did not complete
        raise
    return [local for batch in results for local in batch]


class CollectedSize:
    """The step's `$local` (its iterations' locals as one array) measured as batches end, so
    that a `$local` over the event data limit fails the step at once. A local is a JSON
    object, at least `{}`: n items take at least 3n + 1 bytes, checked before any batch."""

    def __init__(self, step: str, count: int, limit: int) -> None:
        self.step, self.count, self.limit = step, count, limit
        self.items = 0
        self.bytes = 0
        if limit > 0 and 3 * count + 1 > limit:
            raise self._over(3 * count + 1, f"at least (each of its {count} items adds 3)")

    def add(self, locals_: list[dict[str, Any]]) -> None:
        if self.limit <= 0 or not locals_:
            return
        self.items += len(locals_)
        self.bytes += data_size(locals_) - 2 - (len(locals_) - 1)
        # `[` `]` and the commas between every item, including the items still to come.
        least = 2 + self.bytes + (self.count - 1) + 2 * (self.count - self.items)
        if least > self.limit:
            raise self._over(least, f"at least, after {self.items} of {self.count} items")

    def _over(self, size: int, how: str) -> StepFailure:
        return StepFailure(
            RUNTIME_ERROR,
            f"step {self.step}: the step's $local is {size} bytes of JSON {how}, over the "
            f"{self.limit}-byte limit of one event's data ({LIMIT_SETTING})",
        )
