"""choice: the first option whose condition holds (else the default) runs its steps, then jumps."""

from __future__ import annotations

from typing import Any

from translator.expressions import evaluate_condition
from translator.graph import OptionNode, StepNode
from worker.interpreter.steps.base import InlineStep, StepOutcome, StepRun


class ChoiceStep(InlineStep):
    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        option = self._select(node, value)
        if option is None:
            return StepOutcome(local={})
        local = await run.interpreter.run_sequence(option["steps"], value)
        return StepOutcome(local=local, jump=option["goto"])

    def _select(self, node: StepNode, value: dict[str, Any]) -> OptionNode | None:
        for option in node["choices"]:
            condition = option["condition"]
            if condition is not None and evaluate_condition(condition, value):
                return option
        return node.get("default")
