"""Fixtures of the end-to-end tests that start `fnf` commands as processes."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from tests.e2e.test_shutdown import Fnf, descendants
from tests.helpers.worker_processes import WorkerProcesses


@pytest.fixture
def commands() -> Iterator[list[Fnf]]:
    """`fnf` commands a test started; whatever a failed test left running is killed, with
    every process of its tree."""
    started: list[Fnf] = []
    yield started
    for fnf in started:
        tree = fnf.seen + descendants(fnf.process.pid)
        if fnf.process.poll() is None:
            fnf.process.kill()
            fnf.process.wait()
        for process in tree:
            if process.alive():
                os.kill(process.pid, signal.SIGKILL)


@pytest.fixture
def worker_processes() -> Iterator[WorkerProcesses]:
    """`fnf worker` processes a test started (tests/helpers/worker_processes.py); those still
    running when it ends are killed."""
    workers = WorkerProcesses()
    yield workers
    workers.kill_running()
