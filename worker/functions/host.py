"""A warm function instance: `python -m worker.functions.host '<HostSpec as JSON>'`.

The worker must survive whatever a handler does (`exit()`, `os._exit()`, a segfault, being
killed), and module state must persist between calls as in a warm FC instance. So each registry
entry's handler lives in a process of its own that serves many requests on threads, and the
worker talks to it over pipes (protocol.py).

The process forks once at start-up, before any user code is imported:

* the *instance* (child) imports the handler, runs the function's initializer if it has one
  (FC's initializer hook: once, before the first request), and serves requests;
* the *supervisor* (parent) only waits for the instance to end and then reports its exit status
  and peak memory (from `wait4`) on the answer channel, so a crash is described with FC's
  "Process exited unexpectedly ... (duration: 12ms, maxMemoryUsage: 9.51MB)" using measured
  numbers. It then kills its process group (it leads a session of its own), taking down anything
  the handler started. SIGTERM asks it to kill the instance (the worker's way to stop a timed
  out, possibly stuck, instance). It also asks the kernel for that SIGTERM when the worker dies
  (worker/lifetime.py): a worker killed outright leaves no instance behind, even one whose
  initializer or module import never returns to read the closed request pipe.

Before forking, the host keeps the original stdout for answers and points file descriptor 1 at
stderr, and the original stdin for requests and points descriptor 0 at /dev/null: prints (even
from C code or subprocesses) and reads of stdin by handlers cannot touch the protocol. The worker
forwards stderr to its logging.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any, NoReturn

from worker.lifetime import die_with_parent

from . import protocol
from .errors import FC_UNKNOWN, exception_cause, fc_body
from .handler_context import (
    FCContext,
    FunctionMeta,
    ServiceMeta,
    configure_logging,
    set_current_request_id,
)
from .handler_loader import Handler, HandlerLoadError, load_handler
from .output_lines import ThreadLines

Initializer = Callable[[Any], Any]

_EXIT_INTERNAL_ERROR = 70


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    spec: protocol.HostSpec = json.loads(args[0])
    worker = os.getppid()
    requests_fd, answers_fd = _claim_protocol_channel()
    child = os.fork()
    if child == 0:
        _run_instance(spec, requests_fd, answers_fd)
    os.close(requests_fd)
    _supervise(child, answers_fd, worker)


def _claim_protocol_channel() -> tuple[int, int]:
    """Keep stdin/stdout for the protocol; give user code /dev/null and stderr instead."""
    sys.stdout.flush()
    requests_fd = os.dup(0)
    answers_fd = os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # one stream for print() and logging keeps their order; whole lines keep requests apart
    sys.stdout = sys.stderr = ThreadLines(sys.stderr)
    return requests_fd, answers_fd


# ---------------------------------------------------------------------------------------------
# Supervisor


def _supervise(child: int, answers_fd: int, worker: int) -> NoReturn:
    def kill_instance(signum: int, frame: object) -> None:
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)

    signal.signal(signal.SIGTERM, kill_instance)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is the worker's to handle
    die_with_parent(worker, signal.SIGTERM)
    try:
        _, status, usage = os.wait4(child, 0)
        code = os.waitstatus_to_exitcode(status)
        maxrss = _kilobytes(usage.ru_maxrss)
    except ChildProcessError:
        code, maxrss = -1, 0
    with suppress(OSError):  # the worker may be gone
        os.write(answers_fd, protocol.encode({"op": "exit", "code": code, "maxrss_kb": maxrss}))
    if os.getpgrp() == os.getpid():  # a session of our own: clear up what the handler started
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# Instance


class _Channel:
    """The answer pipe, shared by request threads: one whole line per write."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def send(self, message: protocol.Message) -> None:
        self.write(protocol.encode(message))

    def write(self, line: bytes) -> None:
        with self._lock:
            view = memoryview(line)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]


def _run_instance(spec: protocol.HostSpec, requests_fd: int, answers_fd: int) -> NoReturn:
    code = 0
    try:
        _serve(spec, requests_fd, _Channel(answers_fd))
    except BaseException:
        traceback.print_exc()
        code = _EXIT_INTERNAL_ERROR
    _flush_and_exit(code)


def _serve(spec: protocol.HostSpec, requests_fd: int, channel: _Channel) -> None:
    logger = configure_logging()
    init_spec = spec["initializer"]
    try:
        handler: Handler = load_handler(
            spec["module_file"], spec["module"], spec["attribute"], spec["base_dir"]
        )
        initializer: Initializer | None = None
        if init_spec is not None:
            initializer = load_handler(
                init_spec["module_file"],
                init_spec["module"],
                init_spec["attribute"],
                spec["base_dir"],
                role="Initializer",
            )
    except HandlerLoadError as exc:
        channel.send({"op": "load_error", "error": FC_UNKNOWN, "cause": exc.cause})
        return
    function = FunctionMeta(
        name=spec["function"],
        handler=spec["handler"],
        timeout=spec["timeout"],
        initializer=init_spec["handler"] if init_spec else None,
        initialization_timeout=init_spec["timeout"] if init_spec else None,
    )
    service = ServiceMeta(name=spec["service"], qualifier=spec["qualifier"])
    channel.send({"op": "ready", "pid": os.getpid(), "maxrss_kb": _maxrss_kb()})
    if initializer is not None and init_spec is not None:
        context = _context(init_spec["request_id"], function, service, "", "", logger)
        if not _initialize(initializer, context, channel):
            return  # FC gives the next request a fresh instance
    pool = ThreadPoolExecutor(max_workers=spec["concurrency"], thread_name_prefix="request")
    with open(requests_fd, "rb") as requests:
        for line in requests:
            request = json.loads(line)
            pool.submit(_serve_one, handler, request, function, service, logger, channel)
    # End of requests: the worker closed the pipe or died. Nobody can receive answers any more.


def _serve_one(
    handler: Handler,
    request: protocol.Request,
    function: FunctionMeta,
    service: ServiceMeta,
    logger: Any,
    channel: _Channel,
) -> None:
    call_id = request["id"]
    set_current_request_id(request["request_id"])
    context = _context(
        request["request_id"], function, service, request["region"], request["account_id"], logger
    )
    try:
        try:
            result = handler(protocol.text_to_event(request["event"]), context)
        except SystemExit as exc:
            _exit_like_a_process(exc)
        except BaseException as exc:
            channel.send(
                {
                    "op": "result",
                    "id": call_id,
                    "ok": False,
                    "error": type(exc).__name__,
                    "cause": exception_cause(exc),
                    "maxrss_kb": _maxrss_kb(),
                }
            )
            return
        channel.write(_answer(call_id, result))
    except OSError:
        _flush_and_exit(0)  # the answer pipe is broken: the worker is gone
    finally:
        set_current_request_id("")
        _end_request_output()


def _context(
    request_id: str,
    function: FunctionMeta,
    service: ServiceMeta,
    region: str,
    account_id: str,
    logger: Any,
) -> FCContext:
    return FCContext(
        request_id=request_id,
        function=function,
        service=service,
        region=region,
        account_id=account_id,
        logger=logger,
    )


def _initialize(initializer: Initializer, context: FCContext, channel: _Channel) -> bool:
    """Run FC's initializer hook once, on the main thread, before any request is read.

    Its return value is ignored, as on FC. A raised exception is reported like a handler's
    (FC's body, the class name as the error); `exit()` ends the instance like any crash. The
    worker enforces `initializationTimeout` (only a kill can stop a stuck initializer).
    """
    set_current_request_id(context.request_id)
    try:
        initializer(context)
    except SystemExit as exc:
        _exit_like_a_process(exc)
    except BaseException as exc:
        channel.send(
            {
                "op": "init_error",
                "error": type(exc).__name__,
                "cause": exception_cause(exc),
                "maxrss_kb": _maxrss_kb(),
            }
        )
        return False
    finally:
        set_current_request_id("")
        _end_request_output()
    channel.send({"op": "initialized", "maxrss_kb": _maxrss_kb()})
    return True


def _answer(call_id: int, result: Any) -> bytes:
    """The success line, or FC.Unknown when the return value cannot travel as JSON."""
    try:
        return protocol.encode(
            {
                "op": "result",
                "id": call_id,
                "ok": True,
                "output": _output(result),
                "maxrss_kb": _maxrss_kb(),
            }
        )
    except (TypeError, ValueError) as exc:
        return protocol.encode(
            {
                "op": "result",
                "id": call_id,
                "ok": False,
                "error": FC_UNKNOWN,
                "cause": fc_body(
                    errorMessage=f"the handler's return value is not JSON: {exc}",
                    errorType=type(exc).__name__,
                ),
                "maxrss_kb": _maxrss_kb(),
            }
        )


def _output(result: Any) -> Any:
    """dict/list and other JSON values as they are; str/bytes parsed as JSON when they are."""
    if isinstance(result, bytes | bytearray | memoryview):
        result = bytes(result).decode("utf-8", "replace")
    if isinstance(result, str):
        try:
            return json.loads(result, parse_constant=_reject_constant)
        except ValueError:
            return result  # not JSON: the caller decides (FnF.InvalidLocal, for one)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exit_like_a_process(exc: SystemExit) -> NoReturn:
    """`exit()` in a handler ends the instance, as it would end FC's runtime process."""
    code = exc.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF  # what the OS keeps of an exit status
    else:
        print(code, file=sys.stderr)
        status = 1
    _flush_and_exit(status)


def _end_request_output() -> None:
    if isinstance(sys.stderr, ThreadLines):
        sys.stderr.end_thread()


def _flush_and_exit(status: int) -> NoReturn:
    if isinstance(sys.stderr, ThreadLines):
        with suppress(OSError, ValueError):
            sys.stderr.flush_all()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


def _maxrss_kb() -> int:
    return _kilobytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _kilobytes(maxrss: int) -> int:
    return maxrss // 1024 if sys.platform == "darwin" else maxrss  # macOS counts bytes


if __name__ == "__main__":
    main()
