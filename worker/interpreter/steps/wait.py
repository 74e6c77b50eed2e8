"""wait: a durable Temporal timer, for a duration or until a timestamp."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow

from translator.expressions import Scopes, Source, evaluate_source
from translator.graph import StepNode
from translator.json_values import json_text
from translator.model.steps import MAX_WAIT_SECONDS, parse_rfc3339
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure
from worker.interpreter.legible import step_label, summary, until
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


class WaitStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        seconds = self._seconds(node, value)
        if seconds > 0:
            where = step_label(node["name"], run.interpreter.path)
            with run.interpreter.details.doing(f"wait {where} until {until(seconds)}"):
                await workflow.sleep(seconds, summary=summary(f"wait {where} ({seconds:g}s)"))
        return StepOutcome(local={})

    def _seconds(self, node: StepNode, value: dict[str, Any]) -> float:
        return wait_seconds(node, value, workflow.now)


def wait_seconds(node: StepNode, value: dict[str, Any], now: Callable[[], datetime]) -> float:
    """How long the wait step waits for its mapped input `value` (0 for a time already
    past), or the StepFailure the step fails with (FDL wait page: a number of seconds or an
    RFC 3339 time, at most 2 days). `now` is read only for a timestamp: the workflow's clock
    in a run, the wall clock in `fnf test-step` (worker/mocking/step_check.py)."""
    if node.get("duration") is not None:
        seconds = _number(_read(node["duration"], value), "duration")
    else:
        until = _timestamp(_read(node["timestamp"], value))
        seconds = (until - now()).total_seconds()
    if seconds > MAX_WAIT_SECONDS:
        raise StepFailure(RUNTIME_ERROR, f"wait of {seconds:g} s exceeds the 2-day maximum")
    return max(seconds, 0.0)


def _read(source: Source | None, value: dict[str, Any]) -> Any:
    assert source is not None
    return evaluate_source(source, Scopes(input=value, local={}, context={}))


def _number(found: Any, what: str) -> float:
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise StepFailure(
            RUNTIME_ERROR, f"wait {what} must be a number of seconds, got {json_text(found)}"
        )
    return float(found)


def _timestamp(found: Any) -> datetime:
    moment = parse_rfc3339(found)
    if moment is None:
        raise StepFailure(RUNTIME_ERROR, f"wait timestamp must be RFC 3339, got {json_text(found)}")
    return moment
