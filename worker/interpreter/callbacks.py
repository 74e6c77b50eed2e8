"""The workflow's side of task tokens: which tasks wait for a report, and checking reports.

The Update validator calls `validate` (`check` and the exact token text; it must not change
state) so that a bad report is refused synchronously and never enters history; the handler then
calls `deliver`.

Each token's secret is minted outside workflow code (worker/activities/task_secrets.py) since
SECRET_PATCH; runs started before it keep drawing from `workflow.random()`, so that their
parked tasks keep the tokens already handed out and their histories replay.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

from translator.json_values import JsonValueError, check_text, parse_json_value
from worker.activities.task_secrets import MINT_TASK_SECRET
from worker.callbacks.reports import INVALID_ARGUMENT, TASK_ALREADY_COMPLETED, TaskReport
from worker.callbacks.tokens import InvalidTaskToken, TaskToken
from worker.interpreter import versions
from worker.interpreter.budget import LIMIT_SETTING, SAFE_PAYLOAD_BYTES
from worker.interpreter.context import ExecutionFacts
from worker.interpreter.data import data_size

MAX_ERROR_CHARS = 128
MAX_CAUSE_CHARS = 4096
REMEMBERED_TOKENS = 5000
"""Closed tokens remembered (across continue-as-new) to answer TaskAlreadyCompleted."""

SECRET_PATCH = "task-token-secret-from-os-random"
"""The patch of runs whose token secrets come from MintTaskSecret, not `workflow.random()`
(which clients could recompute from the run id)."""
MINT_TIMEOUT = timedelta(seconds=10)


@dataclass
class Waiting:
    """One task attempt waiting for its report; `event_id` is set once the report is recorded."""

    token: TaskToken
    report: TaskReport | None = None
    event_id: int | None = None


@dataclass
class Callbacks:
    waiting: dict[str, Waiting] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)

    async def mint(self) -> str:
        """A fresh secret for one attempt's token. Runs before SECRET_PATCH draw it from
        `workflow.random()` without yielding, so their command sequence is unchanged."""
        if not versions.patched(SECRET_PATCH):
            return f"{workflow.random().getrandbits(128):032x}"
        try:
            secret: str = await workflow.execute_local_activity(
                MINT_TASK_SECRET,
                result_type=str,
                start_to_close_timeout=MINT_TIMEOUT,
                summary="internal: mint the secret of a waitForCallback task's token",
            )
        except ActivityError as error:
            if is_cancelled_exception(error):  # stopped meanwhile: no task was issued
                raise asyncio.CancelledError() from None
            raise
        return secret

    def issue(self, facts: ExecutionFacts, step_event_id: int, secret: str) -> Waiting:
        """A token with a minted secret for one attempt, accepting reports from now on."""
        token = TaskToken(facts.flow_name, facts.execution_name, step_event_id, secret)
        waiting = Waiting(token)
        self.waiting[secret] = waiting
        return waiting

    def close(self, waiting: Waiting) -> None:
        """No more reports for this token; a pending report handler gets event 0."""
        self.waiting.pop(waiting.token.secret, None)
        self.closed = [*self.closed, waiting.token.secret][-REMEMBERED_TOKENS:]
        if waiting.event_id is None:
            waiting.event_id = 0

    def check(self, report: TaskReport, facts: ExecutionFacts) -> Waiting:
        """The waiting task this report completes, or an ApplicationError saying why not."""
        try:
            token = TaskToken.decode(report.token)
        except InvalidTaskToken as error:
            raise _refused(INVALID_ARGUMENT, str(error)) from None
        if (token.flow, token.execution) != (facts.flow_name, facts.execution_name):
            raise _refused(INVALID_ARGUMENT, "the task token belongs to another execution")
        waiting = self.waiting.get(token.secret)
        if waiting is None or waiting.report is not None:
            if waiting is not None or token.secret in self.closed:
                raise _refused(
                    TASK_ALREADY_COMPLETED, f"Task {report.token} has already completed."
                )
            raise _refused(INVALID_ARGUMENT, "no task of this execution has this token")
        _check_content(report, facts.step_data_limit)
        return waiting

    def validate(self, report: TaskReport, facts: ExecutionFacts) -> None:
        """The Update validator's check: `check`, and the token must be the text issued, not
        another spelling that decodes to the same secret (another step EventId, base64 with
        characters the decoder skips, digits of another script). Only the validator is this
        strict: it decides what enters history, while the handler (`deliver`), which replay
        runs again, keeps the rule it had when earlier reports were accepted."""
        waiting = self.check(report, facts)
        if report.token != waiting.token.encode():
            raise _refused(INVALID_ARGUMENT, "no task of this execution has this token")
        if report.succeeded and not report.output.strip():
            # ReportTaskSucceeded requires its Output (the API answers MissingRequiredParams);
            # an Update sent straight to the execution (`temporal workflow update`) must not
            # complete the task with nothing. The handler keeps reading "" as {} for reports
            # accepted before this rule.
            raise _refused(INVALID_ARGUMENT, "Output must be a JSON object, got nothing")

    def deliver(self, report: TaskReport, facts: ExecutionFacts) -> Waiting:
        waiting = self.check(report, facts)
        waiting.report = report
        return waiting


def parse_output(report: TaskReport) -> dict[str, Any]:
    value = json.loads(report.output or "{}")
    assert isinstance(value, dict)
    return value


def _check_content(report: TaskReport, limit: int) -> None:
    """A report the task could not record is refused here, before it enters history: an Output
    over the per-event quota would otherwise fail the step after the report was accepted
    (FnF limits: "Maximum event data size, per event, 32 KiB")."""
    if report.succeeded:
        try:
            value = parse_json_value(report.output or "{}", "Output")
        except JsonValueError as error:
            raise _refused(INVALID_ARGUMENT, str(error)) from None
        if not isinstance(value, dict):
            raise _refused(INVALID_ARGUMENT, "Output must be a JSON object")
        size = data_size(value)
        if limit > 0 and size > limit:
            raise _refused(
                INVALID_ARGUMENT,
                f"Output is {size} bytes of JSON, over the {limit}-byte limit of one event's "
                f"data ({LIMIT_SETTING})",
            )
        if limit <= 0 and len(report.output) > SAFE_PAYLOAD_BYTES:
            raise _refused(
                INVALID_ARGUMENT,
                f"Output is {len(report.output)} characters, over the {SAFE_PAYLOAD_BYTES}"
                "-character limit of a task's output",
            )
        return
    if not 1 <= len(report.error) <= MAX_ERROR_CHARS:
        raise _refused(INVALID_ARGUMENT, f"Error must be 1-{MAX_ERROR_CHARS} characters")
    if len(report.cause) > MAX_CAUSE_CHARS:
        raise _refused(INVALID_ARGUMENT, f"Cause must be at most {MAX_CAUSE_CHARS} characters")
    try:  # text entering the execution as the step's error: the one check's text rule
        check_text(report.error, "Error")
        check_text(report.cause, "Cause")
    except JsonValueError as error:
        raise _refused(INVALID_ARGUMENT, str(error)) from None


def _refused(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=code, non_retryable=True)
