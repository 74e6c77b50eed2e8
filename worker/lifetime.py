"""Child processes that do not outlive the process that started them, even when it is SIGKILLed.

A parent that is stopped by a signal it can catch stops its children itself (cli/process.py).
One killed with SIGKILL, or crashing, cannot; on Linux the kernel then sends each child the
signal it asked for with `prctl(PR_SET_PDEATHSIG)` (prctl(2)). The request is made in the child
(the setting is cleared by fork), either by the child's own code (the function host) or, for a
program we do not write (the Temporal dev server), between fork and exec.

Two rules from prctl(2) shape this module: the "parent" is the *thread* that forked the child, so
children must be started from a thread that lives as long as the process (the event loop's
thread in every `fnf` command); and a parent that died before the request leaves the child
orphaned already, so the child compares its parent with the one it expected and, if they differ,
delivers the signal to itself. Elsewhere than Linux there is no such request; children then rely
on their parent's clean stop (and function instances also on the end of their request pipe).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Resolved once, in the parent: the code that runs between fork and exec should do no more than
# one C call (the other threads of a Temporal client may hold locks the child cannot take).
_PRCTL = _load_prctl()

SUPPORTED = _PRCTL is not None
"""Whether children can ask to die with their parent here (Linux)."""


def die_with_parent(expected_parent: int, signum: int = signal.SIGTERM) -> bool:
    """In a child: have the kernel send `signum` when the parent dies; if the parent is not
    `expected_parent` any more (it died before this call), send it now. False if unsupported."""
    if _PRCTL is None:
        return False
    _PRCTL(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != expected_parent:
        os.kill(os.getpid(), signum)
    return True


def preexec_die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that makes the child die with this process (thread),
    or None where that is not supported."""
    if _PRCTL is None:
        return None
    parent = os.getpid()

    def request() -> None:
        die_with_parent(parent, signum)

    return request
