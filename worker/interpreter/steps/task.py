"""task: by pattern and resource, an activity call (a local one for functions the registry
marks `localActivity`), a sub-flow, or a wait for a callback."""

from __future__ import annotations

from typing import Any

from translator.graph import StepNode
from worker.interpreter.steps.activity_call import call_activity
from worker.interpreter.steps.base import StepOutcome, StepRun
from worker.interpreter.steps.callback_task import CallbackTask
from worker.interpreter.steps.subflow import SubflowTask


class TaskStep:
    async def execute(self, node: StepNode, value: dict[str, Any], run: StepRun) -> StepOutcome:
        if node.get("pattern") == "waitForCallback":
            return await CallbackTask().execute(node, value, run)
        if node["resource"]["kind"] == "fnf-flow":
            return await SubflowTask().execute(node, value, run)
        return StepOutcome(local=await call_activity(node, value, run, may_run_locally=True))
