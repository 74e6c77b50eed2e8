"""Ending short-lived commands that used a Temporal client.

The Temporal SDK's Rust core keeps threads that can call into Python while the interpreter
finalizes, which sometimes aborts the process (SIGABRT, "PyGILState_Release: thread state ...
must be current"; temporalio/sdk-python issue 300). A command whose work is done therefore
flushes its output and leaves without interpreter teardown, so its exit code is the real one.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
