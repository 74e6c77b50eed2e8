"""The facts about one call that are not in the step's input."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def _new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who is calling and for how long they will wait.

    `request_id` becomes the handler's `context.request_id` and the `x-fc-request-id` header.
    Task activities use one per FDL attempt (run, activity and FDL attempt number), kept when
    a crash makes Temporal start the attempt again: delivery is at least once, and the request
    id is the function's key to de-duplicate by (worker/activities/attempts.py). `attempt` is
    that FDL attempt's number (the `x-fnf-attempt` header).

    `timeout` is the task step's `timeoutSeconds` for this attempt, if it has one. A call always
    ends at the function's own registry timeout (`FC.Unknown`, "Function timed out"); when
    `timeout` is shorter, the caller stops waiting after it with `FnF.TaskTimeout`, while the
    function itself keeps running to its own timeout, as on FnF.
    """

    request_id: str = field(default_factory=_new_request_id)
    flow: str = ""
    execution: str = ""
    step: str = ""
    attempt: int = 1
    timeout: float | None = None
