"""Thousands of random and mutated FnF API calls against a real `fnf api`: none may answer 5xx,
hang, or answer an error in any shape but FnF's.

The suite runs a few hundred such calls in-process (tests/api/test_request_validation.py); this
runs as many as asked over real HTTP, in every form (RPC GET, RPC POST, JSON), plus the
oversized requests, and prints the answers by status and code with latency percentiles.

    python bench/api_fuzz.py                      # 5000 calls, embedded dev server in memory
    python bench/api_fuzz.py --calls 20000 --address 127.0.0.1:7233
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.actions import ACTIONS  # noqa: E402
from tests.api.conftest import free_port  # noqa: E402
from tests.api.fuzz_calls import PASS_FLOW, Call, Existing, calls, fnf_error_shape  # noqa: E402


def start_api(address: str | None, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "FNF_ALLOW_UNSIGNED": "true", "FNF_TASK_QUEUE": "fuzz-bench"}
    command = [sys.executable, "-m", "cli", "api", "--port", str(port)]
    if address:
        command += ["--address", address]
    log = (workdir / "api.log").open("ab")
    process = subprocess.Popen(command, cwd=workdir, env={**env, "PYTHONPATH": str(ROOT)},
                               stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("fnf api did not start")


def prepare(http: httpx.Client) -> Existing:
    flow = f"fuzz_{uuid.uuid4().hex[:6]}"
    for action, params in [
        ("CreateFlow", {"Name": flow, "Definition": PASS_FLOW}),
        ("StartExecution", {"FlowName": flow, "ExecutionName": "e1"}),
        ("DescribeExecution", {"FlowName": flow, "ExecutionName": "e1", "WaitTimeSeconds": 30}),
        ("PublishFlowVersion", {"FlowName": flow}),
        ("CreateFlowAlias", {"FlowName": flow, "Name": "a1",
                             "RoutingConfigurations": [{"Version": "1", "Weight": 100}]}),
        ("CreateSchedule", {"FlowName": flow, "ScheduleName": "s1",
                            "CronExpression": "0 0 1 1 *", "Enable": False}),
    ]:  # fmt: skip
        answer = http.post(f"/actions/{action}", json=params)
        answer.raise_for_status()
    return Existing(flow, "e1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--address", help="Temporal host:port (default: embedded dev server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        process, base = start_api(args.address, Path(workdir))
        try:
            run(base, args.calls)
        finally:
            process.terminate()
            process.wait(timeout=60)


def run(base: str, count: int) -> None:
    http = httpx.Client(base_url=base, timeout=60)
    there = prepare(http)
    tally: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    bad: list[str] = []

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.data())
    def one(data: st.DataObject) -> None:
        call: Call = data.draw(calls(there, sorted(ACTIONS)))
        method, path, headers, body = call.request()
        began = time.perf_counter()
        answer = http.request(method, path, headers=headers, content=body)
        seconds.append(time.perf_counter() - began)
        shown: Any = answer.json()
        code = shown.get("Code", "OK") if isinstance(shown, dict) else "?"
        tally[f"{answer.status_code} {code}"] += 1
        if answer.status_code >= 500 or (answer.status_code >= 400 and not fnf_error_shape(shown)):
            bad.append(f"{call!r} -> {answer.status_code} {answer.text[:200]}")

    one()
    for size in (3 << 20, 20 << 20):
        text = json.dumps({"a": "x" * size})
        answer = http.post("/actions/StartExecution", json={"FlowName": there.flow, "Input": text})
        tally[f"{answer.status_code} {answer.json().get('Code')} ({size >> 20} MB)"] += 1
    print(f"{len(seconds)} calls; p50 {statistics.median(seconds) * 1000:.1f} ms, "
          f"p99 {statistics.quantiles(seconds, n=100)[98] * 1000:.1f} ms, "
          f"max {max(seconds):.2f} s")  # fmt: skip
    for key, n in tally.most_common():
        print(f"{n:7d}  {key}")
    print(f"bad answers: {len(bad)}")
    for line in bad[:20]:
        print("  ", line)
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
