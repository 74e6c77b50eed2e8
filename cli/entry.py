"""The `fnf` program's entry point: stop signals are handled from its first instruction.

Loading the command's modules takes about a second, and a command parses its options and
settings before `run_until_stopped` (cli/process.py) takes the signals over. A Ctrl-C in that
time used to get Python's own handling: a KeyboardInterrupt traceback while modules load, or
click's "Aborted!" with exit status 1 afterwards. Nothing has been started yet then (no dev
server, no function instance, no port), so the clean stop is to exit at once with the shell's
status for the signal, as a stop later does. This module imports only the standard library so
that it is in place before anything slow runs.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def main() -> None:
    """Run the `fnf` command line (the `fnf` script and `python -m cli`)."""
    guard_stop_signals()
    from cli.main import app  # after the guard: loading the commands is the slow part

    app()


def guard_stop_signals() -> None:
    """Until a command takes them over, a stop signal ends the process at once with its status.
    A signal ignored at start (`nohup`, a non-interactive shell's background job) stays ignored,
    as cli/process.py keeps it."""
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _exit_at_once)


def _exit_at_once(signum: int, _frame: FrameType | None) -> None:
    try:
        sys.stderr.write(f"fnf: {signal.Signals(signum).name}, stopping\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(128 + signum)
