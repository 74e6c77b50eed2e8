"""A refused ReportTask Update answers with FnF's codes only. The validator's own refusals keep
theirs; a failure inside the worker reached the caller as a code named after a Python class
(`AttributeError`, seen while a worker ran mixed code), which no SDK user can handle."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from worker.callbacks.client import _refusal
from worker.callbacks.reports import TaskReport

REPORT = TaskReport(token="dG9rZW4=", succeeded=True, output="{}")


@pytest.mark.parametrize("code", ["InvalidArgument", "TaskAlreadyCompleted"])
def test_the_validators_refusals_keep_their_code(code: str) -> None:
    refused = _refusal(ApplicationError("why", type=code, non_retryable=True), REPORT)
    assert (refused.code, refused.message) == (code, "why")


@pytest.mark.parametrize("kind", ["AttributeError", "KeyError", "RuntimeError", "", None])
def test_any_other_failure_is_task_invalid_state(kind: str | None) -> None:
    refused = _refusal(ApplicationError("'Callbacks' object has no attribute", type=kind), REPORT)
    assert (refused.code, refused.message) == (
        "TaskInvalidState",
        "Task is in an invalid state, please retry.",
    )
