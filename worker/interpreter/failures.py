"""Errors are names (DESIGN 7): a failure is an FnF error name plus a cause string."""

from __future__ import annotations

TASK_TIMEOUT = "FnF.TaskTimeout"
TIMEOUT = "FnF.Timeout"
RUNTIME_ERROR = "FnF.RuntimeError"
INVALID_LOCAL = "FnF.InvalidLocal"
MATCH_ALL = "FnF.ALL"


class StepFailure(Exception):
    """A step ended in error; propagates up the sequences until a task's catch handles it."""

    def __init__(self, error: str, cause: str, retry_count: int = 0) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.retry_count = retry_count


def matches(error: str, listed: list[str]) -> bool:
    """Whether a retry or catch policy listing `listed` applies to `error`."""
    return error in listed or MATCH_ALL in listed
