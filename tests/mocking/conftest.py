"""Shared set-up of the mocked-flow tests: a time-skipping server and a FlowTester per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from worker.mocking.runner import FlowTester, time_skipping_server


@pytest_asyncio.fixture(scope="module")
async def mock_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the module's own, as `fnf test` starts one: the session's
    server also runs other tests' executions, whose leftovers must not hold its clock."""
    async with time_skipping_server() as env:
        yield env


@pytest_asyncio.fixture(scope="module")
async def tester(mock_env: WorkflowEnvironment) -> AsyncIterator[FlowTester]:
    """A FlowTester on the module's server."""
    async with FlowTester(mock_env.client) as running:
        yield running
