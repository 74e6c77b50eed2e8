"""One executor per FDL step type."""

from __future__ import annotations

from worker.interpreter.steps.base import StepExecutor
from worker.interpreter.steps.choice import ChoiceStep
from worker.interpreter.steps.fanout import ForeachStep, ParallelStep
from worker.interpreter.steps.simple import FailStep, PassStep, SucceedStep
from worker.interpreter.steps.task import TaskStep
from worker.interpreter.steps.wait import WaitStep

EXECUTORS: dict[str, StepExecutor] = {
    "pass": PassStep(),
    "succeed": SucceedStep(),
    "fail": FailStep(),
    "wait": WaitStep(),
    "choice": ChoiceStep(),
    "parallel": ParallelStep(),
    "foreach": ForeachStep(),
    "task": TaskStep(),
}
