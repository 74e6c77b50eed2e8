"""A `history` query that fails (the execution's worker is down, the query handler raises) is
a temporary failure: GetExecutionHistory answers 503 ServiceUnavailable with a message that
says to retry, the console's execution page is a 503 page, `fnf exec history` prints one
`error:` line, and neither the API's log nor the command shows a traceback. Before, the API
answered 500 and logged the query's traceback.

Real parts: `fnf api --no-worker` and a separate `fnf worker` as subprocesses on the session's
dev server; the worker is stopped with SIGTERM, as an operator or a crash would stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, free_port
from tests.helpers.fnf_command import run_fnf
from worker.history import HistoryUnavailable, query_history
from worker.naming import workflow_id

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: Hold\n    duration: $.s\n"


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def fnf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_fnf(None, *args, environ={**os.environ, **env})


def wait_until(check: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not callable(check) or not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def console_page(port: int, path: str) -> httpx.Response:
    """The console page at `path`, signed in with the test's AccessKey as a user would."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as browser:
        form = browser.get("/console/login")
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token is not None, form.text[:500]
        fields = {
            "token": token.group(1),
            "access_key_id": ACCESS_KEY_ID,
            "access_key_secret": ACCESS_KEY_SECRET,
        }
        signed_in = browser.post("/console/login", data=fields)
        assert signed_in.status_code in (200, 303), signed_in.text[:500]
        return browser.get(path)


@pytest.mark.asyncio
async def test_history_query_failures_are_service_unavailable(
    dev_server_address: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    port = free_port()
    server_env = {
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_TASK_QUEUE": f"hist-{tag}",
        "FNF_API_TASK_QUEUE": f"hist-api-{tag}",
        "FNF_HISTORY_QUERY_SECONDS": "2",
    }
    log = tmp_path / "api.log"
    api = spawn(
        ["api", "--no-worker", "--address", dev_server_address, "--port", str(port)],
        server_env,
        log,
    )
    worker = spawn(["worker", "--address", dev_server_address], server_env, tmp_path / "w.log")
    cli_env = {
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_API_ENDPOINT": f"http://127.0.0.1:{port}",
    }
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_until(answers, "fnf api did not start")
        flow = f"hold_{tag}"
        (tmp_path / f"{flow}.yaml").write_text(FLOW)
        assert fnf(cli_env, "flow", "create", str(tmp_path / f"{flow}.yaml")).returncode == 0
        started = fnf(cli_env, "exec", "start", flow, "--name", "e1", "--input", '{"s": 600}')
        assert started.returncode == 0, started.stderr
        wait_until(
            lambda: fnf(cli_env, "exec", "history", flow, "e1").returncode == 0,
            "the history was never read while the worker ran",
        )

        # a query the handler raises on (a malformed request), while the worker runs
        client = await Client.connect(dev_server_address)
        handle = client.get_workflow_handle(workflow_id(flow, "e1"))
        with pytest.raises(HistoryUnavailable, match="retry later"):
            await query_history(handle, {"from_event_id": "not a number", "limit": "x"})

        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        history = fnf(cli_env, "exec", "history", flow, "e1")
        assert history.returncode != 0, history.stdout
        lines = [line for line in history.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), history.stderr
        assert "ServiceUnavailable" in lines[0] and "retry" in lines[0], lines[0]
        console = console_page(port, f"/console/flows/{flow}/executions/e1")
        assert console.status_code == 503, console.text[:500]
        assert "ServiceUnavailable" in console.text and "Traceback" not in console.text
        described = fnf(cli_env, "exec", "describe", flow, "e1")
        assert "Traceback" not in described.stderr and "InternalServerError" not in (
            described.stderr
        ), described.stderr
    finally:
        for process in (worker, api):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
