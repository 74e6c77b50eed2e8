"""The activity behind FnFMnsPush: one signed POST of a notification to an HTTP endpoint.

Each attempt is signed afresh (`api.mns.signing`): its Date must be recent when it arrives, and
a retry may come long after the publish. Any 2xx answer is a delivery (MNS's rule); anything
else, or no answer, fails the attempt and Temporal retries it by the workflow's retry policy.
"""

from __future__ import annotations

from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from api.mns.push_entity import (
    EXPONENTIAL_DECAY_RETRY,
    PUSH_ACTIVITY,
    PUSH_TIMEOUT,
    PushRequest,
    backoff_pause,
)
from api.mns.sealing import SealingError
from api.mns.signing import SigningKeys, signed_push_headers


class PushActivities:
    """Holds the deployment's signing key, so every worker of it signs with the same one."""

    def __init__(self, keys: SigningKeys) -> None:
        self._keys = keys

    @activity.defn(name=PUSH_ACTIVITY)
    async def push_notification(self, request: PushRequest) -> None:
        body = request.content.encode("utf-8")
        headers = dict(request.headers)
        if request.api_base_url:  # pushes started before signing existed go unsigned
            try:
                key = await self._keys.current()
            except SealingError as error:  # this process cannot open the key: say why
                raise _failed(request, f"cannot sign the push: {error}") from None
            headers = signed_push_headers(
                key, request.endpoint, body, headers, request.api_base_url
            )
        async with httpx.AsyncClient(timeout=PUSH_TIMEOUT.total_seconds()) as client:
            try:
                answer = await client.post(request.endpoint, content=body, headers=headers)
            except httpx.HTTPError as error:
                raise _failed(request, f"no answer from {request.endpoint}: {error!r}") from None
        if not answer.is_success:
            raise _failed(request, f"{request.endpoint} answered HTTP {answer.status_code}")


def _failed(request: PushRequest, message: str) -> ApplicationError:
    """A failed attempt; under BACKOFF_RETRY it names its random pause (`backoff_pause`),
    which Temporal's retry policy cannot draw."""
    if request.notify_strategy == EXPONENTIAL_DECAY_RETRY:
        return ApplicationError(message)
    return ApplicationError(message, next_retry_delay=backoff_pause(request.retry_scale))


def mns_activities(keys: SigningKeys) -> list[Any]:
    """Register these on the worker that runs `mns_workflows()`."""
    return [PushActivities(keys).push_notification]
