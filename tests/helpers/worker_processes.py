"""`fnf worker` as a real child process of an end-to-end test, and waiting for what it does.

The crash, pool and upgrade tests each start workers in their own process group (so a SIGKILL
reaches the function instances they started too), log their output to a file and kill what a
test left running; they differ only in the worker's options and environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar


class WorkerProcess:
    """`fnf worker --address ADDRESS --task-queue QUEUE --functions REGISTRY OPTIONS...` as a
    process group, its output appended to `log`. `module` runs another entry point (an
    earlier release); `env` is added to the test's environment."""

    def __init__(
        self,
        address: str,
        queue: str,
        registry: Path,
        log: Path,
        *options: str,
        module: str = "cli.main",
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", module, "worker", "--address", address),
                *("--task-queue", queue, "--functions", str(registry), *options),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )

    def stop(self) -> None:
        """SIGTERM, as a deployment stops a worker; it shuts down in order."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (its function instances)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()


Started = TypeVar("Started", bound=WorkerProcess)


class WorkerProcesses:
    """The workers one test started (the `worker_processes` fixture of tests/e2e/conftest.py
    kills those still running when the test ends)."""

    def __init__(self) -> None:
        self.started: list[WorkerProcess] = []

    def add(self, worker: Started) -> Started:
        self.started.append(worker)
        return worker

    def kill_running(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.kill()


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float = 40.0, every: float = 0.1
) -> None:
    """Poll `check` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(every)
