"""`fnf task succeed --output` is read as every JSON object option is (cli/json_input.py): an
empty or malformed output is one `error:` line with exit 2 and the task keeps waiting. It used
to go to the execution as it stood, which took `--output ''` as `{}` (ReportTaskSucceeded
through the API refuses an empty Output as MissingRequiredParams) and completed the task with
nothing. `@FILE` and `@-` work as for `--input`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.client import Client

from tests.e2e.test_names_cli import EXAMPLES, _token


async def _task(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    reporter = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "task", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await reporter.communicate(stdin)
    assert reporter.returncode is not None
    return reporter.returncode, out.decode(), err.decode()


async def test_task_output_is_checked_at_its_door(dev_server_address: str, tmp_path: Path) -> None:
    flow, execution = f"door_{uuid.uuid4().hex[:8]}", "e1"
    command = [
        sys.executable, "-m", "cli", "run", str(EXAMPLES / "callback" / "flow.yaml"),
        "--name", flow, "--execution", execution, "--address", dev_server_address,
        "--task-queue", f"door-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": ""}
    ) as run:
        try:
            client = await Client.connect(dev_server_address)
            token = await _token(client, flow, execution, run)
            address = ["--address", dev_server_address]
            for given, problem in [
                ("", "--output is not valid JSON"),
                ("  ", "--output is not valid JSON"),
                ("[1]", "--output must be a JSON object"),
                ('{"a": NaN}', "--output holds a number JSON cannot express"),
            ]:
                code, _, err = await _task("succeed", token, "--output", given, *address)
                assert code == 2 and err.startswith(f"error: {problem}"), err
                assert len(err.splitlines()) == 1, err
            assert run.poll() is None  # still waiting for its callback
            output = tmp_path / "output.json"
            output.write_text('{"status": "ok"}')
            code, out, err = await _task("succeed", token, "--output", f"@{output}", *address)
            assert code == 0 and json.loads(out)["EventId"] > 0, err
            stdout, stderr = await asyncio.to_thread(run.communicate, timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.returncode == 0, stdout + stderr
    assert '"s": "ok"' in stdout
