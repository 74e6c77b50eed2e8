"""Several teams on one `fnf api` (api/tenancy.py): each AccessKey is bound to its own Temporal
namespace, so two teams may use the same flow and execution names and neither can list,
describe, read, stop or complete the other's. A real `fnf api` subprocess with its workers
(one per namespace) on the session's dev server, which registers the namespaces itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from cli.api_client import ApiClient, ApiError
from tests.api.conftest import free_port

EXAMPLES = Path(__file__).parents[2] / "examples"
CALLBACK = (EXAMPLES / "callback" / "flow.yaml").read_text(encoding="utf-8")
PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: Only\n"
KEYS = {"teamA": "secretA", "teamB": "secretB", "ops": "secretOps"}


@dataclass(frozen=True)
class Tenants:
    a: ApiClient
    b: ApiClient
    default: ApiClient
    namespace_a: str
    namespace_b: str


@pytest.fixture(scope="module")
def tenants(dev_server_address: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    folder = tmp_path_factory.mktemp("tenants")
    tag = uuid.uuid4().hex[:6]
    namespace_a, namespace_b = f"team-a-{tag}", f"team-b-{tag}"
    mapping = folder / "namespaces.yaml"
    mapping.write_text(f"teamA: {namespace_a}\nteamB: {namespace_b}\n", encoding="utf-8")
    port = free_port()
    pairs = ",".join(f"{key}:{secret}" for key, secret in KEYS.items())
    env = {
        **os.environ,
        "FNF_ACCESS_KEYS": pairs,
        "FNF_NAMESPACES_FILE": str(mapping),
        "FNF_TASK_QUEUE": f"tenants-{tag}",
        "FNF_API_TASK_QUEUE": f"tenants-api-{tag}",
        "FNF_FUNCTIONS": str(EXAMPLES / "callback" / "functions.yaml"),
    }
    log = folder / "api.log"
    with log.open("ab") as out:
        command = ["api", "--address", dev_server_address, "--port", str(port)]
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _until_answers(port, process, log)
        endpoint = f"http://127.0.0.1:{port}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FNF_ACCESS_KEYS", pairs)  # ApiClient signs with the pair it names
            yield Tenants(
                ApiClient(endpoint, "teamA"),
                ApiClient(endpoint, "teamB"),
                ApiClient(endpoint, "ops"),
                namespace_a,
                namespace_b,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)


def _until_answers(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"fnf api exited: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "fnf api did not start"
        time.sleep(0.2)


def _refused(api: ApiClient, action: str, params: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as refused:
        api.call(action, params)
    return refused.value.code


def _token(api: ApiClient, flow: str, execution: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        history = api.call("GetExecutionHistory", {"FlowName": flow, "ExecutionName": execution})
        for event in history["Events"]:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        time.sleep(0.3)
    raise AssertionError(f"no TaskSubmitted in {execution}")


def _status(api: ApiClient, flow: str, execution: str) -> str:
    described = api.call("DescribeExecution", {"FlowName": flow, "ExecutionName": execution})
    return str(described["Status"])


def _settled(api: ApiClient, flow: str, execution: str) -> str:
    deadline = time.monotonic() + 30
    while (status := _status(api, flow, execution)) == "Running":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return status


def _create(api: ApiClient, name: str, definition: str, description: str) -> None:
    api.call(
        "CreateFlow",
        {"Name": name, "Definition": definition, "Description": description, "Type": "FDL"},
    )


def test_two_teams_never_see_or_touch_each_other(tenants: Tenants) -> None:
    a, b = tenants.a, tenants.b
    _create(a, "shared", CALLBACK, "team A's")
    _create(b, "shared", CALLBACK, "team B's")  # the same name: no FlowAlreadyExists
    _create(b, "only-b", PASS, "team B's own")

    assert [flow["Name"] for flow in a.call("ListFlows", {})["Flows"]] == ["shared"]
    assert sorted(flow["Name"] for flow in b.call("ListFlows", {})["Flows"]) == ["only-b", "shared"]
    assert a.call("DescribeFlow", {"Name": "shared"})["Description"] == "team A's"
    assert b.call("DescribeFlow", {"Name": "shared"})["Description"] == "team B's"
    assert _refused(a, "DescribeFlow", {"Name": "only-b"}) == "FlowNotExists"

    for api in (a, b):
        api.call("StartExecution", {"FlowName": "shared", "ExecutionName": "e1"})
    b.call("StartExecution", {"FlowName": "shared", "ExecutionName": "b-only"})
    token_a, token_b = _token(a, "shared", "e1"), _token(b, "shared", "e1")
    _token(b, "shared", "b-only")

    listed = a.call("ListExecutions", {"FlowName": "shared"})["Executions"]
    assert [execution["Name"] for execution in listed] == ["e1"]
    named = {"FlowName": "shared", "ExecutionName": "b-only"}
    assert _refused(a, "DescribeExecution", named) == "ExecutionNotExists"
    assert _refused(a, "GetExecutionHistory", named) == "ExecutionNotExists"
    assert _refused(a, "StopExecution", named) == "ExecutionNotExists"
    assert _status(b, "shared", "b-only") == "Running"

    # Team A's token reported with team B's key reaches B's namespace, where B's execution of
    # the same names refuses it; neither execution moves.
    output = json.dumps({"status": "from B"})
    for report, extra in (
        ("ReportTaskSucceeded", {"Output": output}),
        ("ReportTaskFailed", {"Error": "X"}),
    ):
        code = _refused(b, report, {"TaskToken": token_a, **extra})
        assert code in ("TaskAlreadyCompleted", "InvalidArgument", "ExecutionNotExists")
    assert _status(a, "shared", "e1") == "Running"
    assert _status(b, "shared", "e1") == "Running"

    a.call("ReportTaskSucceeded", {"TaskToken": token_a, "Output": json.dumps({"status": "A"})})
    assert _settled(a, "shared", "e1") == "Succeeded"
    assert _status(b, "shared", "e1") == "Running"
    b.call("ReportTaskFailed", {"TaskToken": token_b, "Error": "B.Done"})
    assert _settled(b, "shared", "e1") == "Failed"
    assert json.loads(
        a.call("DescribeExecution", {"FlowName": "shared", "ExecutionName": "e1"})["Output"]
    ) == {"s": "A"}


def test_an_unmapped_key_uses_the_api_namespace(tenants: Tenants) -> None:
    names = [flow["Name"] for flow in tenants.default.call("ListFlows", {"Limit": 1000})["Flows"]]
    assert "only-b" not in names


async def test_each_team_lives_in_its_namespace(tenants: Tenants, dev_server_address: str) -> None:
    """What Temporal holds: team B's executions in team B's namespace only."""
    _create(tenants.b, "where", PASS, "")
    tenants.b.call("StartExecution", {"FlowName": "where", "ExecutionName": "w1"})
    assert _settled(tenants.b, "where", "w1") == "Succeeded"
    ids = {}
    for namespace in (tenants.namespace_a, tenants.namespace_b):
        client = await Client.connect(dev_server_address, namespace=namespace)
        ids[namespace] = [run.id async for run in client.list_workflows('WorkflowType="FnFFlow"')]
    assert "where/w1" in str(ids[tenants.namespace_b])
    assert "where/w1" not in str(ids[tenants.namespace_a])


FNF = str(Path(sys.executable).with_name("fnf"))


def test_a_worker_per_namespace(dev_server_address: str, tmp_path: Path) -> None:
    """`fnf worker --namespace` registers a namespace the server lacks and serves it; a run
    started there is served by it and by no worker of another namespace."""
    namespace = f"team-c-{uuid.uuid4().hex[:6]}"
    flow = tmp_path / "hello.yaml"
    flow.write_text(PASS, encoding="utf-8")
    where = ["--address", dev_server_address, "--namespace", namespace, "--task-queue", "tc"]
    log = (tmp_path / "worker.log").open("ab")
    worker = subprocess.Popen([FNF, "worker", *where], stdout=log, stderr=subprocess.STDOUT)
    try:
        done = subprocess.run(
            [FNF, "run", str(flow), "--no-worker", "--json", *where],
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1])["Status"] == "Succeeded"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- teamA\n", "must map each AccessKey ID to a namespace name"),
        ("teamA: [x]\n", "must map each AccessKey ID to a namespace name"),
        ("teamA: 'a b'\n", "must map each AccessKey ID to a namespace name"),
        ("teamA: {\n", "is not valid YAML or JSON"),
        (b"\xff\xfe teamA", "cannot be read: 'utf-8' codec can't decode"),
        ("teamA: " + "9" * 5000 + "\n", "cannot be read: Exceeds the limit (4300 digits)"),
    ],
)
def test_an_unusable_namespaces_file_is_one_line(
    dev_server_address: str, tmp_path: Path, content: str | bytes, expected: str
) -> None:
    mapping = tmp_path / "namespaces.yaml"
    mapping.write_bytes(content if isinstance(content, bytes) else content.encode())
    done = subprocess.run(
        [FNF, "api", "--address", dev_server_address, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FNF_NAMESPACES_FILE": str(mapping)},
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: FNF_NAMESPACES_FILE: {mapping}")
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe keys", "cannot be read: 'utf-8' codec can't decode"),
        (b"ak: {\n", "not valid YAML or JSON"),
        (("ak: " + "9" * 5000 + "\n").encode(), "cannot be read: Exceeds the limit"),
    ],
)
def test_an_unusable_access_key_file_is_one_line(
    dev_server_address: str, tmp_path: Path, content: bytes, expected: str
) -> None:
    """Checked before anything starts, as the namespaces file is (it was a traceback)."""
    keys = tmp_path / "keys.yaml"
    keys.write_bytes(content)
    done = subprocess.run(
        [FNF, "api", "--address", dev_server_address, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FNF_ACCESS_KEYS_FILE": str(keys)},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: AccessKeys: {keys}"), lines
    assert expected in lines[0]
