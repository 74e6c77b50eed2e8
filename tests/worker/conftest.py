"""Run example flows on the session's Temporal server with the real worker and functions.

`run_flow` starts one execution of a flow file (or text) on a worker that serves the
registry of the flow's example, and returns what a user sees: status, output or error, and
the FnF events.

A flow that starts a sub-flow without waiting for it (`pattern: requestResponse`, a child
with parent-close policy ABANDON) runs on a second time-skipping server of its own: on the
test server such a child can leave time skipping locked for everything that runs after it,
so later waits and retry backoffs would take their real time (sdk-typescript issue 1101
reports the same hang of the test server after an abandoned child). `Outcome.client` is the
client of the server the execution ran on.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.conftest import installed_binary
from tests.helpers.workers import serving
from translator import compile_file, compile_text
from worker.execution import FlowRun
from worker.executions import failure_of, start_execution
from worker.history import read_history, run_chain
from worker.naming import workflow_id

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Outcome:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]
    workflow_id: str
    runs: int = 1
    client: Client | None = field(default=None, repr=False, compare=False)

    def types(self, step: str | None = None) -> list[str]:
        return [e["Type"] for e in self.events if step is None or e["StepName"] == step]

    def trail(self) -> list[str]:
        return [f"{e['Type']}:{e['StepName']}" if e["StepName"] else e["Type"] for e in self.events]

    def detail(self, kind: str, step: str = "", nth: int = 0) -> dict[str, Any]:
        found = [e for e in self.events if e["Type"] == kind and e["StepName"] == step]
        return dict(json.loads(found[nth]["EventDetail"]))


RunFlow = Callable[..., Awaitable[Outcome]]


async def execute(client: Client, queue: str, run: FlowRun) -> Outcome:
    handle = await start_execution(client, queue, run, search_attributes=False)
    try:
        output = await handle.result()
    except WorkflowFailureError as failure:
        assert isinstance(failure.cause, ApplicationError), failure.cause
        error, cause = failure_of(failure.cause)
        events = await read_history(client, handle.id)
        return Outcome("Failed", None, error, cause, events, handle.id, client=client)
    events = await read_history(client, handle.id)
    runs = len(await run_chain(client, handle.id))
    return Outcome("Succeeded", output, None, None, events, handle.id, runs, client)


def abandons_children(graph: Any) -> bool:
    """Whether a compiled flow (or any flow it names) starts a sub-flow it does not wait for."""
    if isinstance(graph, dict):
        resource = graph.get("resource")
        if (
            isinstance(resource, dict)
            and resource.get("kind") == "fnf-flow"
            and graph.get("pattern") == "requestResponse"
        ):
            return True
        return any(abandons_children(value) for value in graph.values())
    if isinstance(graph, list):
        return any(abandons_children(value) for value in graph)
    return False


@pytest_asyncio.fixture(scope="session")
async def run_flow(temporal_env: WorkflowEnvironment) -> AsyncIterator[RunFlow]:
    """run_flow(name, input, flow="flow.yaml", text=None, functions=None, **FlowRun fields).

    `name` is the example (its flow and registry) and the flow name; `text` replaces the flow
    file, `functions` the registry."""
    async with AsyncExitStack() as stack:
        queues: dict[tuple[int, str], str] = {}
        servers: dict[str, WorkflowEnvironment] = {"shared": temporal_env}

        async def server_for(abandoning: bool) -> WorkflowEnvironment:
            if not abandoning:
                return temporal_env
            if "abandoning" not in servers:
                servers["abandoning"] = await stack.enter_async_context(
                    await WorkflowEnvironment.start_time_skipping(
                        test_server_existing_path=installed_binary("temporal-test-server")
                    )
                )
            return servers["abandoning"]

        async def queue_for(env: WorkflowEnvironment, example: str, registry_file: Path) -> str:
            key = (id(env), example)
            if key not in queues:
                queue = f"examples-{example}-{uuid.uuid4().hex[:6]}"
                functions = registry_file if registry_file.exists() else None
                await stack.enter_async_context(serving(env.client, queue, functions))
                queues[key] = queue
            return queues[key]

        async def run(
            example: str,
            flow_input: dict[str, Any],
            flow: str = "flow.yaml",
            text: str | None = None,
            functions: Path | None = None,
            **fields: Any,
        ) -> Outcome:
            graph = compile_text(text) if text else compile_file(EXAMPLES / example / flow)
            name = f"exec-{uuid.uuid4()}"
            run = FlowRun(
                graph=dict(graph),
                input=flow_input,
                flow_name=example,
                execution_name=name,
                **fields,
            )
            env = await server_for(abandons_children([run.graph, fields.get("flows")]))
            registry = functions or EXAMPLES / example / "functions.yaml"
            queue = await queue_for(env, str(registry) if functions else example, registry)
            outcome = await execute(env.client, queue, run)
            assert outcome.workflow_id == workflow_id(example, name)
            return outcome

        yield run
