"""Start a child run (a foreach batch, the rest of a nested sequence, a sub-flow) so that a
stop reaches it with its Error and Cause, however early it lands.

A run's cancellation reaches its work as an `asyncio.CancelledError` without a message, and
while `workflow.start_child_workflow` waits for the child's start to resolve, Temporal's SDK
answers one by cancelling the child at once with that empty message as the reason, then
raises: the parent stops without waiting, and the child ends terminated by the parent close
policy, or Stopped with Error "" (what a bare `temporal workflow cancel` gives). So the start
is shielded: a cancellation that lands meanwhile waits for the start to resolve, then cancels
the child with the reason of the cancelling scope (cancellation.Reason.encode, which the child
records as the stop's Error and Cause), and waits until the child has ended, as the parent
does for a child that was running already (worker/interpreter/parts.py).

Waiting changes the parent's commands when a stop lands during a start, so executions started
before STOP_REASON_PATCH start their children as they always did."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from worker.interpreter import versions
from worker.interpreter.cancellation import CancelScope

STOP_REASON_PATCH = "fnf-child-start-stopped-with-reason"

Handle = workflow.ChildWorkflowHandle[Any, Any]


async def start_child(start: Callable[[], Awaitable[Handle]], scope: CancelScope) -> Handle:
    """The started child's handle; CancelledError once a child cancelled while it was being
    started has ended (or never started)."""
    if not versions.patched(STOP_REASON_PATCH):
        return await start()
    starting = asyncio.ensure_future(start())
    try:
        return await asyncio.shield(starting)
    except asyncio.CancelledError:
        try:
            handle = await starting
        except Exception:  # the start failed (the id is taken): there is nothing to stop
            raise asyncio.CancelledError() from None
        await stop_child(handle, scope)
        raise


async def stop_child(handle: Handle, scope: CancelScope) -> None:
    """Cancel the child with the scope's reason and wait until it has ended."""
    handle.cancel(scope.why().encode())
    with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
        await handle


def stops_with_reason() -> bool:
    """Whether this run's children are cancelled with the reason (STOP_REASON_PATCH); asked
    where the answer was already recorded by `start_child`."""
    return versions.patched(STOP_REASON_PATCH)
