"""FnFFlow's sandbox (worker/sandbox.py): its modules are loaded once per worker process, not
once per run, and payloads' serialization contexts are asked of the run directly.

Temporal's sandbox imports a workflow's module afresh for each run unless it is passed through,
and executes code in the sandbox for each payload to learn its serialization context; both were
costs a run of task steps paid beyond a hand-written workflow. These tests watch the sandbox
while real executions run on the workers tests/helpers/workers.py builds (the production
assembly), compare the contexts a codec sees with the stock sandbox's, and replay every
committed history with the production runner.
"""

from __future__ import annotations

import dataclasses
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, _importer
from temporalio.worker.workflow_sandbox._restrictions import RestrictedModule
from temporalio.worker.workflow_sandbox._runner import _Instance

from tests.helpers.workers import serving
from tests.worker.conftest import RunFlow
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
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


@dataclass
class RecordingCodec(PayloadCodec, WithSerializationContext):
    """A codec that leaves payloads as they are and notes the serialization context each one
    was converted under (the kind, and the activity's type and locality)."""

    seen: list[tuple[str, str, bool]] = field(default_factory=list)
    context: SerializationContext | None = None

    def with_context(self, context: SerializationContext) -> RecordingCodec:
        return RecordingCodec(self.seen, context)

    def _note(self, payloads: Sequence[Payload]) -> list[Payload]:
        context = self.context
        kind = type(context).__name__
        activity = getattr(context, "activity_type", None) or ""
        self.seen.extend(
            (kind, activity, bool(getattr(context, "is_local", False))) for _ in payloads
        )
        return list(payloads)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self._note(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self._note(payloads)


async def contexts_seen(client: Client, runner: SandboxedWorkflowRunner) -> list[Any]:
    """The contexts a codec sees while one execution of TASKS_BOTH runs under `runner`."""
    codec = RecordingCodec()
    converter = dataclasses.replace(DataConverter.default, payload_codec=codec)
    coded = Client(**{**client.config(), "data_converter": converter})
    queue = f"contexts-{uuid.uuid4().hex[:8]}"
    async with serving(coded, queue, FUNCTIONS, workflow_runner=runner):
        graph = dict(compile_text(TASKS_BOTH))
        name = f"exec-{uuid.uuid4()}"
        run = FlowRun(graph=graph, input={"n": 1}, flow_name="contexts", execution_name=name)
        handle = await start_execution(coded, queue, run, search_attributes=False)
        assert await handle.result() == {"n": 1}
    return sorted(codec.seen)


TASKS_BOTH = TASKS.replace("{service}", "regular", 1).replace("{service}", "local")
"""A regular activity task, then a local one."""


async def test_payloads_get_the_contexts_the_stock_sandbox_gives(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Contexts asked of the run directly are those the sandbox's own way gives: the same
    kinds, activities and localities, payload for payload."""
    stock = SandboxedWorkflowRunner(restrictions=workflow_runner().restrictions)
    direct = await contexts_seen(temporal_env.client, workflow_runner())
    expected = await contexts_seen(temporal_env.client, stock)
    assert direct == expected
    kinds = {seen[0] for seen in direct}
    assert {"ActivitySerializationContext", "WorkflowSerializationContext"} <= kinds
    assert ("ActivitySerializationContext", "InvokeFunctionLocal", True) in direct


async def test_no_sandbox_code_runs_per_payload(
    run_flow: RunFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox executes code for a run's creation and its activations, not for each of
    their payloads."""
    ran: list[str] = []
    original = _Instance._run_code

    def watched(self: Any, code: str, **names: Any) -> None:
        ran.append(code)
        original(self, code, **names)

    monkeypatch.setattr(_Instance, "_run_code", watched)
    outcome = await run_flow("local-activities", {"n": 2}, text=TASKS_BOTH, functions=FUNCTIONS)
    assert outcome.status == "Succeeded", outcome
    asked = [code for code in ran if "get_serialization_context" in code or "store_context" in code]
    assert asked == []
    assert any("activate" in code for code in ran)
