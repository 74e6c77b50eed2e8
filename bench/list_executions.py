"""ListExecutions over many executions: the cost of one page, with data and MetadataOnly, beside
a hand-written visibility list of the same page.

`--executions` executions of one flow (a pass step that copies its input, plus `--turns` turns
of a task loop so each run's history has some length) run to the end; then, in one process
and on one server, every page of the flow's executions is read, `--rounds` times:

- **fnf data**: ListExecutions through a real `fnf api --no-worker` (JSON form), `Limit` per
  page, with FlowDefinition, Input and Output (the default);
- **fnf metadata**: the same with `MetadataOnly=true`;
- **hand-written**: `Client.list_workflows` with the same page size and the same filter (flow
  name, workflow type), reading each execution's memo: what a Temporal user writes to list.

Every answer is checked: the executions listed once each, their Input and Output as started and
returned. Prints p50/p95 per page and per path and the ratios to the hand-written list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from harness import ARN, fnf_worker, temporal_server
from history_reads import start_api

from worker.naming import FLOW_NAME
from worker.visibility_query import all_of, equals

FLOW_TEXT = """\
version: v1
type: flow
steps:
  - type: pass
    name: Copy
    outputMappings:
      - target: n
        source: $input.n
      - target: left
        source: $input.turns
  - type: choice
    name: More
    inputMappings: [{target: left, source: $local.left}]
    choices:
      - condition: $.left > 0
        goto: Turn
    default:
      goto: Done
  - type: task
    name: Turn
    resourceArn: ARN/countdown
    inputMappings: [{target: left, source: $local.left}]
  - type: choice
    name: Again
    inputMappings: [{target: left, source: $local.left}]
    choices:
      - condition: $.left > 0
        goto: Turn
  - type: succeed
    name: Done
"""
FLOW = FLOW_TEXT.replace("ARN", ARN)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "n": len(ordered)}


async def call(api: httpx.AsyncClient, action: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post(f"/actions/{action}", json=body)
    assert answer.status_code == 200, f"{action}: {answer.status_code} {answer.text[:300]}"
    found: dict[str, Any] = answer.json()
    return found


async def start_all(api: httpx.AsyncClient, flow: str, count: int, turns: int) -> None:
    slots = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        async with slots:
            body = {
                "FlowName": flow,
                "ExecutionName": f"e{i:05d}",
                "Input": json.dumps({"n": i, "turns": turns}),
            }
            await call(api, "StartExecution", body)

    await asyncio.gather(*(one(i) for i in range(count)))


async def until_done(api: httpx.AsyncClient, flow: str, count: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        listed = await api_pages(api, flow, 100, metadata_only=True, times=None)
        done = sum(1 for item in listed if item["Status"] == "Succeeded")
        if done >= count:
            return
        say(f"  {done}/{count} succeeded")
        await asyncio.sleep(2)
    raise RuntimeError("the executions did not finish")


async def api_pages(
    api: httpx.AsyncClient,
    flow: str,
    limit: int,
    *,
    metadata_only: bool,
    times: list[float] | None,
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        body: dict[str, Any] = {"FlowName": flow, "Limit": limit}
        if metadata_only:
            body["MetadataOnly"] = True
        if token:
            body["NextToken"] = token
        began = time.perf_counter()
        answer = await call(api, "ListExecutions", body)
        if times is not None:
            times.append(time.perf_counter() - began)
        items += answer["Executions"]
        token = answer.get("NextToken") or ""
        if not token:
            return items


async def handwritten_pages(
    client: Any, flow: str, limit: int, times: list[float]
) -> list[dict[str, Any]]:
    """The same pages read straight from visibility, each execution's memo decoded."""
    query = all_of(equals(FLOW_NAME.name, flow), equals("WorkflowType", "FnFFlow"))
    items: list[dict[str, Any]] = []
    token: bytes | None = None
    while True:
        began = time.perf_counter()
        iterator = client.list_workflows(query, page_size=limit, next_page_token=token)
        await iterator.fetch_next_page(page_size=limit)
        for execution in iterator.current_page or []:
            items.append({"Name": execution.id, "Memo": await execution.memo()})
        times.append(time.perf_counter() - began)
        token = iterator.next_page_token
        if not token:
            return items


def check(items: list[dict[str, Any]], count: int, turns: int, data: bool) -> None:
    names = [item["Name"] for item in items]
    assert len(names) == count == len(set(names)), (len(names), len(set(names)), count)
    if not data:
        return
    for item in items:
        n = int(item["Name"][1:])
        assert json.loads(item["Input"]) == {"n": n, "turns": turns}, item
        assert json.loads(item["Output"]) == {"n": n, "left": 0}, item
        assert "version: v1" in item["FlowDefinition"], item


async def run(args: argparse.Namespace) -> dict[str, Any]:
    queue = f"bench-list-{uuid.uuid4().hex[:6]}"
    flow = f"list{uuid.uuid4().hex[:6]}"
    async with temporal_server(args.address) as server:
        client = server.client
        log = Path(tempfile.gettempdir()) / f"{queue}-api.log"
        process, url = start_api(server.address, queue, log)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=300) as api:
                await call(api, "CreateFlow", {"Name": flow, "Definition": FLOW, "Description": ""})
                say(f"flow {flow}: starting {args.executions} executions")
                async with fnf_worker(client, queue):
                    began = time.perf_counter()
                    await start_all(api, flow, args.executions, args.turns)
                    await until_done(api, flow, args.executions)
                    say(f"all ran in {time.perf_counter() - began:.1f} s")
                times: dict[str, list[float]] = {"data": [], "metadata": [], "hand": []}
                for round_ in range(args.rounds):
                    say(f"round {round_ + 1}/{args.rounds}")
                    order = ["data", "metadata", "hand"]
                    if round_ % 2:
                        order.reverse()
                    for path in order:
                        if path == "hand":
                            found = await handwritten_pages(client, flow, args.limit, times[path])
                            check(found, args.executions, args.turns, data=False)
                            continue
                        found = await api_pages(
                            api,
                            flow,
                            args.limit,
                            metadata_only=path == "metadata",
                            times=times[path],
                        )
                        check(found, args.executions, args.turns, data=path == "data")
        finally:
            process.terminate()
            process.wait(10)
    result: dict[str, Any] = {
        "executions": args.executions,
        "turns": args.turns,
        "limit": args.limit,
        "page_fnf_data": summary(times["data"]),
        "page_fnf_metadata_only": summary(times["metadata"]),
        "page_handwritten": summary(times["hand"]),
        "load_average": os.getloadavg(),
    }
    hand = result["page_handwritten"]["p50_ms"]
    result["ratio_p50_data_over_hand"] = result["page_fnf_data"]["p50_ms"] / hand
    result["ratio_p50_metadata_over_hand"] = result["page_fnf_metadata_only"]["p50_ms"] / hand
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--executions", type=int, default=500)
    parser.add_argument("--turns", type=int, default=3, help="task-loop turns per execution")
    parser.add_argument("--limit", type=int, default=100, help="ListExecutions Limit (page size)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--address", help="Temporal server HOST:PORT (default: embedded)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
