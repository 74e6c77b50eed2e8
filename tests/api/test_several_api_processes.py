"""Two `fnf api` processes against one Temporal serve the same flows and executions."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.api.conftest import start_api
from tests.api.test_every_action_both_sdks import legacy_sdk, wait_for


def test_two_api_processes_share_flows(dev_server_address: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    first = start_api(dev_server_address, tmp_path / "a.log", tag)
    second = start_api(dev_server_address, tmp_path / "b.log", tag)
    try:
        a, b = legacy_sdk(first), legacy_sdk(second)
        flow = f"shared_{tag}"
        definition = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"
        a("CreateFlow", Name=flow, Definition=definition, Description="0", Type="FDL")
        assert b("DescribeFlow", Name=flow)["Definition"] == definition
        with ThreadPoolExecutor(8) as pool:
            writers = [
                pool.submit(sdk, "UpdateFlow", Name=flow, Description=str(n))
                for n, sdk in enumerate([a, b] * 4, 1)
            ]
            assert all(w.result()["Name"] == flow for w in writers)
            runs = [
                pool.submit(sdk, "StartExecution", FlowName=flow, ExecutionName=f"e{n}")
                for n, sdk in enumerate([a, b] * 3)
            ]
            assert len({r.result()["Name"] for r in runs}) == 6
        for n, sdk in enumerate([b, a] * 3):
            done = sdk(
                "DescribeExecution", FlowName=flow, ExecutionName=f"e{n}", WaitTimeSeconds=10
            )
            assert done["Status"] == "Succeeded"
        listed = wait_for(
            lambda: a("ListExecutions", FlowName=flow),
            lambda body: len(body["Executions"]) == 6,
        )
        assert len(listed["Executions"]) == 6
    finally:
        for server in (first, second):
            server.process.terminate()
            server.process.wait(timeout=30)
