"""The execution's terminal event is its last (FDL spec 5.5: "Last is one of
ExecutionSucceeded, ExecutionFailed, ExecutionStopped, ExecutionTimedOut")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.interpreter.events import EventLog

TERMINAL = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionStopped", "ExecutionTimedOut"}
)


@dataclass
class ExecutionLog(EventLog):
    """An EventLog that closes with the terminal event. The interpreter waits for cancelled
    work to record its end before the execution ends; this guards the rule for whatever
    still runs after that (executions replayed on their pre-patch path, where a cancelled
    branch could finish after ExecutionFailed). A record after the end is dropped (id 0);
    EventLog.mark reads `closed` too."""

    def record(
        self,
        kind: str,
        step_name: str = "",
        detail: dict[str, Any] | None = None,
        schedule_event_id: int = 0,
        time: str | None = None,
        checked: bool = True,
    ) -> int:
        if self.closed:
            return 0
        event_id = super().record(kind, step_name, detail, schedule_event_id, time, checked)
        self.closed = kind in TERMINAL
        return event_id
