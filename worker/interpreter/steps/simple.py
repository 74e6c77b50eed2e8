"""pass, succeed and fail: no work beyond their events (the sequence handles ending)."""

from __future__ import annotations

from typing import Any

from translator.graph import StepNode
from worker.interpreter.failures import StepFailure
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


class PassStep(InlineStep):
    """Produces `$local = {}`; its outputMappings shape data."""


class SucceedStep(InlineStep):
    """Ends its sequence successfully; the compiler gave it `next: None`."""


class FailStep:
    """Raises its error and cause, which propagate until the execution fails."""

    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        run.record("StepStarted")
        raise StepFailure(node.get("error", ""), node.get("cause", ""))
