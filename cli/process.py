"""How every `fnf` command ends, and how the long-running ones stop.

Ending: the Temporal SDK's Rust core keeps threads that can call into Python while the
interpreter finalizes, which sometimes aborts the process (SIGABRT, "PyGILState_Release: thread
state ... must be current"; temporalio/sdk-python issue 300). A command whose work is done
therefore flushes its output and leaves without interpreter teardown, so its exit code is the
real one (`exit_now`).

Stopping: a long-running command (`fnf run`, `fnf worker`, `fnf api`, and any later one) runs its
work as one asyncio task under `run_until_stopped`. SIGINT (Ctrl-C), SIGTERM (what `kill`,
`timeout`, Docker and systemd send), SIGHUP (a closed terminal) and a closed stdout (`fnf run ...
| head -1`) all end it the same way: the task is cancelled, so every `async with` it entered
unwinds in reverse order (uvicorn stops listening, the Temporal workers shut down, function
instances are closed, the embedded dev server gets SIGTERM and is waited for, its database lock
is released). The process then exits with the shell's status for the cause: 128 + the signal's
number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP) and 141 (128 + SIGPIPE) for a closed
stdout, so scripts see it was stopped rather than that it failed or succeeded.

Stopping is idempotent: a stop request while stopping (a second Ctrl-C, SIGTERM from a service
manager after SIGINT) changes nothing, neither the status nor the orderly stop, so the next
start finds the port and the database free. Before, a second signal exited at once and left the
dev server to the kernel (worker/lifetime.py), still holding its database for a second or two.
Only a stop that takes longer than STOP_TIMEOUT_SECONDS exits at once (children are then stopped
by the kernel, as when this process is SIGKILLed). From the process's first instruction
(cli/entry.py) to its last, every stop signal is handled: before the work starts it exits at
once (nothing runs yet), and once the work has ended a signal only exits at once with the status
already decided, so neither a KeyboardInterrupt traceback nor click's "Aborted!" can appear. A
signal that was ignored when the command started (`nohup`, background jobs of a non-interactive
shell) stays ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import select
import signal
import stat
import sys
import traceback
from collections.abc import Coroutine
from typing import Any, NoReturn

import typer
from rich.console import Console

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE
STOP_TIMEOUT_SECONDS = 30.0
"""Longest a clean stop may take; more than the dev server's own grace (10 s) plus the
workers' and the HTTP server's, less than systemd's default 90 s before SIGKILL."""


class CommandConsole(Console):
    """rich's Console for commands: a closed output raises BrokenPipeError, which stops the
    command like a closed stdout (status 141). rich's own reaction, SystemExit(1), would leave
    the event loop at once (asyncio lets SystemExit through) and end with the wrong status."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        if _active_stop is not None:
            _active_stop.on_write_to_closed_pipe()
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def exit_now(code: int) -> NoReturn:
    """Flush what can be flushed and leave without interpreter teardown."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def signal_status(signum: int) -> int:
    """The exit status a shell reports for a process ended by `signum` (128 + its number)."""
    return 128 + signum


def run_until_stopped(main: Coroutine[Any, Any, int]) -> NoReturn:
    """Run a command's work to its end (exit with the status it returns), or until it is
    stopped by a signal or a closed stdout (exit with that cause's status, after a clean stop)."""
    exit_now(asyncio.run(_supervise(main)))


class _Stop:
    """The first stop request cancels the work; later ones change nothing (idempotent)."""

    def __init__(self, work: asyncio.Task[int]) -> None:
        self.work = work
        self.status: int | None = None
        self.repeated = False

    def on_signal(self, signum: int) -> None:
        self._request(signal_status(signum), f"{signal.Signals(signum).name}, stopping")

    def on_broken_pipe(self) -> None:
        silence_stdout()
        self._request(BROKEN_PIPE_STATUS, None)  # nothing more if a write found it first

    def on_write_to_closed_pipe(self) -> None:
        """A write found stdout closed: the BrokenPipeError raised there unwinds the work,
        and that is the stop. The closed-pipe notice that follows must not cancel it as well:
        a cancellation landing in a Temporal worker's shutdown ends the shutdown half-way,
        and its pollers then keep the event loop from closing."""
        if self.status is not None:
            return
        self.status = BROKEN_PIPE_STATUS
        asyncio.get_running_loop().call_later(STOP_TIMEOUT_SECONDS, self._overdue)

    def _request(self, status: int, note: str | None) -> None:
        if self.status is not None:
            if not self.repeated and note:
                self.repeated = True
                _say(f"already stopping (at most {STOP_TIMEOUT_SECONDS:g} s)")
            return
        self.status = status
        if note:
            _say(note)
        loop = asyncio.get_running_loop()
        loop.call_later(STOP_TIMEOUT_SECONDS, self._overdue)
        self.work.cancel()

    def _overdue(self) -> None:
        _say(f"not stopped within {STOP_TIMEOUT_SECONDS:g} s, exiting")
        exit_now(self.status if self.status is not None else 1)


_active_stop: _Stop | None = None
"""The running command's stop, which a write to a closed stdout reports to."""


async def _supervise(main: Coroutine[Any, Any, int]) -> int:
    global _active_stop
    loop = asyncio.get_running_loop()
    work = asyncio.ensure_future(main)
    stop = _active_stop = _Stop(work)
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            loop.add_signal_handler(signum, stop.on_signal, signum)
    _watch_stdout(loop, stop.on_broken_pipe)
    try:
        return await work
    except typer.Exit as done:  # a command's own early end, with its status
        return done.exit_code
    except BrokenPipeError:
        silence_stdout()
        return stop.status or BROKEN_PIPE_STATUS
    except BaseException as error:
        if stop.status is None:
            raise
        if not isinstance(error, asyncio.CancelledError):  # a part failed while stopping
            _say("".join(traceback.format_exception_only(error)).strip())
        return stop.status
    finally:
        _active_stop = None
        _hand_over_signals(loop, stop)


def _hand_over_signals(loop: asyncio.AbstractEventLoop, stop: _Stop) -> None:
    """The loop's handlers go with the loop; what is left (asyncio.run's own teardown, then
    `exit_now`) is only the exit, so a stop signal now exits at once, with the status already
    decided. Removing them alone would restore Python's defaults: a KeyboardInterrupt traceback,
    or death by SIGTERM with no status of ours."""

    def exit_at_once(signum: int, _frame: object) -> None:
        exit_now(stop.status if stop.status is not None else signal_status(signum))

    for signum in STOP_SIGNALS:
        if loop.remove_signal_handler(signum):
            signal.signal(signum, exit_at_once)


def _watch_stdout(loop: asyncio.AbstractEventLoop, on_closed: Any) -> None:
    """Call `on_closed` as soon as nobody reads stdout any more, not at the next write: a
    command may print nothing for a long time (a flow in a wait step).

    Only for a pipe: its write end polls as an error once the read end is closed (pipe(7)), and
    never as readable. A terminal or a socket may be readable, and a regular file cannot close.
    """
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
    except (OSError, ValueError, AttributeError):
        return

    def closed() -> None:
        loop.remove_reader(fd)
        on_closed()

    with contextlib.suppress(OSError, ValueError, NotImplementedError):
        loop.add_reader(fd, closed)


def stdout_reader_gone(fd: int | None = None) -> bool:
    """Whether stdout (or `fd`, a copy of it) is a pipe whose read end is closed (its write end
    polls as an error, pipe(7)): a BrokenPipeError then came from stdout, not from a socket or a
    child's pipe."""
    try:
        fd = sys.stdout.fileno() if fd is None else fd
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def end_on_closed_stdout() -> NoReturn:
    """A short command (`fnf flow list | head -1`) whose reader went away ends as the
    long-running ones do: status 141 (128 + SIGPIPE), as a shell reports a process that
    SIGPIPE killed, and without a message. click and typer would exit with 1, the status of a
    refusal, although nothing was refused."""
    silence_stdout()
    exit_now(BROKEN_PIPE_STATUS)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered or printed while stopping
    does not raise BrokenPipeError again (the Python documentation's advice for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _say(note: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"fnf: {note}\n")
        sys.stderr.flush()
