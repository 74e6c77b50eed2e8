"""Error names and causes of function calls.

Retry and catch match on error *names* (DESIGN decision 7, FDL spec 6.1), so every failure of a
function call, whatever went wrong and where, ends up as one `FunctionError(name, cause)`. The
cause strings copy Function Compute's own bodies (compact JSON with `errorMessage`) so flows that
inspect them, and people who know FC, see what they would see on the real service.

Stdlib only: the child process (`host.py`) builds causes with these helpers too.
"""

from __future__ import annotations

import json
import os
import traceback
from typing import Any

_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

FC_UNKNOWN = "FC.Unknown"
FC_SERVICE_NOT_FOUND = "FC.ServiceNotFound"
FC_FUNCTION_NOT_FOUND = "FC.FunctionNotFound"
FC_RESOURCE_EXHAUSTED = "FC.ResourceExhausted"
FC_INVALID_ARGUMENT = "FC.InvalidArgument"
FC_INTERNAL_SERVER_ERROR = "FC.InternalServerError"
FNF_TASK_TIMEOUT = "FnF.TaskTimeout"

MAX_CAUSE_CHARS = 4096
"""ReportTaskFailed accepts causes of 1-4096 characters; HTTP bodies are cut to the same size."""


class FunctionError(Exception):
    """A function call failed with FnF error `name` (what retry/catch match) and `cause`,
    both cut to FnF's size (`truncate_cause`), whatever the function raised or printed."""

    def __init__(self, name: str, cause: str) -> None:
        name, cause = truncate_cause(name), truncate_cause(cause)
        super().__init__(f"{name}: {cause}")
        self.name = name
        self.cause = cause

    def __reduce__(self) -> tuple[type[FunctionError], tuple[str, str]]:
        # Exceptions with a custom __init__ do not pickle by default; keep them portable.
        return (FunctionError, (self.name, self.cause))


def fc_body(**fields: Any) -> str:
    """FC's error body style: compact JSON, keys in the given order, non-ASCII kept."""
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def format_seconds(seconds: float) -> str:
    """`60` for whole seconds (as FC prints them), `0.5` otherwise."""
    return f"{seconds:g}"


def process_exited_cause(duration_ms: float, max_memory_kb: int) -> str:
    """FC's body for an instance that died (exit, os._exit, signal) while serving a request."""
    message = (
        "Process exited unexpectedly before completing request "
        f"(duration: {round(duration_ms)}ms, maxMemoryUsage: {max_memory_kb / 1024:.2f}MB)"
    )
    return fc_body(errorMessage=message)


def timed_out_cause(seconds: float) -> str:
    """FC's body for a request that ran past the function's timeout."""
    return fc_body(errorMessage=f"Function timed out after {format_seconds(seconds)} seconds")


def initialization_timed_out_cause(seconds: float) -> str:
    """Our body for an initializer that ran past `initializationTimeout`. FC documents only
    that the call fails (X-Fc-Error-Type: InitializationError, an errorMessage in the body);
    the wording follows its "Function timed out" body."""
    return fc_body(
        errorMessage=f"Function initialization timed out after {format_seconds(seconds)} seconds"
    )


def exception_cause(exc: BaseException, *, message: str | None = None) -> str:
    """FC's body for an exception raised by a handler: message, type name and stack trace.

    The trace shows the user's frames only: this package's own frames (the instance's request
    loop, the loader) and importlib's frozen internals say nothing about the user's bug.
    """
    frames = traceback.StackSummary.from_list(
        [
            frame
            for frame in traceback.extract_tb(exc.__traceback__)
            if not frame.filename.startswith(_OWN_DIR) and not frame.filename.startswith("<frozen ")
        ]
    )
    stack = [
        line.rstrip()
        for entry in traceback.format_list(frames)
        for line in entry.splitlines()
        if line.strip(" ^~")  # drop blank lines and the ^^^ markers under code
    ]
    return fc_body(
        errorMessage=_text_of(exc) if message is None else message,
        errorType=type(exc).__name__,
        stackTrace=stack,
    )


def _text_of(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not hide the original failure
        return f"<{type(exc).__name__} whose str() failed>"


def truncate_cause(text: str) -> str:
    """Cut a cause to the size FnF accepts, saying that it was cut."""
    if len(text) <= MAX_CAUSE_CHARS:
        return text
    marker = "...(truncated)"
    return text[: MAX_CAUSE_CHARS - len(marker)] + marker


class RegistryError(ValueError):
    """The registry file cannot be used; the message names the file and every bad entry."""
