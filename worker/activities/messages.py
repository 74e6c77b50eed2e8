"""Task steps on MNS queues and topics: SendMessage and PublishMessage over MNS's REST API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from temporalio import activity

from worker.activities.attempts import TaskError, run_attempt
from worker.activities.requests import PUBLISH_MESSAGE, SEND_MESSAGE, TaskRequest
from worker.connectors.mns import MnsClient, MnsError
from worker.interpreter.failures import RUNTIME_ERROR, TASK_TIMEOUT


class MessageActivities:
    """`$local` of a send or publish is `{MessageId, MessageBodyMD5, RequestId}` (FDL 11.12)."""

    def __init__(self, client: MnsClient | None) -> None:
        self.client = client

    @activity.defn(name=SEND_MESSAGE)
    async def send_message(self, request: TaskRequest) -> dict[str, Any]:
        async def send() -> dict[str, str]:
            params = request.params or {}
            return await self._mns().send_message(
                request.resource["queue"],
                message_body(request),
                priority=_optional_int(params, "Priority"),
                delay_seconds=_optional_int(params, "DelaySeconds"),
            )

        return await run_attempt(request, lambda _: _bounded(request, send()))

    @activity.defn(name=PUBLISH_MESSAGE)
    async def publish_message(self, request: TaskRequest) -> dict[str, Any]:
        async def publish() -> dict[str, str]:
            params = request.params or {}
            tag = params.get("MessageTag")
            return await self._mns().publish_message(
                request.resource["topic"],
                message_body(request),
                tag=None if tag is None else str(tag),
                attributes=params.get("MessageAttributes"),
            )

        return await run_attempt(request, lambda _: _bounded(request, publish()))

    def _mns(self) -> MnsClient:
        if self.client is None:
            raise TaskError(RUNTIME_ERROR, "this worker has no MNS endpoint (set FNF_MNS_ENDPOINT)")
        return self.client


def message_body(request: TaskRequest) -> str:
    """serviceParams.MessageBody (`$` is the whole mapped input), else the mapped input; JSON
    text for anything but a string, never base64, as Serverless Workflow sends it."""
    params = request.params or {}
    body = params.get("MessageBody", request.payload)
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _optional_int(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TaskError("MNS.InvalidArgument", f"serviceParams.{key} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise TaskError("MNS.InvalidArgument", f"serviceParams.{key} must be an integer") from None


async def _bounded(request: TaskRequest, call: Any) -> dict[str, str]:
    """The MNS call under the step's timeoutSeconds, failing as FnF.TaskTimeout."""
    try:
        return await asyncio.wait_for(_translated(call), request.timeout_seconds)
    except TimeoutError:
        raise TaskError(
            TASK_TIMEOUT, f"the task did not finish within {request.timeout_seconds:g} s"
        ) from None


async def _translated(call: Any) -> dict[str, str]:
    try:
        result: dict[str, str] = await call
    except MnsError as failure:
        raise TaskError(failure.name, failure.cause) from None
    return result
