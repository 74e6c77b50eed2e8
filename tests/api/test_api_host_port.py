"""`fnf api --host/--port` with values a newcomer may type: an IPv6 address, a port out of range.

With `--host ::1` the API listens on IPv6 and its own worker sends MNS queue tasks to
`http://[::1]:<port>` (a URL needs the brackets); the address it prints is one a browser or
curl takes. A port outside 1-65535 is one `error:` line, exit 2, before anything starts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, EXAMPLES


def _ipv6_loopback_port() -> int | None:
    if not socket.has_ipv6:
        return None
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
            return int(probe.getsockname()[1])
    except OSError:
        return None


def _fnf(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )


@pytest.fixture
def ipv6_api(dev_server_address: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _ipv6_loopback_port()
    if port is None:
        pytest.skip("no IPv6 loopback here")
    tag = uuid.uuid4().hex[:6]
    env = {
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_ALLOW_UNSIGNED": "true",  # the test's own calls; the worker still signs
        "FNF_TASK_QUEUE": f"v6-{tag}",
        "FNF_API_TASK_QUEUE": f"v6-api-{tag}",
        "FNF_FUNCTIONS": str(EXAMPLES / "callback" / "functions.yaml"),
    }
    args = ("api", "--host", "::1", "--port", str(port), "--address", dev_server_address)
    process = _fnf(*args, env=env)
    base = f"http://[::1]:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "fnf api did not start"
        time.sleep(0.2)
    yield base, process
    process.terminate()
    process.wait(timeout=30)


def test_an_ipv6_host_is_bracketed_and_its_mns_tasks_run(
    ipv6_api: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = ipv6_api
    queue = f"v6-{uuid.uuid4().hex[:8]}"
    flow = f"v6_{uuid.uuid4().hex[:6]}"
    definition = (
        "version: v1\ntype: flow\nsteps:\n  - type: task\n    name: send\n"
        f"    resourceArn: acs:mns:::/queues/{queue}/messages\n"
        "    serviceParams:\n      MessageBody: $\n"
    )
    with httpx.Client(base_url=base, timeout=30) as http:
        created = http.post("/actions/CreateFlow", json={"Name": flow, "Definition": definition})
        assert created.status_code == 200, created.text
        started = http.post(
            "/actions/StartExecution",
            json={"FlowName": flow, "ExecutionName": "e", "Input": '{"n": 6}'},
        )
        assert started.status_code == 200, started.text
        done = http.post(
            "/actions/DescribeExecution",
            json={"FlowName": flow, "ExecutionName": "e", "WaitTimeSeconds": 20},
        ).json()
    assert done["Status"] == "Succeeded", done
    assert set(json.loads(done["Output"])) == {"MessageId", "MessageBodyMD5", "RequestId"}
    process.terminate()  # its output is a pipe: read once it has ended
    printed = process.communicate(timeout=30)[0]
    assert f"FnF API on {base} " in printed, printed


@pytest.mark.parametrize(
    "args",
    [
        ["api", "--port", "70000"],
        ["api", "--port", "-1"],
        ["api", "--port", "0"],
        ["dev", "--temporal-port", "65536"],
        ["dev", "--ui-port", "0"],
    ],
)
def test_a_port_out_of_range_is_one_line(tmp_path: Path, args: list[str]) -> None:
    option = next(arg for arg in args if arg.startswith("--"))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("fnf")), *args, "--data", str(tmp_path)]
        if args[0] == "dev"
        else [str(Path(sys.executable).with_name("fnf")), *args, "--address", "127.0.0.1:1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"error: {option} "), done.stderr
    assert "from 1 to 65535" in lines[0], done.stderr
