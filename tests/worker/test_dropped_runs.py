"""A run that a worker drops from its cache without evicting it leaves its coroutines to
Python's garbage collector, which closes them (GeneratorExit) in whichever thread collects
them: possibly one running another run's activation, where `workflow.*` calls reach that other
run. temporalio drops its whole cache that way when a worker shuts down, so a worker restarted
in the same process (`fnf run`, `fnf api` with its worker, tests) meets it.

Workflow code that caught the GeneratorExit (a fan-out cancelling and awaiting its members on
any BaseException) went on as if stopped: it recorded StepFailed and ExecutionFailed in its
dead log and scheduled a RecordRedrivePoint local activity into the live run. That run's
history then held a marker its own code never asked for, and every replay of it failed with
`[TMPRL1100] Nondeterminism error` (or "Failed decoding arguments"), for ever.

The collection is made to happen exactly there: the collector is off while the first worker
runs and drops the run, and the second worker collects at the start of every activation."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker import _workflow_instance as instance_module

from tests.helpers.worker_processes import wait_until
from tests.helpers.workers import serving
from tests.worker.test_stopping import FUNCTIONS, STOP, ended
from translator import compile_text
from worker.assembly import workflow_runner
from worker.execution import FlowRun
from worker.executions import start_execution, stop_execution
from worker.workflow import FnFFlow

PARKED = """\
version: v1
type: flow
steps:
  - type: {kind}
    name: fan
{shape}
"""

PARALLEL = """\
    branches:
      - steps:
          - {type: wait, name: left, duration: 30}
      - steps:
          - {type: wait, name: right, duration: 30}
"""

FOREACH = """\
    iterationMapping: {collection: $.items, item: item}
    steps:
      - {type: wait, name: slow, duration: 30}
"""

LIVE = """\
version: v1
type: flow
steps:
  - {type: pass, name: before}
  - {type: wait, name: nap, duration: 1}
  - {type: pass, name: after}
"""

SHAPES = {"parallel": ("parallel", PARALLEL), "foreach": ("foreach", FOREACH)}


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The collector off, and what the session made before the test frozen (gc.freeze): each
    activation's collection then walks only what this test made, not the whole session's heap,
    so it costs milliseconds rather than seconds (an activation of several seconds trips the
    deadlock detector on a busy machine). The dropped run is made after the freeze, so it is
    collected as before."""
    was_on = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_on:
            gc.enable()


@pytest.fixture
def collect_in_activations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stretch of workflow code starts with a full collection, on the run's event loop."""
    run_once = instance_module._WorkflowInstanceImpl._run_once

    def collecting_first(self: Any, **kwargs: Any) -> None:
        self.call_soon(gc.collect)
        run_once(self, **kwargs)

    monkeypatch.setattr(instance_module._WorkflowInstanceImpl, "_run_once", collecting_first)


def _run(text: str, flow_input: dict[str, Any]) -> FlowRun:
    return FlowRun(
        graph=dict(compile_text(text)),
        input=flow_input,
        flow_name="dropped",
        execution_name=f"exec-{uuid.uuid4()}",
    )


async def _timers_started(client: Client, workflow_id: str, count: int) -> None:
    """Until the parked fan-out has started `count` timers."""
    handle = client.get_workflow_handle(workflow_id)

    async def parked() -> bool:
        history = await handle.fetch_history()
        started = [e for e in history.events if e.HasField("timer_started_event_attributes")]
        return len(started) >= count

    await wait_until(parked, timeout=10.0, every=0.05)


async def _replays(client: Client, workflow_id: str) -> None:
    history: WorkflowHistory = await client.get_workflow_handle(workflow_id).fetch_history()
    replayer = Replayer(workflows=[FnFFlow], workflow_runner=workflow_runner())
    outcome = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert outcome.replay_failure is None, outcome.replay_failure


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("collected_in", ["another-run", "its-own-next-run"])
async def test_a_dropped_run_does_nothing_where_it_is_collected(
    dev_server_address: str,
    shape: str,
    collected_in: str,
    collector_off: None,
    collect_in_activations: None,
) -> None:
    """`its-own-next-run`: the next worker's first activation replays the same run (as after
    a worker restart), and the dropped copy of that run is collected there."""
    client = await Client.connect(dev_server_address)
    queue = f"dropped-{uuid.uuid4().hex[:6]}"
    kind, body = SHAPES[shape]
    parked = _run(PARKED.format(kind=kind, shape=body), {"items": [1, 2]})
    async with serving(client, queue, FUNCTIONS):
        parked_handle = await start_execution(client, queue, parked, search_attributes=False)
        await _timers_started(client, parked_handle.id, 2)
    # The worker has shut down: the parked run's coroutines wait for the collector.
    async with serving(client, queue, FUNCTIONS):
        if collected_in == "another-run":
            other = await start_execution(client, queue, _run(LIVE, {}), search_attributes=False)
            live = await ended(client, other)
            assert live.status == "Succeeded"
            kinds = [e["Type"] for e in live.events if e["Type"].startswith("Execution")]
            assert kinds == ["ExecutionStarted", "ExecutionSucceeded"]
            await _replays(client, other.id)
        await stop_execution(parked_handle, **STOP)
        stopped = await ended(client, parked_handle)
    assert stopped.status == "Stopped"
    assert stopped.detail("ExecutionStopped") == STOP
    await _replays(client, parked_handle.id)
