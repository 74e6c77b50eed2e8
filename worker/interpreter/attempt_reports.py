"""The workflow's side of attempt reports: a task's Task* events, each recorded once, when its
activity reports it or, at the latest, from the ledger its final outcome carries.

A task activity signals its execution when an attempt has run a moment and when an attempt
fails with a retry to come (worker/activities/reports.py). Reports and the final outcome may
arrive in any order, and a report may be lost, so each task keeps where its recording stands
(the open attempt's number and whether its TaskStarted is written): a report is taken only for
the open attempt of a task still waiting on its activity, and the ledger adds only what is
missing.

An attempt that Temporal started again after a crash (worker/activities/attempts.py) gets one
TaskStarted per start, the later ones with `restart` and `reason` in their detail, so that the
history shows every call a function received, not a clean single run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from translator.graph import StepNode
from worker.activities.requests import AttemptRecord, AttemptReport, TaskRequest
from worker.interpreter import versions

if TYPE_CHECKING:
    from worker.interpreter.steps.base import StepRun

RESTARTS_SHOWN = "task-restarts-shown"
"""Patch id: runs that record a TaskStarted for each restart of an attempt."""


def record_starts(
    run: StepRun, number: int, scheduled: int, record: AttemptRecord, written: int = 0
) -> int:
    """TaskStarted for each start of attempt `number` that `record` knows of, from the
    `written`-th on; how many starts are written afterwards. A restart's detail says which
    start it is and why the previous one was run again."""
    known = [*record.restarted, record.started]
    first_known = record.restart + 1 - len(known)
    for index in range(written, record.restart + 1):
        detail: dict[str, Any] = {"attempt": number}
        if index:
            if not versions.patched(RESTARTS_SHOWN):
                break
            detail |= {"restart": index, "reason": record.reason}
        run.record("TaskStarted", detail, scheduled, known[max(index - first_known, 0)])
        written = index + 1
    return written


@dataclass
class TaskAttempts:
    """One task call in flight. `scheduled` is the EventId of the open attempt's TaskScheduled,
    `attempt` the open attempt's number (from 1), `started` how many of its TaskStarted are
    written (more than one when Temporal started it again after a crash).
    `kinds` names the success and failure events (a callback task's submit differs)."""

    run: StepRun
    node: StepNode
    value: dict[str, Any]
    kinds: tuple[str, str]
    scheduled: int
    attempt: int = 1
    started: int = 0
    """TaskStarted events written for the open attempt: one per start (restarts included)."""

    def reported(self, number: int, record: AttemptRecord) -> None:
        """A signalled report: the open attempt started, or failed with a retry to come."""
        if number != self.attempt:
            return  # an attempt already recorded, or one whose predecessor's report was lost
        self._start(record)
        if record.ended:
            self._end(record, None)
            self._retry_scheduled()

    def finished(self, attempts: list[AttemptRecord], output: Any, earlier: int = 0) -> None:
        """The final ledger: every attempt the reports did not bring, the last one's outcome.
        `attempts[0]` is attempt `earlier + 1` (a long ledger drops its oldest attempts)."""
        for number, record in enumerate(attempts, earlier + 1):
            if number < self.attempt:
                continue
            self._start(record)
            self._end(record, output)
            if number < earlier + len(attempts):
                self._retry_scheduled()

    def _start(self, record: AttemptRecord) -> None:
        self.started = record_starts(self.run, self.attempt, self.scheduled, record, self.started)

    def _end(self, record: AttemptRecord, output: Any) -> None:
        if record.error is None:
            self.run.record(self.kinds[0], {"output": output}, self.scheduled, record.ended)
            return
        kind = "TaskTimedOut" if record.timed_out else self.kinds[1]
        failed = {"error": record.error, "cause": record.cause}
        self.run.record(kind, failed, self.scheduled, record.ended)

    def _retry_scheduled(self) -> None:
        """The retry is scheduled when the workflow learns that its predecessor failed (on
        the workflow's clock, as Temporal schedules it); its backoff shows between this
        TaskScheduled and its TaskStarted."""
        detail = {"resourceArn": self.node["resource"]["arn"], "input": self.value}
        self.scheduled = self.run.record("TaskScheduled", detail)
        self.attempt += 1
        self.started = 0


@dataclass
class AttemptReports:
    """The tasks of this run that take reports, by the EventId of their first TaskScheduled.

    `enabled` is off for runs started before reports existed: their activities send none, and
    anything that arrives is ignored, so they record exactly as before."""

    enabled: bool = False
    tasks: dict[int, TaskAttempts] = field(default_factory=dict)

    def follow(self, request: TaskRequest, task: TaskAttempts, report_after: float) -> None:
        """Take reports for `task`; its activity is told where to send them."""
        if not self.enabled:
            return
        request.task_event_id = task.scheduled
        request.report_after = report_after
        self.tasks[task.scheduled] = task

    def take(self, report: AttemptReport) -> None:
        task = self.tasks.get(report.task)
        if task is not None:
            task.reported(report.attempt, report.record)

    def close(self, task_event_id: int) -> TaskAttempts | None:
        """No more reports for this task (its activity has ended); what was recorded so far."""
        return self.tasks.pop(task_event_id, None)
