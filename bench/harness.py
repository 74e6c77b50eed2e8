"""What the benchmarks share: a server to run on, an fnf-temporal worker, CPU clocks, and a
breakdown of one execution's Temporal history.

The scripts in this folder import it as a sibling module (`python bench/<script>.py` puts this
folder first on the import path).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from worker.assembly import Connectors, build_worker
from worker.connection import TemporalSecurity, connect_temporal
from worker.devserver import DevServer, DevServerOptions
from worker.functions import FunctionRegistry, FunctionRuntime
from worker.settings import Settings

HERE = Path(__file__).resolve().parent
REGISTRY = HERE / "functions.yaml"
ARN = "acs:fc:::services/bench/functions"


@dataclass
class Server:
    """Where the benchmark runs: a client, and the server's pid when we started it."""

    client: Client
    address: str
    embedded: bool
    pid: int | None


@asynccontextmanager
async def temporal_server(address: str | None) -> AsyncIterator[Server]:
    """A client for `address`, or for an embedded dev server (fast dispatch on) started here."""
    if address:  # secured as FNF_TEMPORAL_TLS* / FNF_TEMPORAL_API_KEY say
        settings = Settings(temporal_address=address)
        security = TemporalSecurity.from_settings(settings)
        client = await connect_temporal(address, settings.namespace, security)
        yield Server(client, address, embedded=False, pid=None)
        return
    async with await DevServer.start(DevServerOptions()) as dev:
        client = await connect_temporal(dev.address, dev.namespace)
        yield Server(client, dev.address, embedded=True, pid=dev.pid)


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line (described by the first line of its docstring) with the
    options every benchmark takes: the server (`--address`, default an embedded dev server
    started here) and `--json`, a file to write the results to."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--address", help="Temporal server HOST:PORT (default: embedded)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    return parser


def print_json(report: dict[str, Any]) -> None:
    print(json.dumps(report, indent=2))


def run_benchmark(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]],
    show: Callable[[dict[str, Any]], None] | None = print_json,
    verified: bool = False,
) -> None:
    """A benchmark's main: run it with the command line's options, `show` the report, write it
    to `--json` when given; with `verified`, exit 1 unless every result of the report says it
    was verified (its output checked)."""
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if show is not None:
        show(report)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if verified and not all(result["verified"] for result in report["results"]):
        raise SystemExit(1)


def workflow_runner_options(unsandboxed: bool) -> dict[str, Any]:
    """Worker options that choose the workflow runner (the default is Temporal's sandbox)."""
    return {"workflow_runner": UnsandboxedWorkflowRunner()} if unsandboxed else {}


def bench_runtime() -> FunctionRuntime:
    """A function runtime serving functions.yaml (its instances start on first call)."""
    return FunctionRuntime(FunctionRegistry.load(REGISTRY))


@asynccontextmanager
async def fnf_worker(
    client: Client, task_queue: str, **options: Any
) -> AsyncIterator[tuple[Worker, FunctionRuntime]]:
    """The fnf-temporal worker (FnFFlow and the task activities) serving the bench registry."""
    async with AsyncExitStack() as stack:
        connectors = Connectors(bench_runtime(), None)
        stack.push_async_callback(connectors.aclose)
        worker = build_worker(client, task_queue, connectors, **options)
        await stack.enter_async_context(worker)
        yield worker, connectors.functions


class CpuClock:
    """CPU seconds (user + system) of this process and, on Linux, of another one (the server).

    Function instances are child processes of this one; their CPU is not counted.
    """

    def __init__(self, other_pid: int | None) -> None:
        self.other_pid = other_pid
        self._ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def read(self) -> tuple[float, float | None]:
        return time.process_time(), self._other()

    def _other(self) -> float | None:
        if self.other_pid is None:
            return None
        try:
            stat = Path(f"/proc/{self.other_pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        # Fields 14 and 15 of proc(5) (utime, stime), counted after the ")" of the name.
        return (int(fields[11]) + int(fields[12])) / self._ticks


async def settle(clock: CpuClock, limit: float = 10.0) -> None:
    """Wait until the server is idle again (under 10 % of a core for half a second), so that
    work left over from one measurement (history tasks, timers) does not slow the next."""
    if clock.other_pid is None:
        await asyncio.sleep(2.0)
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = clock.read()
        await asyncio.sleep(0.5)
        server = cpu_spent(before, clock.read())[1]
        if server is None or server < 0.05:
            return


def cpu_spent(
    before: tuple[float, float | None], after: tuple[float, float | None]
) -> tuple[float, float | None]:
    own = after[0] - before[0]
    other = None if before[1] is None or after[1] is None else after[1] - before[1]
    return own, other


@dataclass
class HistoryBreakdown:
    """Where one execution's time went, from the server's own timestamps."""

    events: int
    history_bytes: int
    total_ms: float
    workflow_tasks: int
    workflow_task_ms: float
    """Sum over workflow tasks of started -> completed: the worker running workflow code."""
    activity_ms: float
    """Sum over activities of started -> completed (overlapping ones add up)."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def history_breakdown(handle: WorkflowHandle[Any, Any]) -> HistoryBreakdown:
    history = await handle.fetch_history()
    events = history.events
    described = await handle.describe()
    size = described.raw_description.workflow_execution_info.history_size_bytes
    started: dict[int, float] = {}
    workflow_task_ms = activity_ms = 0.0
    workflow_tasks = 0
    for event in events:
        moment = event.event_time.ToDatetime().timestamp()
        kind = event.event_type
        if kind in (
            EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        ):
            started[event.event_id] = moment
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attributes = event.workflow_task_completed_event_attributes
            workflow_task_ms += (moment - started[attributes.started_event_id]) * 1000
            workflow_tasks += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attributes = event.activity_task_completed_event_attributes
            activity_ms += (moment - started[attributes.started_event_id]) * 1000
    first = events[0].event_time.ToDatetime().timestamp()
    last = events[-1].event_time.ToDatetime().timestamp()
    return HistoryBreakdown(
        events=len(events),
        history_bytes=size,
        total_ms=(last - first) * 1000,
        workflow_tasks=workflow_tasks,
        workflow_task_ms=workflow_task_ms,
        activity_ms=activity_ms,
    )
