"""choice: the first option whose condition holds (else the default) runs its steps, then jumps."""

from __future__ import annotations

from typing import Any

from translator.graph import OptionNode, StepNode
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


class ChoiceStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        option = self._select(node, value, run)
        if option is None:
            return StepOutcome(local={})
        local = await run.interpreter.run_sequence(option["steps"], value)
        return StepOutcome(local=local, jump=option["goto"])

    def _select(self, node: StepNode, value: dict[str, Any], run: StepRun) -> OptionNode | None:
        """The conditions as compiled once for the node (worker/interpreter/plans.py)."""
        for holds, option in run.plan.choices:
            if holds is not None and holds(value):
                return option
        return node.get("default")
