"""Reading a closed execution's FnF history: the `history` query (replays the run on a worker)
against the archive the run wrote as it closed (read from its Temporal history, no worker).

One execution of a polling loop (a task and a choice per turn, 7 FnF events a turn) runs to
about `--events` events in one run. Then, in one process:

- before: the whole history read through the query path (what every closed run cost before
  archives, and what runs closed before them still cost), with the worker running;
- after: the same history read from the archive with the worker stopped, cold (the reader's
  cache of decoded archives emptied before every read);
- api: GetExecutionHistory through a real `fnf api --no-worker` (JSON form, Limit 1000,
  following NextToken), no worker for executions anywhere; warm after the first read (the API
  keeps the decoded archives of recent closed runs).

Both reader paths return the same events (checked). Prints p50/p95 per path and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from harness import ARN, bench_parser, fnf_worker, run_benchmark, temporal_server

import worker.history as history
from translator import compile_text
from worker.archive import ArchiveChunk, encode_chunk
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import RunTail, read_history

EVENTS_PER_TURN = 9
FLOW = f"""\
version: v1
type: flow
steps:
  - type: task
    name: tick
    resourceArn: {ARN}/countdown
    inputMappings: [{{target: left, source: $input.left}}]
  - type: task
    name: tock
    resourceArn: {ARN}/countdown
    inputMappings: [{{target: left, source: $local.left}}]
  - type: choice
    name: again
    inputMappings: [{{target: left, source: $local.left}}]
    choices:
      - condition: $.left > 0
        goto: tock
"""


@contextmanager
def query_path_only() -> Iterator[None]:
    """Readers see no archive: every run answers through the `history` query."""
    real = history.run_tail

    async def without_archive(client: Any, workflow_id: str, run_id: str) -> RunTail:
        tail = await real(client, workflow_id, run_id)
        return RunTail(tail.closed, tail.next_run, None)

    history.run_tail = without_archive  # type: ignore[assignment]
    try:
        yield
    finally:
        history.run_tail = real


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def timed(reads: int, read: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    seconds, answer = [], None
    for _ in range(reads):
        began = time.perf_counter()
        answer = await read()
        seconds.append(time.perf_counter() - began)
    return seconds, answer


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "n": len(ordered)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_api(address: str, queue: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "FNF_ALLOW_UNSIGNED": "true",
        "FNF_TASK_QUEUE": queue,
        "FNF_API_TASK_QUEUE": f"{queue}-api",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "api",
                "--address",
                address,
                "--port",
                str(port),
                "--no-worker",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"fnf api did not start (log: {log})")


async def api_history(api: httpx.AsyncClient, flow: str, execution: str) -> list[Any]:
    events: list[Any] = []
    token = ""
    while True:
        body = {"FlowName": flow, "ExecutionName": execution, "Limit": 1000}
        if token:
            body["NextToken"] = token
        answer = (await api.post("/actions/GetExecutionHistory", json=body)).json()
        events += answer["Events"]
        token = answer.get("NextToken") or ""
        if not token:
            return events


async def run(args: argparse.Namespace) -> dict[str, Any]:
    turns = max(1, args.events // EVENTS_PER_TURN)
    queue = f"bench-history-{uuid.uuid4().hex[:6]}"
    flow, execution = f"history{uuid.uuid4().hex[:6]}", f"e-{uuid.uuid4()}"
    async with temporal_server(args.address) as server:
        client = server.client
        log = Path(tempfile.gettempdir()) / f"{queue}-api.log"
        process, url = start_api(server.address, queue, log)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=120) as api:
                created = await api.post(
                    "/actions/CreateFlow",
                    json={"Name": flow, "Definition": FLOW, "Description": "", "Type": "FDL"},
                )
                assert created.status_code == 200, created.text
                say(f"flow {flow} created; running {turns} turns")
                run = FlowRun(
                    graph=dict(compile_text(FLOW)),
                    input={"left": turns},
                    flow_name=flow,
                    execution_name=execution,
                )
                async with fnf_worker(client, queue):
                    began = time.perf_counter()
                    handle = await start_execution(client, queue, run)
                    await handle.result()
                    ran = time.perf_counter() - began
                    say(f"ran in {ran:.1f} s; reading through the query")
                    with query_path_only():
                        before, queried = await timed(
                            args.reads, lambda: read_history(client, handle.id)
                        )
                say("worker stopped; reading the archive")

                # No worker serves executions from here on.
                async def cold() -> list[Any]:
                    history._archives.clear()
                    return await read_history(client, handle.id)

                after, archived = await timed(args.reads, cold)
                assert archived == queried, "the archive differs from the query's answer"
                say("reading through the API")
                through_api, answered = await timed(
                    args.reads, lambda: api_history(api, flow, execution)
                )
                assert [e["EventId"] for e in answered] == [e["EventId"] for e in queried]
        finally:
            process.terminate()
            process.wait(10)
    archived_bytes = len(encode_chunk(ArchiveChunk(1, len(queried) + 1, queried)))
    result = {
        "events": len(queried),
        "events_json_bytes": len(json.dumps(queried, ensure_ascii=False)),
        "archive_bytes": archived_bytes,
        "run_seconds": ran,
        "before_query_with_worker": summary(before),
        "after_archive_no_worker_cold": summary(after),
        "api_get_execution_history_no_worker": summary(through_api),
        "load_average": os.getloadavg(),
    }
    result["ratio_p50_before_over_after"] = (
        result["before_query_with_worker"]["p50_ms"]
        / result["after_archive_no_worker_cold"]["p50_ms"]
    )
    return result


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--reads", type=int, default=20)
    run_benchmark(parser, run)


if __name__ == "__main__":
    main()
