"""The facts about one call that are not in the step's input."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def _new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who is calling and for how long they will wait.

    `request_id` becomes the handler's `context.request_id` and the `x-fc-request-id` header, so
    use something that identifies the attempt (an activity id plus attempt number, for example)
    to make function logs traceable to history events.

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
