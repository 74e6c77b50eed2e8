"""An in-process fnf-temporal worker for the tests: the production worker (worker/assembly.py)
with a function registry, serving one task queue for the length of a block."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.client import Client

from worker.assembly import Connectors, build_worker
from worker.connectors.mns import MnsClient
from worker.functions import FunctionRegistry, FunctionRuntime


def registry_of(functions: Path | FunctionRegistry | None) -> FunctionRegistry:
    """A registry file, a registry, or none (no functions: every call is FC.ServiceNotFound)."""
    if isinstance(functions, FunctionRegistry):
        return functions
    if functions is None:
        return FunctionRegistry.from_mapping({})
    return FunctionRegistry.load(functions)


@asynccontextmanager
async def serving(
    client: Client,
    task_queue: str,
    functions: Path | FunctionRegistry | None,
    mns: MnsClient | None = None,
    **options: Any,
) -> AsyncIterator[Connectors]:
    """A worker of everything (FnFFlow and every activity) on `task_queue` while the block runs;
    its function instances (and `mns`) are closed after it stops. `options` go to temporalio's
    Worker."""
    connectors = Connectors(FunctionRuntime(registry_of(functions)), mns)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(connectors.aclose)
        await stack.enter_async_context(build_worker(client, task_queue, connectors, **options))
        yield connectors
