"""A new interpreter release deployed while executions of the old one are parked.

Release N is `fnf worker` with the newest patch held back (tests/e2e/earlier_release.py: the
command sequence the earlier release wrote); release N+1 is the current code. Executions park
on N: one on a callback, one in a long wait, one in a loop that continues as new. Then N+1
starts, N stops, and every execution finishes on N+1: the callback is delivered, the wait
elapses, the loop goes on. Each run replays on N+1 because the interpreter's patch markers
keep old command sequences (DESIGN 4): a run begun on N keeps N's sequence to its end, and the
loop's next run (after continue-as-new) takes N+1's.

Twice: a plain rolling replacement (unversioned workers), and Temporal worker versioning
(FNF_DEPLOYMENT_NAME / FNF_BUILD_ID, executions AutoUpgrade) with the README's
`temporal worker deployment set-current-version` step.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Replayer

from tests.conftest import installed_binary
from tests.helpers.worker_processes import WorkerProcess, WorkerProcesses, wait_until
from translator import compile_text
from worker.callbacks.client import report_task_succeeded
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history, run_chain
from worker.interpreter.steps.activity_call import TASK_QUEUE_PATCH
from worker.interpreter.versions import ON_SINCE
from worker.workflow import FnFFlow

HANDLERS = Path(__file__).parent / "fixtures" / "pools" / "functions.py"
ARN = "acs:fc:::services/payments/functions"

CALLBACK = f"""\
version: v1
type: flow
steps:
  - type: task
    name: approve
    resourceArn: {ARN}/submit
    pattern: waitForCallback
    inputMappings:
      - {{target: token, source: $context.task.token}}
      - {{target: effects, source: $input.effects}}
"""

WAIT = f"""\
version: v1
type: flow
steps:
  - type: wait
    name: nap
    duration: 10
  - type: task
    name: after
    resourceArn: {ARN}/effect
    inputMappings: [{{target: effects, source: $input.effects}}, {{target: step, source: after}}]
"""

LOOP = f"""\
version: v1
type: flow
steps:
  - type: pass
    name: Init
    outputMappings: [{{target: left, source: $input.iterations}}]
  - type: task
    name: Tick
    resourceArn: {ARN}/countdown
    inputMappings:
      - {{target: left, source: $local.left}}
      - {{target: effects, source: $input.effects}}
  - type: wait
    name: Breathe
    duration: 1
  - type: choice
    name: More
    inputMappings: [{{target: left, source: $local.left}}]
    choices:
      - condition: $.left > 0
        goto: Tick
    default:
      goto: Done
  - type: succeed
    name: Done
"""

ITERATIONS = 14


class Release(WorkerProcess):
    """`fnf worker` (everything in one process) of release N or N+1."""

    def __init__(self, address: str, queue: str, registry: Path, log: Path, **env: str) -> None:
        module = "tests.e2e.earlier_release" if "FNF_TEST_UNRELEASED_PATCHES" in env else "cli.main"
        env = {"FNF_STICKY_QUEUE_TIMEOUT": "1", **env}
        super().__init__(address, queue, registry, log, module=module, env=env)


@pytest.fixture
def releases(
    dev_server_address: str, tmp_path: Path, worker_processes: WorkerProcesses
) -> Iterator[Any]:
    tag = uuid.uuid4().hex[:8]
    registry = tmp_path / "functions.yaml"
    registry.write_text(
        f"services:\n  payments: {{taskQueue: upgrade-pay-{tag}}}\nfunctions:\n"
        + "".join(
            f"  payments/{name}: {{handler: '{HANDLERS}:{name}'}}\n"
            for name in ("submit", "effect", "countdown")
        )
    )

    def start(name: str, **env: str) -> Release:
        log = tmp_path / f"{name}.log"
        release = Release(dev_server_address, f"upgrade-{tag}", registry, log, POOL=name, **env)
        return worker_processes.add(release)

    start.tag = tag  # type: ignore[attr-defined]
    start.queue = f"upgrade-{tag}"  # type: ignore[attr-defined]
    yield start


def set_current_version(address: str, deployment: str, build: str) -> None:
    """The README's step: make `build` the deployment's current version (retried until its
    workers have polled, which registers the version)."""
    command = [installed_binary("temporal"), "worker", "deployment", "set-current-version"]
    command += ["--address", address, "--deployment-name", deployment, "--build-id", build]
    command += ["--yes"]
    deadline = time.monotonic() + 30
    while True:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode == 0:
            return
        assert time.monotonic() < deadline, done.stderr
        time.sleep(0.5)


async def activity_queues(client: Client, handle: WorkflowHandle[Any, Any]) -> list[list[str]]:
    """The task queue of each InvokeFunction the execution scheduled, per run."""
    queues = []
    for run_id in await run_chain(client, handle.id):
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        queues.append(
            [
                event.activity_task_scheduled_event_attributes.task_queue.name
                for event in history.events
                if event.HasField("activity_task_scheduled_event_attributes")
            ]
        )
    return queues


@pytest.mark.parametrize("versioning", [False, True], ids=["rolling", "worker-deployment"])
async def test_parked_executions_finish_on_the_next_release(
    dev_server_address: str, releases: Any, tmp_path: Path, versioning: bool
) -> None:
    deployment = f"fnf-{releases.tag}"
    versions = {"N": {}, "N+1": {}}
    if versioning:
        versions = {
            name: {"FNF_DEPLOYMENT_NAME": deployment, "FNF_BUILD_ID": name} for name in versions
        }
    old = releases("N", FNF_TEST_UNRELEASED_PATCHES=TASK_QUEUE_PATCH, **versions["N"])
    if versioning:
        set_current_version(dev_server_address, deployment, "N")
    client = await Client.connect(dev_server_address)
    effects = {name: tmp_path / name for name in ("callback", "wait", "loop")}
    handles = {}
    for name, flow in (("callback", CALLBACK), ("loop", LOOP), ("wait", WAIT)):
        effects[name].mkdir()
        run = FlowRun(
            graph=dict(compile_text(flow)),
            input={"effects": str(effects[name]), "iterations": ITERATIONS},
            flow_name="upgrade",
            execution_name=f"{name}-{uuid.uuid4()}",
            continue_as_new_at=100,
            # Release N started its executions with the interpreter version it had, the one
            # before TASK_QUEUE_PATCH was listed (worker/interpreter/versions.py).
            interpreter_version=ON_SINCE[TASK_QUEUE_PATCH] - 1,
        )
        handles[name] = await start_execution(client, releases.queue, run, search_attributes=False)

    def ticks() -> list[list[str]]:
        calls = effects["loop"] / "calls"
        return (
            [line.split()[1:] for line in calls.read_text().splitlines()] if calls.exists() else []
        )

    async def parked() -> bool:
        return (effects["callback"] / "token").exists() and len(ticks()) >= 3

    if versioning:  # N+1 deployed beside N: it takes no task until it is the current version
        new = releases("N+1", **versions["N+1"])
    await wait_until(parked, every=0.2)
    if versioning:
        set_current_version(dev_server_address, deployment, "N+1")
    else:
        new = releases("N+1")
    old.stop()  # parked: the callback waits, the wait runs, the loop is between iterations
    token = (effects["callback"] / "token").read_text()
    await report_task_succeeded(client, token, {"approved": True})
    results = {
        name: await asyncio.wait_for(handle.result(), 90) for name, handle in handles.items()
    }
    assert results["callback"] == {"approved": True}
    assert results["loop"] == {"left": 0}
    # The loop went on where it was: each iteration once, the first ones on N, the rest on N+1.
    done = ticks()
    assert [int(left) for left, _ in done] == list(range(ITERATIONS, 0, -1))
    pools = [pool for _, pool in done]
    assert pools[0] == "N" and pools[-1] == "N+1" and pools == sorted(pools, key=len)
    after = [line.split()[1] for line in (effects["wait"] / "calls").read_text().splitlines()]
    assert after == ["N+1"]  # the wait elapsed after the upgrade; its task ran once
    # N's runs keep N's command sequence (every function on the execution's own queue); the
    # loop's runs that N+1 started route its function to the service's queue.
    loop_runs = await activity_queues(client, handles["loop"])
    assert len(loop_runs) >= 2
    assert set(loop_runs[0]) == {releases.queue}
    assert set(loop_runs[-1]) == {f"upgrade-pay-{releases.tag}"}
    for handle in handles.values():
        events = await read_history(client, handle.id)
        assert events[-1]["Type"] == "ExecutionSucceeded"
        for run_id in await run_chain(client, handle.id):
            history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
            await Replayer(workflows=[FnFFlow]).replay_workflow(history)
        if versioning:
            info = (await handle.describe()).raw_description.workflow_execution_info
            assert info.versioning_info.deployment_version.build_id == "N+1"
    new.stop()
