"""The one mapping of temporary failures met while answering an action: the action is
refused as Alibaba Cloud refuses a request it cannot serve now (503 ServiceUnavailable, its
common "Server errors" table), with a message that says to retry, instead of 500 and a
logged traceback. Used by the API's actions, the console's calls and the MNS facade alike
(MNS lists the same 503 ServiceUnavailable among its server errors).

Temporary means the request may succeed unchanged later: Temporal cannot be reached
(UNAVAILABLE), did not answer in time (DEADLINE_EXCEEDED, a client-side RPC timeout), or no
worker answered a Query or an Update in time (the server cancels such a Query when its
`rpc_timeout` passes: CANCELLED "Timeout expired"; an Update raises
`RPCTimeoutOrCancelledError`). Everything else is a bug: 500 with its traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Final, TypeVar

from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.protocol.errors import FnFError, service_unavailable
from worker.history import HistoryUnavailable, history_query_timeout

TEMPORARY_STATUSES: Final = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED}
)
"""gRPC statuses of a Temporal call that mean "not now", never "no": the server is down or
restarting, or the call (a Query waiting for a worker) ran out of time."""


T = TypeVar("T")


class NoAnswerInTime(Exception):
    """A Query or Update that a worker did not answer within `worker_answer_timeout()`: no
    worker polls the workflow's task queue, or it is too busy. Temporal keeps waiting for a
    worker far longer than an HTTP client does (an Update without a timeout waits forever)."""


def worker_answer_timeout() -> timedelta:
    """How long a Query or Update may wait for a worker before the request is answered as a
    temporary failure: FNF_HISTORY_QUERY_SECONDS, the limit the `history` query has, so that
    every route that needs a worker's answer gives up alike instead of hanging."""
    return history_query_timeout()


async def answered_in_time(call: Awaitable[T], what: str) -> T:
    """`call` (a Query or Update of a workflow), or NoAnswerInTime naming `what` once
    `worker_answer_timeout()` has passed."""
    seconds = worker_answer_timeout().total_seconds()
    try:
        return await asyncio.wait_for(call, seconds)
    except TimeoutError:
        raise NoAnswerInTime(f"{what} got no answer from a worker within {seconds:g} s") from None


def temporary_reason(error: BaseException) -> str | None:
    """A one-line reason when `error` is a temporary failure of Temporal, else None."""
    if isinstance(error, HistoryUnavailable):
        return str(error)
    if isinstance(error, NoAnswerInTime):
        return f"{error}; retry later"
    if isinstance(error, RPCTimeoutOrCancelledError):
        return "no worker answered in time; retry later"
    if isinstance(error, TimeoutError):
        return "Temporal did not answer in time; retry later"
    if isinstance(error, RPCError) and error.status in TEMPORARY_STATUSES:
        first = (error.message.strip().splitlines() or [error.status.name])[0][:200]
        if error.status is RPCStatusCode.UNAVAILABLE:
            return f"Temporal is unreachable ({first}); retry later"
        return f"Temporal or its worker did not answer in time ({first}); retry later"
    return None


def temporary_failure(error: BaseException) -> FnFError | None:
    """The FnF error for a temporary failure, else None (a bug: 500 with its traceback)."""
    reason = temporary_reason(error)
    return service_unavailable(reason) if reason is not None else None
