"""What every step executor gets and gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from translator.graph import StepNode
from worker.interpreter.context import context_object

if TYPE_CHECKING:
    from worker.interpreter.callbacks import Waiting
    from worker.interpreter.plans import StepPlan
    from worker.interpreter.sequence import Interpreter


@dataclass
class StepOutcome:
    """The step's own `$local`, and the sibling index to continue at (a choice's goto)."""

    local: Any
    jump: int | None = None


class StepRun:
    """One visit of a step: what its executor may need. The `$context` object is built when
    first asked for (a task's serviceParams, a mapping that reads it): most steps never do."""

    __slots__ = (
        "_context",
        "entered_id",
        "interpreter",
        "node",
        "plan",
        "redrive",
        "remap",
        "token",
        "waiting",
    )

    def __init__(
        self,
        interpreter: Interpreter,
        node: StepNode,
        entered_id: int,
        plan: StepPlan,
        waiting: Waiting | None = None,
        remap: Callable[[str], dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        redrive: dict[str, Any] | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.node = node
        self.entered_id = entered_id
        self.plan = plan
        self.waiting = waiting
        """A waitForCallback task's first token, issued before its input was mapped."""
        self.token = None if waiting is None else waiting.token.encode()
        self.remap = remap
        """The step's input mapped again with another task token (a retried callback attempt)."""
        self._context = context
        """Given (a foreach batch's own run) or built when first asked for."""
        self.redrive = redrive
        """A redriven step's point: where its members or option were (redrive.py)."""

    @property
    def context(self) -> dict[str, Any]:
        """The step's `$context` (with the first task token, as its mappings saw it)."""
        if self._context is None:
            facts = self.interpreter.facts
            self._context = context_object(facts, self.node["name"], self.entered_id, self.token)
        return self._context

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
        log = run.interpreter.log  # run.record, one call fewer: these steps are the hot path
        log.mark("StepStarted", node["name"], run.entered_id)
        outcome = await self.run(node, value, run)
        log.mark("StepSucceeded", node["name"], run.entered_id)
        return outcome

    async def run(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        return StepOutcome(local={})
