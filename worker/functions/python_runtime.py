"""Python handlers in warm, crash-isolated instances (the worker's side of `host.py`).

One instance (a child process) per registry entry, started on the entry's first call and reused,
so module state persists between calls as in a warm FC instance, and no call pays for a process
start. An instance serves up to `concurrency` calls at once on threads; more wait here for a
free slot. When an instance dies, every call in flight on it fails with FC.Unknown and FC's
"Process exited unexpectedly" cause, and the next call starts a fresh instance. A call that runs
past the function's timeout fails with "Function timed out" and its instance is killed (the
handler may be stuck in a way no thread can interrupt).

An entry with an `initializer` (FC's initializer hook) runs it once per instance, after the
module loads and before the instance is sent any request; calls that arrive meanwhile wait for
it. A failed, crashed or timed-out (`initializationTimeout`) initializer fails every call that
waited for it and ends the instance, so the next call starts a fresh one that initializes
again, as FC does. The wait counts against a task's `timeoutSeconds`, not the function's own
`timeout`, which starts when the request is sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translator.resources import Resource

from . import protocol
from .errors import (
    FC_UNKNOWN,
    FNF_TASK_TIMEOUT,
    FunctionError,
    fc_body,
    format_seconds,
    initialization_timed_out_cause,
    process_exited_cause,
    timed_out_cause,
)
from .invocation import Invocation
from .registry import PythonFunction

DEFAULT_CONCURRENCY = 100
KILL_GRACE_SECONDS = 2.0
"""How long the supervisor gets to report a killed instance before its whole group is killed."""
CLOSE_GRACE_SECONDS = 3.0

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_log = logging.getLogger("worker.functions")
_output_log = logging.getLogger("worker.functions.output")


class PythonRuntime:
    """Calls registry entries with a `handler`, each on its own warm instance."""

    def __init__(
        self, *, default_concurrency: int = DEFAULT_CONCURRENCY, python: str = sys.executable
    ) -> None:
        if default_concurrency < 1:
            raise ValueError("default_concurrency must be at least 1")
        self._default_concurrency = default_concurrency
        self._python = python
        self._slots: dict[str, _Slot] = {}
        self._instances: set[_Instance] = set()
        self._closed = False

    async def invoke(
        self,
        target: PythonFunction,
        resource: Resource,
        event: bytes,
        invocation: Invocation,
    ) -> Any:
        """Run the handler on `event`; its JSON output, or FunctionError."""
        if self._closed:
            raise RuntimeError("the function runtime is closed")
        slot = self._slots.get(target.key)
        if slot is None:
            concurrency = target.concurrency or self._default_concurrency
            slot = self._slots[target.key] = _Slot(concurrency, asyncio.Semaphore(concurrency))
        await slot.semaphore.acquire()
        try:
            instance = slot.instance
            if instance is None or not instance.accepting:
                instance = slot.instance = _Instance(
                    target, slot.concurrency, self._python, invocation.request_id
                )
                self._instances.add(instance)
                instance.when_finished(self._instances.discard)
        except BaseException:
            slot.semaphore.release()
            raise
        request_fields = _RequestFields(
            event=protocol.event_to_text(event),
            request_id=invocation.request_id,
            region=resource.get("region", ""),
            account_id=resource.get("account", ""),
        )
        return await instance.call(request_fields, invocation.timeout, slot.semaphore.release)

    async def aclose(self) -> None:
        """Stop every instance (in-flight calls fail with FC.Unknown)."""
        self._closed = True
        await asyncio.gather(*(instance.close() for instance in list(self._instances)))
        self._slots.clear()


@dataclass(slots=True)
class _Slot:
    """One registry entry: its concurrency bound and its current instance."""

    concurrency: int
    semaphore: asyncio.Semaphore
    instance: _Instance | None = None


@dataclass(frozen=True, slots=True)
class _RequestFields:
    event: str
    request_id: str
    region: str
    account_id: str


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[Any]
    started: float
    timer: asyncio.TimerHandle
    release: Callable[[], None]


class _Instance:
    """One child process serving one registry entry; dies once, never restarts itself."""

    def __init__(
        self, target: PythonFunction, concurrency: int, python: str, first_request_id: str
    ) -> None:
        """`first_request_id`: the call that starts the instance; its initializer sees it."""
        self.target = target
        self._first_request_id = first_request_id
        self.accepting = True
        self._concurrency = concurrency
        self._python = python
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._process: asyncio.subprocess.Process | None = None
        self._pid_label = "?"
        self._maxrss_kb = 0
        self._exit_code: int | None = None
        self._failure: FunctionError | None = None
        """Why calls cannot run here at all (instance did not start or handler did not load)."""
        self._kill_reason: str | None = None
        self._hard_kill: asyncio.TimerHandle | None = None
        self._spawned_at = 0.0
        self._tasks: tuple[asyncio.Task[None], ...] = ()
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self._serving: asyncio.Future[None] = self._loop.create_future()
        """Done once requests may be sent: at once, or when the initializer has run (or failed)."""
        if target.initializer is None:
            self._serving.set_result(None)
        self._init_timer: asyncio.TimerHandle | None = None
        self._init_started: float | None = None
        self._started = asyncio.ensure_future(self._spawn())

    def when_finished(self, callback: Callable[[_Instance], None]) -> None:
        self._finished.add_done_callback(lambda _: callback(self))

    # -- calls ---------------------------------------------------------------------------------

    async def call(
        self, fields: _RequestFields, task_timeout: float | None, release: Callable[[], None]
    ) -> Any:
        """Send one request and wait for its answer. `release` runs when the request ends."""
        began = self._loop.time()
        try:
            await self._until_serving(task_timeout)
        except BaseException:
            release()
            raise
        assert self._process is not None
        timeout = self.target.timeout
        call_id = next(self._ids)
        future: asyncio.Future[Any] = self._loop.create_future()
        future.add_done_callback(_mark_retrieved)
        self._pending[call_id] = _Pending(
            future=future,
            started=self._loop.time(),
            timer=self._loop.call_later(timeout, self._time_out, call_id),
            release=release,
        )
        request: protocol.Request = {
            "id": call_id,
            "event": fields.event,
            "request_id": fields.request_id,
            "region": fields.region,
            "account_id": fields.account_id,
        }
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(protocol.encode(request))
            await stdin.drain()
        except ConnectionError:
            pass  # the instance is dying; its reader fails this call with the others
        if task_timeout is not None and task_timeout < timeout:
            left = max(0.0, task_timeout - (self._loop.time() - began))
            try:
                return await asyncio.wait_for(asyncio.shield(future), left)
            except TimeoutError:
                raise _task_timeout(task_timeout) from None
        return await future

    async def _until_serving(self, task_timeout: float | None) -> None:
        """Wait for the instance to start and initialize; FunctionError if it cannot serve."""
        await asyncio.shield(self._started)
        if not self._serving.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._serving), task_timeout)
            except TimeoutError:
                raise _task_timeout(task_timeout or 0) from None
        if self._process is None or not self.accepting:
            raise self._failure or FunctionError(
                FC_UNKNOWN, process_exited_cause(0, self._maxrss_kb)
            )

    def _time_out(self, call_id: int) -> None:
        pending = self._pending.pop(call_id, None)
        if pending is None:
            return
        pending.release()
        _settle(pending.future, FunctionError(FC_UNKNOWN, timed_out_cause(self.target.timeout)))
        self.kill(f"a request ran past the function timeout of {self.target.timeout:g}s")

    # -- initializer -----------------------------------------------------------------------------

    def _watch_initialization(self) -> None:
        """Bound the wait for the initializer: the function's timeout until the module has
        loaded (as for a call), then `initializationTimeout` for the initializer itself."""
        if self.target.initializer is not None:
            self._init_timer = self._loop.call_later(self.target.timeout, self._load_timed_out)

    def _load_timed_out(self) -> None:
        self._init_failed(FunctionError(FC_UNKNOWN, timed_out_cause(self.target.timeout)))
        self.kill(f"the module did not load within the function timeout ({self.target.timeout:g}s)")

    def _on_ready_to_initialize(self) -> None:
        initializer = self.target.initializer
        if initializer is None or self._serving.done():
            return
        if self._init_timer is not None:
            self._init_timer.cancel()
        self._init_started = self._loop.time()
        self._init_timer = self._loop.call_later(initializer.timeout, self._init_timed_out)

    def _init_timed_out(self) -> None:
        assert self.target.initializer is not None
        seconds = self.target.initializer.timeout
        self._init_failed(FunctionError(FC_UNKNOWN, initialization_timed_out_cause(seconds)))
        self.kill(f"the initializer ran past its initializationTimeout of {seconds:g}s")

    def _initialized(self) -> None:
        if self._init_timer is not None:
            self._init_timer.cancel()
        if not self._serving.done():
            self._serving.set_result(None)
            _log.debug(
                "instance %s (pid %s) initialized in %.0f ms",
                self.target.key,
                self._pid_label,
                (self._loop.time() - (self._init_started or self._spawned_at)) * 1000,
            )

    def _init_failed(self, error: FunctionError) -> None:
        """The instance can serve nothing: calls waiting for it fail with `error`."""
        self.accepting = False
        if self._init_timer is not None:
            self._init_timer.cancel()
        if not self._serving.done():
            self._failure = self._failure or error
            self._serving.set_result(None)

    # -- process life --------------------------------------------------------------------------

    async def _spawn(self) -> None:
        spec: protocol.HostSpec = {
            "key": self.target.key,
            "service": self.target.service,
            "qualifier": self.target.qualifier,
            "function": self.target.function,
            "handler": self.target.handler,
            "module_file": str(self.target.module_file) if self.target.module_file else None,
            "module": self.target.module,
            "attribute": self.target.attribute,
            "base_dir": str(self.target.base_dir),
            "timeout": self.target.timeout,
            "concurrency": self._concurrency,
            "initializer": self._initializer_spec(),
        }
        self._spawned_at = self._loop.time()
        try:
            self._process = await asyncio.create_subprocess_exec(
                self._python,
                "-P",  # no working directory first on sys.path: it might hold another `worker`
                "-m",
                "worker.functions.host",
                json.dumps(spec),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._environment(),
                start_new_session=True,
                limit=protocol.STREAM_LIMIT,
            )
        except OSError as exc:
            self.accepting = False
            self._failure = FunctionError(
                FC_UNKNOWN,
                fc_body(errorMessage=f"Cannot start an instance of {self.target.key}: {exc}"),
            )
            _log.error("cannot start an instance of %s: %s", self.target.key, exc)
            self._init_failed(self._failure)
            self._finished.set_result(None)
            return
        self._pid_label = str(self._process.pid)
        self._watch_initialization()
        self._tasks = (
            asyncio.create_task(self._read_answers(self._process)),
            asyncio.create_task(self._forward_stderr(self._process)),
        )
        asyncio.gather(*self._tasks).add_done_callback(self._on_finished)

    def _initializer_spec(self) -> protocol.InitializerSpec | None:
        initializer = self.target.initializer
        if initializer is None:
            return None
        return {
            "handler": initializer.handler,
            "module_file": str(initializer.module_file) if initializer.module_file else None,
            "module": initializer.module,
            "attribute": initializer.attribute,
            "timeout": initializer.timeout,
            "request_id": self._first_request_id,
        }

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.target.environment)
        # This package first, then the working directory (for `package.module:callable`
        # handlers of the project the worker runs in), then whatever was set.
        path = env.get("PYTHONPATH")
        entries = [str(_PROJECT_ROOT), os.getcwd(), *([path] if path else [])]
        env["PYTHONPATH"] = os.pathsep.join(entries)
        env["FC_SERVICE_NAME"] = self.target.service
        env["FC_FUNCTION_NAME"] = self.target.function
        env["FC_QUALIFIER"] = self.target.qualifier or "LATEST"
        env["FC_FUNCTION_HANDLER"] = self.target.handler
        return env

    def _on_finished(self, gathered: asyncio.Future[Any]) -> None:
        if not gathered.cancelled() and gathered.exception() is not None:
            _log.error("instance %s reader failed", self.target.key, exc_info=gathered.exception())
        if not self._finished.done():
            self._finished.set_result(None)

    def kill(self, reason: str) -> None:
        """Stop taking calls and kill the instance; its in-flight calls fail as it dies."""
        self.accepting = False
        if self._kill_reason is not None:
            return
        self._kill_reason = reason
        process = self._process
        if process is None or process.returncode is not None:
            return
        _log.warning("killing instance %s (pid %s): %s", self.target.key, self._pid_label, reason)
        with suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)  # the supervisor kills and reports the instance
        self._hard_kill = self._loop.call_later(KILL_GRACE_SECONDS, self._kill_group)

    def _kill_group(self) -> None:
        if self._process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    async def close(self) -> None:
        """Ask the instance to exit (end of requests), kill it if it does not."""
        self.accepting = False
        with suppress(BaseException):
            await asyncio.shield(self._started)
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._finished), CLOSE_GRACE_SECONDS)
        except TimeoutError:
            self._kill_group()
            await self._finished

    # -- reading the child ---------------------------------------------------------------------

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                self._on_message(protocol.decode(line))
        except ValueError as exc:  # an over-long or garbled line: the channel is unusable
            _log.error("instance %s broke the protocol: %s", self.target.key, exc)
            self.kill("protocol error")
        finally:
            self.accepting = False
        code = await process.wait()
        if self._hard_kill is not None:
            self._hard_kill.cancel()
        self._kill_group()  # anything the handler started that outlived the instance
        self._ended_before_serving()
        failed = self._fail_pending()
        exit_code = self._exit_code if self._exit_code is not None else code
        expected = self._kill_reason is None and exit_code == 0 and not failed
        level = logging.DEBUG if expected else logging.WARNING
        _log.log(
            level,
            "instance %s (pid %s) ended with exit code %s",
            self.target.key,
            self._pid_label,
            exit_code,
        )

    def _ended_before_serving(self) -> None:
        """An instance that died while loading or initializing (exit() in the initializer, a
        crash) fails the calls waiting for it as FC reports a dead instance."""
        since = self._init_started if self._init_started is not None else self._spawned_at
        duration_ms = (self._loop.time() - since) * 1000
        cause = process_exited_cause(duration_ms, self._maxrss_kb)
        self._init_failed(FunctionError(FC_UNKNOWN, cause))

    def _on_message(self, message: dict[str, Any]) -> None:
        self._maxrss_kb = max(self._maxrss_kb, int(message.get("maxrss_kb", 0)))
        op = message.get("op")
        if op == "result":
            pending = self._pending.pop(int(message["id"]), None)
            if pending is None:
                return  # it timed out already
            pending.timer.cancel()
            pending.release()
            if message["ok"]:
                _settle(pending.future, None, message.get("output"))
            else:
                error = FunctionError(str(message["error"]), str(message["cause"]))
                _settle(pending.future, error)
        elif op == "ready":
            self._pid_label = f"{self._pid_label}/{message['pid']}"
            _log.debug(
                "instance %s (pid %s) ready in %.0f ms",
                self.target.key,
                self._pid_label,
                (self._loop.time() - self._spawned_at) * 1000,
            )
            self._on_ready_to_initialize()
        elif op == "load_error":
            self.accepting = False
            self._failure = FunctionError(str(message["error"]), str(message["cause"]))
            self._init_failed(self._failure)
            _log.warning("cannot load %s: %s", self.target.handler, self._failure.cause)
        elif op == "initialized":
            self._initialized()
        elif op == "init_error":
            error = FunctionError(str(message["error"]), str(message["cause"]))
            self._init_failed(error)
            _log.warning("initializer of %s failed: %s", self.target.key, error.cause)
        elif op == "exit":
            self._exit_code = int(message["code"])

    def _fail_pending(self) -> int:
        """Fail the calls the dead instance never answered; how many there were."""
        now = self._loop.time()
        pending_calls = list(self._pending.values())
        self._pending.clear()
        for pending in pending_calls:
            pending.timer.cancel()
            pending.release()
            duration_ms = (now - pending.started) * 1000
            error = self._failure or FunctionError(
                FC_UNKNOWN, process_exited_cause(duration_ms, self._maxrss_kb)
            )
            _settle(pending.future, error)
        return len(pending_calls)

    async def _forward_stderr(self, process: asyncio.subprocess.Process) -> None:
        """Handler prints and logs become worker log records, one per line."""
        assert process.stderr is not None
        while True:
            try:
                line = await process.stderr.readline()
            except ValueError:
                continue  # an over-long line was dropped; keep reading
            if not line:
                return
            _output_log.info(
                "[%s %s] %s",
                self.target.key,
                self._pid_label,
                line.decode("utf-8", "replace").rstrip(),
            )


def _task_timeout(seconds: float) -> FunctionError:
    message = f"Task timed out after {format_seconds(seconds)} seconds"
    return FunctionError(FNF_TASK_TIMEOUT, message)


def _settle(future: asyncio.Future[Any], error: BaseException | None, value: Any = None) -> None:
    if future.done():
        return  # the caller stopped waiting (cancelled)
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _mark_retrieved(future: asyncio.Future[Any]) -> None:
    """An answer nobody awaits any more (FnF.TaskTimeout, cancellation) is not an error to log."""
    if not future.cancelled():
        future.exception()
