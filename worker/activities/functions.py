"""Task steps on FC functions and `action:` APIs: calls through the function runtime."""

from __future__ import annotations

import json
from typing import Any

from temporalio import activity

from translator.resources import Resource
from worker.activities.attempts import (
    TaskError,
    attempt_request_id,
    run_attempt,
    run_local_attempt,
)
from worker.activities.requests import (
    GET_FUNCTION,
    INVOKE_ACTION,
    INVOKE_FUNCTION,
    INVOKE_FUNCTION_LOCAL,
    FunctionMode,
    LocalAttempt,
    TaskRequest,
    compact,
)
from worker.functions import FunctionError, FunctionRuntime, Invocation
from worker.interpreter.failures import INVALID_LOCAL


class FunctionActivities:
    """One instance per worker process: it owns the warm function instances."""

    def __init__(self, runtime: FunctionRuntime) -> None:
        self.runtime = runtime

    @activity.defn(name=INVOKE_FUNCTION)
    async def invoke_function(self, request: TaskRequest) -> dict[str, Any]:
        """FC InvokeFunction: the event is the step's mapped input (DESIGN 11)."""
        return await run_attempt(
            request, lambda number: self._call(request, request.payload, number)
        )

    @activity.defn(name=INVOKE_FUNCTION_LOCAL)
    async def invoke_function_local(self, attempt: LocalAttempt) -> dict[str, Any]:
        """InvokeFunction as a local activity: one FDL attempt (registry `localActivity`).
        Returns the LocalAttemptResult, compact."""
        request = attempt.task
        result = await run_local_attempt(
            attempt, lambda number: self._call(request, request.payload, number)
        )
        shown: dict[str, Any] = compact(result)
        return shown

    @activity.defn(name=GET_FUNCTION)
    async def get_function(self, resource: dict[str, Any]) -> FunctionMode:
        """How this worker's registry calls `resource` (a local activity, so that the answer
        is recorded in the execution's history and replays the same)."""
        registry = self.runtime.registry
        bound = registry.local_activity_bound(resource)  # type: ignore[arg-type]
        if bound is None:
            return FunctionMode(task_queue=registry.task_queue_of(resource))  # type: ignore[arg-type]
        return FunctionMode(local_activity=True, timeout=bound)

    @activity.defn(name=INVOKE_ACTION)
    async def invoke_action(self, request: TaskRequest) -> dict[str, Any]:
        """An `action:` API: its request parameters are the serviceParams, else the input."""
        parameters = request.payload if request.params is None else request.params
        return await run_attempt(request, lambda number: self._call(request, parameters, number))

    async def _call(self, request: TaskRequest, event: Any, attempt: int) -> dict[str, Any]:
        """Call FDL attempt `attempt`. Its request id is the function's idempotency key: a
        crash can make Temporal start the attempt again (at least once, as FC's own
        delivery), and the function then sees the same `context.request_id`."""
        invocation = Invocation(
            request_id=attempt_request_id(attempt),
            flow=request.flow,
            execution=request.execution,
            step=request.step,
            attempt=attempt,
            timeout=request.timeout_seconds,
        )
        resource: Resource = request.resource  # type: ignore[assignment]
        body = json.dumps(event, ensure_ascii=False).encode()
        try:
            output = await self.runtime.invoke(resource, body, invocation)
        except FunctionError as failure:
            raise TaskError(failure.name, failure.cause) from None
        if not isinstance(output, dict):
            raise TaskError(INVALID_LOCAL, f"the result is not a JSON object: {_preview(output)}")
        return output  # checked as a JSON value by run_attempt, as every task's result


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
