"""How `fnf run` and `fnf exec watch|history` print an execution's FnF events and its end.

For people: one line per event, indented by branch and iteration (translator/event_layout.py), an
event's detail cut at DETAIL_WIDTH characters with the count of what was left out (`--full`
prints it whole), retries marked as they happen, then a summary naming the failed step, the
error, the cause and the step the flow ended at. For scripts (`--json`): each event as one JSON
object per line (FnF's event fields, plus `Within`, the branch/iteration path), then one line
with the outcome (`Status`, `Error`, `Cause`, `FailedStep`, `EndedAt`, `Output`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from translator.event_layout import EventLayout, Member
from translator.graph import StepNode

DETAIL_WIDTH = 160
STEP_CELLS = 24
"""Terminal cells the step column takes (wider names push the detail on): counted as the
terminal draws them, a CJK character two cells, markup and its escapes none."""
TERMINAL = {
    "ExecutionSucceeded": "Succeeded",
    "ExecutionFailed": "Failed",
    "ExecutionStopped": "Stopped",
    "ExecutionTimedOut": "TimedOut",
}
TASK_FAILURES = frozenset({"TaskFailed", "TaskTimedOut", "TaskSubmitFailed"})
STATUS_STYLE = {"Succeeded": "bold green", "Failed": "bold red", "Stopped": "bold yellow"}


@dataclass
class Outcome:
    """How an execution ended, as the summary and `--json`'s last line say it."""

    Status: str
    Error: str = ""
    Cause: str = ""
    FailedStep: str = ""
    FailedWithin: list[str] = field(default_factory=list)
    EndedAt: str = ""
    Output: Any = None
    Caught: dict[str, Any] | None = None
    """The last error a catch handled before the end ({Step, Within, Error, Cause, Goto}):
    a flow that catches a task's failure and ends at a fail step failed because of it."""


@dataclass
class _Failure:
    step: str
    error: str
    cause: str
    within: list[str]


class EventStream:
    """Prints the events of one execution in EventId order, and its outcome."""

    def __init__(
        self, console: Console, steps: list[StepNode] | None, *, full: bool, as_json: bool
    ) -> None:
        self.console = console
        self.layout = EventLayout.of(steps)
        self.full = full
        self.as_json = as_json
        self.last_root_step = ""
        self.last_step = ""
        self.step_failures: list[_Failure] = []
        self.task_failed: dict[int, str] = {}
        """The last failed attempt's error, by the step's StepEntered EventId."""
        self.task_step: dict[int, int] = {}
        """A TaskScheduled's EventId -> its step's StepEntered EventId."""
        self.terminal: dict[str, Any] | None = None
        self.caught: dict[str, Any] | None = None

    def show(self, event: dict[str, Any]) -> None:
        member = self.layout.place(event)
        detail = _detail(event)
        self._remember(event, member, detail)
        if self.as_json:
            line = {**event, "Within": member.path()}
            self.console.print(
                json.dumps(line, ensure_ascii=False), markup=False, highlight=False, soft_wrap=True
            )
            return
        self.console.print(
            self._line(event, member, detail), highlight=False, markup=True, soft_wrap=True
        )

    def outcome(self) -> Outcome | None:
        """The outcome written by the execution's terminal event, once it has been shown."""
        if self.terminal is None:
            return None
        detail = _detail(self.terminal)
        status = TERMINAL[self.terminal["Type"]]
        result = Outcome(status, EndedAt=self.last_root_step or self.last_step, Caught=self.caught)
        if status == "Succeeded":
            result.Output = detail.get("output")
            return result
        result.Error, result.Cause = str(detail.get("error", "")), str(detail.get("cause", ""))
        failed = self._failed_step(result.Error)
        if failed is not None:
            result.FailedStep, result.FailedWithin = failed.step, failed.within
        return result

    def show_outcome(self, outcome: Outcome) -> None:
        if self.as_json:
            text = json.dumps(asdict(outcome), ensure_ascii=False)
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
            return
        style = STATUS_STYLE.get(outcome.Status, "bold")
        ended = f", ended at step {escape(outcome.EndedAt)}" if outcome.EndedAt else ""
        self.console.print(f"[{style}]{outcome.Status}[/{style}]{ended}", highlight=False)
        if outcome.Status == "Succeeded":
            self.console.print_json(json.dumps(outcome.Output, ensure_ascii=False))
            return
        if outcome.FailedStep:
            where = " > ".join([*outcome.FailedWithin, outcome.FailedStep])
            self.console.print(f"  failed step: {escape(where)}", highlight=False)
        error, cause = outcome.Error or "(none)", outcome.Cause or "(none)"
        self.console.print(f"  error: {escape(error)}", highlight=False)
        self.console.print(f"  cause: {escape(cause)}", highlight=False, soft_wrap=True)
        if outcome.Caught is not None:
            caught = outcome.Caught
            where = " > ".join([*caught["Within"], caught["Step"]])
            self.console.print(
                f"  caught before: {escape(where)} failed with {escape(caught['Error'])}: "
                f"{escape(caught['Cause'])} (went to {escape(caught['Goto'])})",
                highlight=False,
                soft_wrap=True,
            )

    def _remember(self, event: dict[str, Any], member: Member, detail: dict[str, Any]) -> None:
        kind, step = event.get("Type", ""), str(event.get("StepName", ""))
        if kind == "StepEntered":
            self.last_step = step
            if member.depth == 0:
                self.last_root_step = step
        elif kind == "StepFailed":
            failure = _Failure(
                step, str(detail.get("error", "")), str(detail.get("cause", "")), member.path()
            )
            self.step_failures.append(failure)
        elif kind == "StepExited" and "goto" in detail:
            self.caught = {
                "Step": step,
                "Within": member.path(),
                "Error": str(detail.get("error", "")),
                "Cause": str(detail.get("cause", "")),
                "Goto": str(detail.get("goto", "")),
            }
        elif kind in TERMINAL:
            self.terminal = event
        elif kind == "ExecutionRedriven":  # the attempt before it ended; this one goes on
            self.terminal, self.caught, self.step_failures = None, None, []

    def _failed_step(self, error: str) -> _Failure | None:
        """The step the failure started at: the first that failed with the execution's error
        (a failure goes up through its branch and its parallel step), else the last failure."""
        for failure in self.step_failures:
            if failure.error == error:
                return failure
        return self.step_failures[-1] if self.step_failures else None

    def _line(self, event: dict[str, Any], member: Member, detail: dict[str, Any]) -> str:
        kind = str(event.get("Type", ""))
        indent = "  " * member.depth
        name = str(event.get("StepName", ""))
        step = escape(name)
        shown_name = f"{member.label}/{name}" if member.label else name
        if member.label:
            step = f"[cyan]{escape(member.label)}[/cyan]/{step}"
        step += " " * max(0, STEP_CELLS - cell_len(shown_name))
        text = str(event.get("EventDetail", ""))
        shown = escape(text)
        if not self.full and len(text) > DETAIL_WIDTH:
            left = len(text) - (DETAIL_WIDTH - 3)
            shown = (
                escape(text[: DETAIL_WIDTH - 3]) + f"... [italic](+{left} chars; --full)[/italic]"
            )
        note = self._note(event, kind, detail)
        time = str(event.get("Time", ""))[11:23]
        return (
            f"{event.get('EventId', 0):>4} {time} {indent}{kind:<18} "
            f"{step} {note}[dim]{shown}[/dim]"
        )

    def _note(self, event: dict[str, Any], kind: str, detail: dict[str, Any]) -> str:
        """Retries, marked as they happen: a TaskScheduled after a failed attempt of the same
        step, and each TaskStarted of a later attempt."""
        event_id, schedule = int(event.get("EventId", 0)), int(event.get("ScheduleEventId") or 0)
        if kind in TASK_FAILURES:
            self.task_failed[self.task_step.get(schedule, schedule)] = str(detail.get("error", ""))
        if kind == "TaskScheduled":
            self.task_step[event_id] = schedule
            if schedule in self.task_failed:
                error = escape(self.task_failed[schedule])
                return f"[bold yellow]retry after {error}[/bold yellow] "
        if kind == "StepExited" and "goto" in detail:
            caught = escape(f"caught {detail.get('error', '')}, goto {detail.get('goto', '')}")
            return f"[bold yellow]{caught}[/bold yellow] "
        attempt = detail.get("attempt")
        if kind == "TaskStarted" and isinstance(attempt, int) and attempt > 1:
            return f"[yellow]attempt {attempt}[/yellow] "
        return ""


def _detail(event: dict[str, Any]) -> dict[str, Any]:
    try:
        detail = json.loads(event.get("EventDetail") or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}
