"""Errors are names (DESIGN 7): a failure is an FnF error name plus a cause string."""

from __future__ import annotations

from temporalio.exceptions import TemporalError

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
        self.step = ""
        """The innermost step no catch handled (set as it leaves that step), for the
        execution's failure message; `path` is its branch or iteration path."""
        self.path = ""

    def located(self, step: str, path: str) -> StepFailure:
        """This failure, naming the step it failed, unless an inner step is named already."""
        if not self.step:
            self.step, self.path = step, path
        return self


def matches(error: str, listed: list[str]) -> bool:
    """Whether a retry or catch policy listing `listed` applies to `error`."""
    return error in listed or MATCH_ALL in listed


UNEXPECTED_ERROR_PATCH = "unexpected-error-fails-the-step"
"""Executions since this patch fail with FnF.RuntimeError when the interpreter itself raises
(a bug, or data it cannot handle), rather than fail their workflow task, which Temporal
retries for ever while Stop, Describe and the history stop answering."""

CAUSE_LIMIT = 1000
"""Characters of an unexpected error's message kept in the cause."""


def is_unexpected(error: BaseException) -> bool:
    """An error of our workflow code rather than of the flow or of Temporal. Temporal's own
    exceptions must propagate: `TemporalError` covers NondeterminismError (a replay that does
    not match fails the workflow task, on purpose), ReadOnlyContextError, the sandbox's
    RestrictedWorkflowAccessError and the activity/child failures (FailureError); its
    continue-as-new, eviction and cancellation exceptions are BaseException, never caught as
    Exception."""
    return isinstance(error, Exception) and not isinstance(error, (StepFailure, TemporalError))


def unexpected_failure(where: str, error: BaseException) -> StepFailure:
    """FnF.RuntimeError naming where the error happened, its type and message; the message is
    kept to valid UTF-8 (a lone surrogate is escaped) and to CAUSE_LIMIT characters."""
    message = str(error).encode("utf-8", "backslashreplace").decode()[:CAUSE_LIMIT]
    prefix = f"{where}: " if where else ""
    return StepFailure(RUNTIME_ERROR, f"{prefix}{type(error).__name__}: {message}")
