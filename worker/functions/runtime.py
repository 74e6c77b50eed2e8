"""The one object the worker's task activity talks to: find a function, call it, get JSON.

    registry = FunctionRegistry.load(path)
    runtime = FunctionRuntime(registry)          # long-lived, one per worker process
    output = await runtime.invoke(resource, event_bytes, invocation)
    await runtime.aclose()

Every failure is a FunctionError(name, cause) whose name retry and catch match on; nothing a
function does (or fails to do) raises anything else.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import httpx

from translator.resources import Resource

from .http_runtime import HttpRuntime
from .invocation import Invocation
from .python_runtime import DEFAULT_CONCURRENCY, PythonRuntime
from .registry import FunctionRegistry, PythonFunction


class FunctionRuntime:
    """Routes each call to the Python instances or to the HTTP client, both kept warm."""

    def __init__(
        self,
        registry: FunctionRegistry,
        *,
        instance_concurrency: int = DEFAULT_CONCURRENCY,
        http_client: httpx.AsyncClient | None = None,
        python: str = sys.executable,
    ) -> None:
        """`instance_concurrency`: calls one Python instance serves at once, unless its
        registry entry says otherwise (FC's instanceConcurrency). `http_client`: bring your own
        (it is then not closed here). `python`: the interpreter that runs handler instances."""
        self.registry = registry
        self._python = PythonRuntime(default_concurrency=instance_concurrency, python=python)
        self._http = HttpRuntime(http_client)

    def timeout_for(self, resource: Resource) -> float:
        """The function's own timeout (registry `timeout`); raises FunctionError if unknown."""
        return self.registry.timeout_for(resource)

    async def invoke(self, resource: Resource, event: bytes, invocation: Invocation) -> Any:
        """Call what serves `resource` (kind "fc" or "action") with the step input's JSON."""
        target = self.registry.resolve(resource)
        if isinstance(target, PythonFunction):
            return await self._python.invoke(target, resource, event, invocation)
        return await self._http.invoke(target, event, invocation)

    async def aclose(self) -> None:
        """Stop the instances and close the HTTP client."""
        try:
            await self._python.aclose()
        finally:
            await self._http.aclose()

    async def __aenter__(self) -> FunctionRuntime:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
