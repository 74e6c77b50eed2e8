"""The embedded dev server against real `temporal server start-dev` processes: no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio import activity, workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from worker.devserver import (
    FAST_DISPATCH_CONFIG,
    SEARCH_ATTRIBUTES,
    DevServer,
    DevServerOptions,
    build_command,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn
class Shout:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=10)
        )


@pytest_asyncio.fixture(scope="module")
async def server() -> AsyncIterator[DevServer]:
    async with await DevServer.start() as running:
        yield running


def gone(pid: int) -> bool:
    """No such process, not even a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def flag_value(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_command_line() -> None:
    headless = build_command("temporal", DevServerOptions(), 7000, None)
    assert headless[:3] == ["temporal", "server", "start-dev"]
    assert flag_value(headless, "--port") == "7000"
    assert "--headless" in headless and "--db-filename" not in headless
    assert headless.count("--search-attribute") == len(SEARCH_ATTRIBUTES)
    assert headless.count("--dynamic-config-value") == len(FAST_DISPATCH_CONFIG)
    # continue-as-new and reused execution names without the stock one-second wait
    assert 'history.workflowIdReuseMinimalInterval="0s"' in headless

    options = DevServerOptions(db_file="state.db", fast_dispatch=False, namespace="fnf")
    with_ui = build_command("temporal", options, 7000, 8000)
    assert "--headless" not in with_ui and "--dynamic-config-value" not in with_ui
    assert flag_value(with_ui, "--ui-port") == "8000"
    assert flag_value(with_ui, "--db-filename") == "state.db"
    assert flag_value(with_ui, "--namespace") == "fnf"


async def test_serves_namespace_with_fnf_search_attributes(server: DevServer) -> None:
    assert server.address.startswith("127.0.0.1:") and server.ui_url is None
    client = await Client.connect(server.address, namespace=server.namespace)
    info = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=server.namespace)
    )
    for name in SEARCH_ATTRIBUTES:
        assert info.custom_attributes[name] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


async def test_runs_workflows_and_activities(server: DevServer) -> None:
    client = await Client.connect(server.address, namespace=server.namespace)
    queue = f"devserver-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Shout],
        activities=[shout],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await client.execute_workflow(
            Shout.run, "hello", id=f"shout-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "HELLO"


async def test_web_ui_and_own_namespace() -> None:
    options = DevServerOptions(ui_port=0, namespace="fnf-local")
    async with await DevServer.start(options) as server, httpx.AsyncClient() as http:
        assert server.namespace == "fnf-local" and server.ui_url is not None
        for _ in range(50):  # the CLI starts the UI beside the server, not before it
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(server.ui_url)).status_code == 200:
                    break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"no Web UI at {server.ui_url}")


async def test_stop_is_idempotent_and_leaves_no_process() -> None:
    server = await DevServer.start()
    assert server.running and server.log_path.exists()
    await server.stop()
    await server.stop()
    assert not server.running and gone(server.pid) and not server.log_path.exists()
    with pytest.raises(OSError):
        socket.create_connection(server.address.rsplit(":", 1), timeout=1).close()


async def test_db_file_keeps_workflows_across_restarts(tmp_path: Path) -> None:
    # A directory that does not exist yet: the CLI would refuse it.
    options = DevServerOptions(db_file=str(tmp_path / "state" / "temporal.db"))
    workflow_id = f"sleeper-{uuid.uuid4()}"
    async with await DevServer.start(options) as first:
        client = await Client.connect(first.address, namespace=first.namespace)
        # No worker polls this queue, so the workflow stays open.
        await client.start_workflow("Sleeper", id=workflow_id, task_queue="nobody-polls")
    async with await DevServer.start(options) as second:
        assert second.address != first.address
        client = await Client.connect(second.address, namespace=second.namespace)
        described = await client.get_workflow_handle(workflow_id).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING


async def test_bad_option_reports_the_servers_complaint() -> None:
    with pytest.raises(RuntimeError) as raised:
        await DevServer.start(DevServerOptions(log_level="loud"))
    assert 'invalid argument "loud" for "--log-level"' in str(raised.value)
    assert "Usage:" not in str(raised.value)  # the CLI's help text would bury the complaint


async def test_startup_timeout_stops_the_server() -> None:
    with pytest.raises(RuntimeError, match=r"not ready within 0.001 s") as raised:
        await DevServer.start(DevServerOptions(startup_timeout=0.001))
    pid = re.search(r"pid (\d+)", str(raised.value))
    assert pid is not None and gone(int(pid[1]))


async def test_taken_port_reports_the_bind_failure() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="address already in use"):
            await DevServer.start(DevServerOptions(port=port))


def test_forgotten_server_is_stopped_when_the_program_exits() -> None:
    program = textwrap.dedent(
        """
        from worker.devserver import DevServer
        print(DevServer.start_sync().pid, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert gone(int(done.stdout))
