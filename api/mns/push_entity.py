"""FnFMnsPush: one workflow per HTTP push of a topic message to a subscription.

A push must outlive the API process that took the PublishMessage, as MNS's does, so it is a
workflow (id `fnf-mns-push:<topic>:<subscription>:<message id>`) running one activity that
POSTs the notification; Temporal retries the activity by the subscription's NotifyStrategy,
after an API restart too. The strategies are MNS's own (MNS docs, "NotifyStrategy"):

    BACKOFF_RETRY            3 retries, each after a random pause of 10 to 20 seconds
    EXPONENTIAL_DECAY_RETRY  176 retries over about a day: after 1, 2, 4 ... 256 seconds,
                             then every 512 seconds (167 times)

Temporal's retry policy has no random pause, so for BACKOFF_RETRY the activity names each
pause itself (`next_retry_delay`, `backoff_pause`). Every pause is multiplied by the push's
`retry_scale` (FNF_MNS_PUSH_RETRY_SCALE, 1 unless set), pinned in the push's input.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
import random
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

PUSH_WORKFLOW = "FnFMnsPush"
PUSH_ACTIVITY = "FnFMnsPushNotification"
PUSH_ID_PREFIX = "fnf-mns-push:"
PUSH_TIMEOUT = timedelta(seconds=10)

BACKOFF_RETRY = "BACKOFF_RETRY"
EXPONENTIAL_DECAY_RETRY = "EXPONENTIAL_DECAY_RETRY"
BACKOFF_RETRIES = 3
BACKOFF_PAUSE_SECONDS = (10.0, 20.0)
DECAY_RETRIES = 176
DECAY_FIRST_PAUSE = timedelta(seconds=1)
DECAY_LONGEST_PAUSE = timedelta(seconds=512)


def retry_policy(notify_strategy: str, scale: float = 1.0) -> RetryPolicy:
    """The Temporal retry policy of a push by `notify_strategy` (BACKOFF_RETRY for any other)."""
    if notify_strategy == EXPONENTIAL_DECAY_RETRY:
        return RetryPolicy(
            initial_interval=DECAY_FIRST_PAUSE * scale,
            backoff_coefficient=2.0,
            maximum_interval=DECAY_LONGEST_PAUSE * scale,
            maximum_attempts=DECAY_RETRIES + 1,
        )
    low, high = BACKOFF_PAUSE_SECONDS
    return RetryPolicy(
        initial_interval=timedelta(seconds=(low + high) / 2 * scale),  # backoff_pause wins
        backoff_coefficient=1.0,
        maximum_attempts=BACKOFF_RETRIES + 1,
    )


def backoff_pause(scale: float = 1.0) -> timedelta:
    """BACKOFF_RETRY's pause before the next attempt: uniform in 10..20 s (times `scale`).
    Called by the activity, never by workflow code (it is random)."""
    low, high = BACKOFF_PAUSE_SECONDS
    return timedelta(seconds=random.uniform(low, high) * scale)


@dataclass
class PushRequest:
    endpoint: str
    content: str
    headers: dict[str, str] = field(default_factory=dict)
    notify_strategy: str = BACKOFF_RETRY
    api_base_url: str = ""
    """Where the API that took the PublishMessage serves its push certificate: the push is
    signed with the deployment's key and names that certificate (`api.mns.signing`)."""
    retry_scale: float = 1.0
    """MNS's retry pauses are multiplied by this (FNF_MNS_PUSH_RETRY_SCALE)."""


def push_workflow_id(message_id: str, topic: str, subscription: str) -> str:
    return f"{PUSH_ID_PREFIX}{topic}:{subscription}:{message_id}"


@workflow.defn(name=PUSH_WORKFLOW)
class FnFMnsPush:
    @workflow.run
    async def run(self, request: PushRequest) -> bool:
        """True once the endpoint took it; False when every retry failed (MNS drops it)."""
        retry = retry_policy(request.notify_strategy, request.retry_scale)
        try:
            await workflow.execute_activity(
                PUSH_ACTIVITY,
                request,
                start_to_close_timeout=PUSH_TIMEOUT,
                retry_policy=retry,
            )
        except ActivityError:
            workflow.logger.warning("MNS push to %s gave up", request.endpoint)
            return False
        return True
