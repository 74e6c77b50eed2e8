"""FnFFlow's module is loaded once per worker process, not once per run (worker/sandbox.py).

Temporal's sandbox imports a workflow's module afresh for each run unless it is passed through;
for `worker.workflow` that compile-and-execute was the largest cost a run of task steps paid
beside a hand-written workflow. These tests watch the sandbox's importer while real executions
run on the workers tests/helpers/workers.py builds (the production assembly), and replay every
committed history with the production runner.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import _importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictedModule

from tests.worker.conftest import RunFlow
from worker.sandbox import workflow_runner
from worker.workflow import FnFFlow

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "local.yaml"
HISTORIES = sorted((Path(__file__).parents[1] / "replay" / "histories").glob("*.json"))

TASKS = """\
version: v1
type: flow
steps:
  - type: task
    name: first
    resourceArn: acs:fc:::services/{service}/functions/echo
  - type: pass
    name: between
    outputMappings: [{target: n, source: $input.n}]
  - type: task
    name: second
    resourceArn: acs:fc:::services/{service}/functions/echo
"""

FOREACH = """\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping: {collection: $.items, item: item}
    steps:
      - type: task
        name: echo
        resourceArn: acs:fc:::services/local/functions/echo
        inputMappings: [{target: n, source: $input.item}]
    outputMappings:
      - {target: results, source: $local}
"""


@pytest.fixture
def sandbox_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modules the sandbox loads afresh for a run (a module object other than the worker
    process's own), as runs import them: each is compiled and executed again per run."""
    loads: list[str] = []
    original = _importer.Importer._import
    host = getattr(sys.modules, "orig", sys.modules)  # the process's, outside any sandbox

    def watched(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        module = original(self, name, *args, **kwargs)
        restricted = isinstance(module, RestrictedModule)  # the sandbox's guard of `time` etc.
        if not restricted and host.get(module.__name__) is not module:
            loads.append(module.__name__)
        return module

    monkeypatch.setattr(_importer.Importer, "_import", watched)
    return loads


@pytest.mark.parametrize("service", ["regular", "local"])
async def test_runs_of_tasks_load_no_module_afresh(
    run_flow: RunFlow, sandbox_loads: list[str], service: str
) -> None:
    text = TASKS.replace("{service}", service)
    for n in range(3):
        outcome = await run_flow("local-activities", {"n": n}, text=text, functions=FUNCTIONS)
        assert outcome.status == "Succeeded", outcome
        assert outcome.output["n"] == n
    assert sandbox_loads == []


async def test_foreach_batches_load_no_module_afresh(
    run_flow: RunFlow, sandbox_loads: list[str]
) -> None:
    """A foreach in batches imports its fan-out inside a function, while the run is going."""
    items = list(range(7))
    outcome = await run_flow(
        "local-activities",
        {"items": items},
        text=FOREACH,
        functions=FUNCTIONS,
        foreach_batch_threshold=4,
        foreach_batch_size=3,
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"results": [{"n": item} for item in items]}
    assert outcome.types().count("PartEntered") == 3  # batches of 3, 3 and 1 items
    assert sandbox_loads == []


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_committed_histories_replay_with_the_production_runner(
    path: Path, sandbox_loads: list[str]
) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[FnFFlow], workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)
    assert sandbox_loads == []
