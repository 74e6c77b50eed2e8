"""Workers spread over processes: one interpreter worker, one pool per FC service.

Each pool is `fnf worker` in its own process on the session's dev server: the interpreter with
`--workflows-only` and a registry holding only `services:` routes (no function code), each
function pool with `--service NAME` and its team's registry. A function pool killed with
SIGKILL while its function runs is replaced, and the flow finishes with each side effect once
(the killed call runs again with the same request id, its idempotency key). A service routed
to a queue that no worker polls leaves its task scheduled, saying which queue it waits for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import PendingActivityState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from tests.helpers.worker_processes import WorkerProcess, WorkerProcesses, wait_until
from translator import compile_text
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history

HANDLERS = Path(__file__).parent / "fixtures" / "pools" / "functions.py"

FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: reserve
    resourceArn: acs:fc:::services/payments/functions/effect
    inputMappings: [{target: effects, source: $input.effects}, {target: step, source: reserve}]
  - type: task
    name: charge
    resourceArn: acs:fc:::services/payments/functions/effect
    inputMappings:
      - {target: effects, source: $input.effects}
      - {target: step, source: charge}
      - {target: seconds, source: $input.work}
  - type: task
    name: ship
    resourceArn: acs:fc:::services/shipping/functions/effect
    inputMappings: [{target: effects, source: $input.effects}, {target: step, source: ship}]
"""

LEDGER_FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: book
    resourceArn: acs:fc:::services/ledger/functions/effect
"""


class Pool(WorkerProcess):
    """`fnf worker` with one role: the interpreter (`--workflows-only`) or one service's
    function pool (`--service KIND`); its functions write POOL, its name, into their marks."""

    def __init__(
        self, address: str, queue: str, files: dict[str, Path], logs: Path, kind: str
    ) -> None:
        role = ("--workflows-only",) if kind == "interpreter" else ("--service", kind)
        self.env_pool = f"{kind}-{uuid.uuid4().hex[:4]}"
        log = logs / f"{kind}.log"
        super().__init__(address, queue, files[kind], log, *role, env={"POOL": self.env_pool})


@pytest.fixture
def cluster(
    dev_server_address: str, tmp_path: Path, worker_processes: WorkerProcesses
) -> Iterator[Any]:
    """Registries on unique queues, and a starter of pools that are all killed at the end."""
    tag = uuid.uuid4().hex[:8]
    queues = {"fnf": f"pools-{tag}", "payments": f"payments-{tag}", "shipping": f"ship-{tag}"}
    queues["ledger"] = f"ledger-{tag}"  # no worker ever polls it
    routes = "".join(
        f"  {service}: {{taskQueue: {queue}}}\n"
        for service, queue in queues.items()
        if service != "fnf"
    )
    files = {"interpreter": tmp_path / "interpreter.yaml"}
    files["interpreter"].write_text(f"services:\n{routes}")
    for service in ("payments", "shipping"):
        files[service] = tmp_path / f"{service}.yaml"
        files[service].write_text(
            f"services:\n  {service}: {{taskQueue: {queues[service]}}}\n"
            f"functions:\n  {service}/effect: {{handler: '{HANDLERS}:effect'}}\n"
        )

    def start(kind: str) -> Pool:
        return worker_processes.add(Pool(dev_server_address, queues["fnf"], files, tmp_path, kind))

    start.queues = queues  # type: ignore[attr-defined]
    yield start


async def start_flow(client: Client, queue: str, flow: str, flow_input: dict[str, Any]) -> Any:
    run = FlowRun(
        graph=dict(compile_text(flow)),
        input=flow_input,
        flow_name="pools",
        execution_name=f"exec-{uuid.uuid4()}",
        heartbeat_timeout=2,
    )
    return await start_execution(client, queue, run, search_attributes=False)


async def test_function_pool_killed_mid_call_is_replaced(
    dev_server_address: str, cluster: Any, tmp_path: Path
) -> None:
    effects = tmp_path / "effects"
    effects.mkdir()
    cluster("interpreter")
    payments = cluster("payments")
    cluster("shipping")
    client = await Client.connect(dev_server_address)
    handle = await start_flow(
        client, cluster.queues["fnf"], FLOW, {"effects": str(effects), "work": 30}
    )

    async def charging() -> bool:
        return (effects / "started-charge").exists()

    await wait_until(charging)
    payments.kill()
    replacement = cluster("payments")
    assert await asyncio.wait_for(handle.result(), 90) == {
        "reserve": "done",
        "charge": "done",
        "ship": "done",
    }
    calls = [line.split() for line in (effects / "calls").read_text().splitlines()]
    # The charge cut off by the kill ran again, on the replacement; nothing else ran twice.
    assert Counter(step for step, _ in calls) == {"reserve": 1, "charge": 2, "ship": 1}
    pools = {step: pool for step, pool in calls}
    assert pools["charge"] == replacement.env_pool
    assert pools["ship"].startswith("shipping-") and pools["reserve"].startswith("payments-")
    # Each side effect once: the second charge call had the same request id.
    made = Counter(path.name.split("-")[1] for path in effects.glob("effect-*"))
    assert made == {"reserve": 1, "charge": 1, "ship": 1}
    events = await read_history(client, handle.id)
    assert [e["Type"] for e in events if e["StepName"] == "charge"].count("TaskSucceeded") == 1


async def test_task_on_a_queue_without_workers_says_what_it_waits_for(
    dev_server_address: str, cluster: Any, tmp_path: Path
) -> None:
    cluster("interpreter")
    client = await Client.connect(dev_server_address)
    handle = await start_flow(client, cluster.queues["fnf"], LEDGER_FLOW, {})
    ledger = cluster.queues["ledger"]

    async def scheduled() -> bool:
        return bool((await handle.describe()).raw_description.pending_activities)

    await wait_until(scheduled)
    await asyncio.sleep(1)
    (pending,) = (await handle.describe()).raw_description.pending_activities
    assert pending.activity_type.name == "InvokeFunction"
    assert pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    history = await handle.fetch_history()
    (event,) = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    assert event.activity_task_scheduled_event_attributes.task_queue.name == ledger
    summary = client.data_converter.payload_converter.from_payloads(
        [event.user_metadata.summary], [str]
    )
    [text] = summary
    assert text.startswith("task book (fc ledger/effect") and text.endswith(
        f" on task queue {ledger}"
    ), text
    pollers = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=ledger),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        )
    )
    assert not pollers.pollers
    await handle.terminate("test over")
