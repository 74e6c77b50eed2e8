"""choice: the first option whose condition holds (else the default) runs its steps, then jumps."""

from __future__ import annotations

import asyncio
from typing import Any

from translator.graph import OptionNode, StepNode
from worker.interpreter.failures import StepFailure
from worker.interpreter.redrive import mark_step, take_frame
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


class ChoiceStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        option = self._select(node, value, run)
        if option is None:
            return StepOutcome(local={})
        start = run.redrive.get("option") if run.redrive else None
        try:
            local = await run.interpreter.run_sequence(option["steps"], value, start)
        except (StepFailure, asyncio.CancelledError) as error:
            mark_step(error, {"option": take_frame(error)})  # where a redrive goes on
            raise
        return StepOutcome(local=local, jump=option["goto"])

    def _select(self, node: StepNode, value: dict[str, Any], run: StepRun) -> OptionNode | None:
        """The conditions as compiled once for the node (worker/interpreter/plans.py)."""
        for holds, option in run.plan.choices:
            if holds is not None and holds(value):
                return option
        return node.get("default")
