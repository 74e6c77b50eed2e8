"""`@-` reads a JSON object option from standard input, the same for `fnf run --input`,
`fnf exec start --input` and `fnf call`'s PARAMETERS: real subprocesses against the session's
dev server and its real `fnf api`."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from tests.api.conftest import ApiServer
from tests.api.test_cli_commands import env
from tests.helpers.fnf_command import run_fnf

ECHO = """\
version: v1
type: flow
steps:
  - type: pass
    name: Echo
    outputMappings:
      - target: got
        source: $input.name
"""


def fnf(folder: Path, stdin: str, *args: str, extra: dict[str, str]) -> str:
    done = run_fnf(folder, *args, stdin=stdin, environ={**os.environ, **extra})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_run_reads_its_input_from_stdin(tmp_path: Path, dev_server_address: str) -> None:
    (tmp_path / "echo.yaml").write_text(ECHO)
    queue = {"FNF_TASK_QUEUE": f"stdin-{os.getpid()}-{time.monotonic_ns()}"}
    printed = fnf(
        tmp_path,
        '{"name": "from stdin"}',
        *("run", "echo.yaml", "--input", "@-", "--json", "--address", dev_server_address),
        extra=queue,
    )
    outcome = json.loads(printed.strip().splitlines()[-1])
    assert (outcome["Status"], outcome["Output"]) == ("Succeeded", {"got": "from stdin"})


def test_exec_start_and_call_read_stdin_alike(tmp_path: Path, api_server: ApiServer) -> None:
    flow, execution = f"stdin-{uuid.uuid4().hex[:8]}", "e1"
    (tmp_path / "flow.yaml").write_text(ECHO)
    signed = env(api_server)
    fnf(tmp_path, "", "flow", "create", "flow.yaml", "--name", flow, "--json", extra=signed)
    given = '{"name": "piped"}'
    started = json.loads(
        fnf(
            tmp_path,
            given,
            *("exec", "start", flow, "--input", "@-", "--name", execution, "--json"),
            extra=signed,
        )
    )
    assert started["Name"] == execution
    names = json.dumps({"FlowName": flow, "ExecutionName": execution})
    described = json.loads(fnf(tmp_path, names, "call", "DescribeExecution", "@-", extra=signed))
    assert json.loads(str(described["Input"])) == json.loads(given)
    fnf(tmp_path, "", "flow", "delete", flow, extra=signed)
