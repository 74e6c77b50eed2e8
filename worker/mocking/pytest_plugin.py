"""The `fnf_flow` pytest fixture: run a flow against mocked functions from your own tests.

Installed with fnf-temporal (entry point `pytest11`), so any suite can write::

    def test_hotel_failure(fnf_flow):
        result = fnf_flow("flow.yaml", mocks="mocks.yaml", case="hotel-fails")
        assert result.steps[-1] == "OrderFailed"

`fnf_flow(flow, mocks, case=None, *, input=None, functions=None, check=True)` runs one case
on Temporal's time-skipping test server (started once per session, in a thread of its own, so
the fixture works in plain and in asyncio tests alike) and returns its CaseResult (`passed`,
`status`, `output`, `error`, `cause`, `steps`, `calls`, `failures`, `events`, `seconds`).
Relative paths are read from the test file's folder first, then from the working directory.
`mocks` is a mock file or its content as a dict; `case` may be left out when the file has one
case; `input` replaces the case's input; `functions` is the registry whose `localActivity`
entries run as local activities (default: functions.yaml beside the flow). With `check`
(the default) a case that misses its expectations fails the test with one line per reason;
`check=False` returns the result for your own assertions. FNF_TEST_TEMPORAL_ADDRESS points
the fixture at a running Temporal instead (where time passes for real).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

ADDRESS_VARIABLE = "FNF_TEST_TEMPORAL_ADDRESS"


class FlowTestSession:
    """One event loop in a daemon thread, one Temporal server and one mock worker per
    function registry, for the whole pytest session."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._testers: dict[str, Any] = {}

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result()

    async def run(
        self,
        flow: Path,
        mocks: Any,
        case: str | None,
        flow_input: dict[str, Any] | None,
        functions: Path | None,
    ) -> Any:
        from worker.mocking.model import check_against_flow, load_mocks, parse_mocks
        from worker.mocking.runner import FlowUnderTest

        under_test = FlowUnderTest.load(flow)
        mock_file = parse_mocks(mocks) if isinstance(mocks, dict) else load_mocks(mocks)
        check_against_flow(mock_file, under_test.graph, str(mocks), under_test.flows)
        if case is None:
            if len(mock_file.cases) != 1:
                known = ", ".join(mock_file.cases)
                raise ValueError(f"the mock file has several cases; name one ({known})")
            case = next(iter(mock_file.cases))
        if case not in mock_file.cases:
            known = ", ".join(mock_file.cases)
            raise KeyError(f"no case named {case!r} (the cases are: {known})")
        tester = await self._tester(functions)
        return await tester.run_case(under_test, mock_file, case, flow_input)

    async def _tester(self, functions: Path | None) -> Any:
        from worker.functions import FunctionRegistry
        from worker.mocking.runner import FlowTester, time_skipping_server

        key = str(functions or "")
        if key not in self._testers:
            if self._client is None:
                address = os.environ.get(ADDRESS_VARIABLE)
                if address:
                    from temporalio.client import Client

                    self._client = await Client.connect(address)
                else:
                    env = await self._stack.enter_async_context(time_skipping_server())
                    self._client = env.client
            registry = FunctionRegistry.load(functions) if functions else None
            tester = FlowTester(self._client, registry)
            self._testers[key] = await self._stack.enter_async_context(tester)
        return self._testers[key]

    def close(self) -> None:
        self.call(self._stack.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def fnf_flow_session() -> Iterator[FlowTestSession]:
    """The session's Temporal server and mock workers (started on first use)."""
    session = FlowTestSession()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def fnf_flow(
    request: pytest.FixtureRequest, fnf_flow_session: FlowTestSession
) -> Callable[..., Any]:
    """fnf_flow(flow, mocks, case=None, *, input=None, functions=None, check=True) ->
    CaseResult: one test case of a flow against mocked functions (module docstring)."""
    folder = Path(str(request.path)).parent

    def run(
        flow: str | Path,
        mocks: str | Path | dict[str, Any],
        case: str | None = None,
        *,
        input: dict[str, Any] | None = None,
        functions: str | Path | None = None,
        check: bool = True,
    ) -> Any:
        flow_path = _near(folder, flow)
        mock_source = mocks if isinstance(mocks, dict) else _near(folder, mocks)
        registry = _near(folder, functions) if functions is not None else None
        beside = flow_path.parent / "functions.yaml"
        if registry is None and beside.is_file():
            registry = beside
        work = fnf_flow_session.run(flow_path, mock_source, case, input, registry)
        result = fnf_flow_session.call(work)
        if check and not result.passed:
            raise AssertionError(result.message())
        return result

    return run


def _near(folder: Path, path: str | Path) -> Path:
    """`path` from the test file's folder when it is there, else as given (the cwd)."""
    candidate = folder / path
    return candidate if candidate.exists() else Path(path)
