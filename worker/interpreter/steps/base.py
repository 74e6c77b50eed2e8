"""What every step executor gets and gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from translator.graph import StepNode

if TYPE_CHECKING:
    from worker.interpreter.callbacks import Waiting
    from worker.interpreter.sequence import Interpreter


@dataclass
class StepOutcome:
    """The step's own `$local`, and the sibling index to continue at (a choice's goto)."""

    local: Any
    jump: int | None = None


@dataclass
class StepRun:
    interpreter: Interpreter
    node: StepNode
    entered_id: int
    context: dict[str, Any]
    waiting: Waiting | None = None
    """A waitForCallback task's first token, issued before its input was mapped."""
    remap: Callable[[str], dict[str, Any]] | None = None
    """The step's input mapped again with another task token (a retried callback attempt)."""

    def record(
        self,
        kind: str,
        detail: dict[str, Any] | None = None,
        schedule_id: int = 0,
        time: str | None = None,
    ) -> int:
        return self.interpreter.log.record(
            kind, self.node["name"], detail, schedule_id or self.entered_id, time
        )


class StepExecutor(Protocol):
    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome: ...


class InlineStep:
    """Steps that run inside the workflow task: StepStarted, the work, StepSucceeded."""

    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        run.record("StepStarted")
        outcome = await self.run(node, value, run)
        run.record("StepSucceeded")
        return outcome

    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        return StepOutcome(local={})
