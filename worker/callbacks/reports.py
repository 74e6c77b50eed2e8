"""What a ReportTaskSucceeded/ReportTaskFailed carries into the workflow, and its answer."""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
from dataclasses import dataclass

REPORT_UPDATE = "ReportTask"

TASK_ALREADY_COMPLETED = "TaskAlreadyCompleted"
INVALID_ARGUMENT = "InvalidArgument"
EXECUTION_NOT_FOUND = "ExecutionNotExists"
TASK_INVALID_STATE = "TaskInvalidState"
REFUSAL_CODES = frozenset({TASK_ALREADY_COMPLETED, INVALID_ARGUMENT})
"""The codes the workflow's report validator refuses with (worker/interpreter/callbacks.py)."""


@dataclass
class TaskReport:
    """`output` (a JSON object's text) when `succeeded`, else `error` and `cause`."""

    token: str
    succeeded: bool
    output: str = ""
    error: str = ""
    cause: str = ""


@dataclass
class ReportAccepted:
    """ReportTaskSucceeded answers the EventId of the event that recorded the report."""

    event_id: int
