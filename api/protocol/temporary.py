"""The one mapping of temporary failures met while answering an action: the action is
refused as Alibaba Cloud refuses a request it cannot serve now (503 ServiceUnavailable, its
common "Server errors" table), with a message that says to retry, instead of 500 and a
logged traceback. Used by the API's actions and the console's calls alike."""

from __future__ import annotations

from api.protocol.errors import FnFError, service_unavailable
from worker.history import HistoryUnavailable


def temporary_failure(error: BaseException) -> FnFError | None:
    """The FnF error for a temporary failure, else None (a bug: 500 with its traceback)."""
    if isinstance(error, HistoryUnavailable):
        return service_unavailable(str(error))
    return None
