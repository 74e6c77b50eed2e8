"""The activity behind FnFMnsPush: one POST of a notification to an HTTP endpoint.

Any 2xx answer is a delivery (MNS's rule); anything else, or no answer, fails the attempt and
Temporal retries it by the workflow's retry policy.
"""

from __future__ import annotations

from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from api.mns.push_entity import PUSH_ACTIVITY, PUSH_TIMEOUT, PushRequest


@activity.defn(name=PUSH_ACTIVITY)
async def push_notification(request: PushRequest) -> None:
    async with httpx.AsyncClient(timeout=PUSH_TIMEOUT.total_seconds()) as client:
        try:
            answer = await client.post(
                request.endpoint, content=request.content.encode("utf-8"), headers=request.headers
            )
        except httpx.HTTPError as error:
            raise ApplicationError(f"no answer from {request.endpoint}: {error!r}") from None
    if not answer.is_success:
        raise ApplicationError(f"{request.endpoint} answered HTTP {answer.status_code}")


def mns_activities() -> list[Any]:
    """Register these on the worker that runs `mns_workflows()`."""
    return [push_notification]
