"""Which functions this run calls as Temporal local activities, as the worker's registry says.

A function's registry entry (`localActivity: true`) lives with the worker, not in the flow, so
the workflow asks: the first task step on a function in a run calls the `GetFunction` local
activity, whose answer Temporal records in the history. Replay reads it back, so a run keeps
its choice whatever the registry says later, and each run (a continued one too) asks afresh.

Executions started before this mode (patch LOCAL_ACTIVITY_PATCH) never ask and call every
function as a regular activity, as they did.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from translator.resources import Resource
from worker.activities.requests import GET_FUNCTION, FunctionMode
from worker.interpreter import versions
from worker.interpreter.legible import summary

LOCAL_ACTIVITY_PATCH = "task-local-activities"
"""Patch id: runs that ask the registry and may call functions as local activities."""

REGULAR = FunctionMode()

_LOOKUP_RETRY = RetryPolicy(maximum_attempts=3)


@dataclass
class LocalFunctions:
    """The answers of this run, by function ARN (shared by every sequence of the run)."""

    modes: dict[str, asyncio.Future[FunctionMode]] = field(default_factory=dict)

    async def mode_of(self, resource: Resource, routed: bool = False) -> FunctionMode:
        """How a task step calls `resource`; asked once per run and function. A run that
        routes tasks (`routed`, checked when it started: TASK_QUEUE_PATCH, newer than this
        mode) always asks, without checking LOCAL_ACTIVITY_PATCH here: a waitForCallback task
        asks right after minting its secret (a local activity), where a patch check does not
        replay once that local activity outlived its workflow task."""
        if resource["kind"] != "fc":
            return REGULAR
        if not routed and not versions.patched(LOCAL_ACTIVITY_PATCH):
            return REGULAR
        arn = resource["arn"]
        asked = self.modes.get(arn)
        if asked is None:
            asked = asyncio.ensure_future(_ask(resource))
            self.modes[arn] = asked
        # Shielded: a branch cancelled while it waits must not cancel a sibling's answer.
        return await asyncio.shield(asked)


async def _ask(resource: Resource) -> FunctionMode:
    try:
        mode: FunctionMode = await workflow.execute_local_activity(
            GET_FUNCTION,
            dict(resource),
            result_type=FunctionMode,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=_LOOKUP_RETRY,
            summary=summary(f"internal: how to call {resource['arn']} (function registry)"),
        )
    except ActivityError:
        workflow.logger.warning("GetFunction failed for %s: calling it as an activity", resource)
        return REGULAR
    return mode
