"""A history recorded before sub-flow execution names were checked against the name grammar:
a parent that started its child as `a b` (serviceParams.ExecutionName), which today's code
refuses with fnf.InvalidArgument. The check is guarded by `workflow.patched`, so the old
execution replays unchanged (without the guard, replay fails with a nondeterminism error at
the child's start).

Recorded once with the code of that time on the time-skipping test server: flow `parent`,
execution `legacy-1`, input `{"child": "a b"}`, a `sync` sub-flow task on `acs:fnf:::flow/child`
whose child is a single pass step.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from worker.workflow import FnFFlow

HISTORY = Path(__file__).parent / "legacy" / "subflow-child-outside-the-grammar.json"


async def test_child_started_under_a_name_the_grammar_now_refuses_replays() -> None:
    history = WorkflowHistory.from_json("legacy-1", HISTORY.read_text())
    result = await Replayer(workflows=[FnFFlow]).replay_workflow(history)
    assert result.replay_failure is None
