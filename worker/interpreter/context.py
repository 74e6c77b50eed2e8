"""Per-step facts the interpreter passes down: what `$context` answers, and where events go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_HEARTBEAT_TIMEOUT = 30.0
DEFAULT_STEP_DATA_LIMIT = 32 * 1024
"""FnF's quota of one event's data, in bytes of JSON: each of a step's input, output and local
(FnF limits, "Maximum event data size: 32 KiB per event")."""
DEFAULT_ATTEMPT_REPORT_AFTER = 1.0
"""Seconds a task attempt runs before the activity reports its start to the execution."""
DEFAULT_STEPS_PER_ACTIVATION = 3000
"""Steps one workflow activation may run before its sequence yields (worker/interpreter/work.py):
about 40-50 ms of loop steps on an idle 2-core machine, 0.1-0.35 s with two CPU burners
beside the worker (bench/README.md, eighth round), under the SDK's 2 s deadlock limit with
a wide margin. Each yield is a pause, an activity round trip (about 10 ms of wall time with
its workflow task), so fewer, longer activations make a long loop faster."""
STEPS_PER_RUN = 24_000
"""About how many inline steps one run holds before the root sequence continues as new: what
a replay of one run costs (a worker that lost its cache replays the whole run in one workflow
task, about 0.35 s of workflow CPU for 24,000 loop steps on an idle core). The earlier
defaults (1,000 steps x 20 pauses, plus the run's last stretch) held about 21,000."""


def default_pauses_per_run(steps_per_activation: int) -> int:
    """Pauses after which the root sequence continues as new rather than pausing again, for
    runs that do not name it: as many as keep a run near STEPS_PER_RUN (at least one)."""
    return max(1, STEPS_PER_RUN // max(1, steps_per_activation) - 1)


DEFAULT_PAUSES_PER_RUN = default_pauses_per_run(DEFAULT_STEPS_PER_ACTIVATION)
LEGACY_STEPS_PER_ACTIVATION = 1000
LEGACY_PAUSES_PER_RUN = 20
"""What a run whose input does not name these settings (written before they existed, or by a
parent on its pre-patch path, which starts sub-flows without them) has always used: its
pauses must fall where they fell (worker/execution.py `FlowRun.work_limits`)."""


@dataclass(frozen=True)
class ExecutionFacts:
    """What every step may need to know about the execution it belongs to.

    `flows` holds the pinned definitions of the sub-flows this flow starts (DESIGN 2: a child
    runs the definition that was current when the parent started). `heartbeat_timeout` bounds
    how long a task on a dead worker goes unnoticed. `step_data_limit` is the quota of one
    event's data (0: none). `attempt_report_after` is how long a task attempt runs before its
    TaskStarted is reported (worker/activities/reports.py).
    """

    flow_name: str
    execution_name: str
    flows: dict[str, Any] = field(default_factory=dict)
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    step_data_limit: int = DEFAULT_STEP_DATA_LIMIT
    attempt_report_after: float = DEFAULT_ATTEMPT_REPORT_AFTER


def context_object(
    facts: ExecutionFacts, step_name: str, event_id: int, task_token: str | None = None
) -> dict[str, Any]:
    """The `$context` object of one step (FDL decision 7)."""
    context: dict[str, Any] = {
        "execution": {"name": facts.execution_name},
        "flow": {"name": facts.flow_name},
        "step": {"name": step_name, "eventId": event_id},
    }
    if task_token is not None:
        context["task"] = {"token": task_token}
    return context
