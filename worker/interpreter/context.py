"""Per-step facts the interpreter passes down: what `$context` answers, and where events go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExecutionFacts:
    flow_name: str
    execution_name: str


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
