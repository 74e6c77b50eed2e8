"""FnFMnsPush: one workflow per HTTP push of a topic message to a subscription.

A push must outlive the API process that took the PublishMessage, as MNS's does, so it is a
workflow (id `fnf-mns-push:<message id>:<subscription>`) running one activity that POSTs the
notification; Temporal retries the activity by the subscription's NotifyStrategy, after an
API restart too. MNS's own pauses (BACKOFF_RETRY: 3 retries 10-20 s apart;
EXPONENTIAL_DECAY_RETRY: 176 retries over a day) are shortened here to seconds; see
`RETRIES`.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

PUSH_WORKFLOW = "FnFMnsPush"
PUSH_ACTIVITY = "FnFMnsPushNotification"
PUSH_ID_PREFIX = "fnf-mns-push:"
PUSH_TIMEOUT = timedelta(seconds=10)

RETRIES = {
    "BACKOFF_RETRY": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_attempts=4,
    ),
    "EXPONENTIAL_DECAY_RETRY": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=10),
        maximum_attempts=40,
    ),
}


@dataclass
class PushRequest:
    endpoint: str
    content: str
    headers: dict[str, str] = field(default_factory=dict)
    notify_strategy: str = "BACKOFF_RETRY"
    api_base_url: str = ""
    """Where the API that took the PublishMessage serves its push certificate: the push is
    signed with the deployment's key and names that certificate (`api.mns.signing`)."""


def push_workflow_id(message_id: str, topic: str, subscription: str) -> str:
    return f"{PUSH_ID_PREFIX}{topic}:{subscription}:{message_id}"


@workflow.defn(name=PUSH_WORKFLOW)
class FnFMnsPush:
    @workflow.run
    async def run(self, request: PushRequest) -> bool:
        """True once the endpoint took it; False when every retry failed (MNS drops it)."""
        retry = RETRIES.get(request.notify_strategy, RETRIES["BACKOFF_RETRY"])
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
