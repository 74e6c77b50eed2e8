"""Whole lines from concurrent requests: `print()` on many threads must not splice lines.

A warm instance serves requests on threads (host.py). `print("working on 3")` is two writes,
the text and then the newline, so with a plain stream another request's text can land in
between ("working on 3working on 1"), and the worker, which prefixes each line of the
instance's stderr, shows both calls' output mangled. This stream keeps each thread's text until
it has a whole line and writes whole lines under one lock. A thread's unfinished last line is
written when its request ends (`end_thread`) or when the instance exits (`flush_all`).

Writes from C code or subprocesses go straight to file descriptor 2 and are not covered.
"""

from __future__ import annotations

import io
import threading
from typing import TextIO


class ThreadLines(io.TextIOBase):
    """A text stream for `sys.stdout`/`sys.stderr` that emits only whole lines per thread.

    `target` is the real stream (the process's stderr); it is flushed after every emitted
    block so the worker sees a line as soon as it is complete.
    """

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target
        self._lock = threading.Lock()
        self._pending: dict[int, str] = {}

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._target.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._target.errors

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._target.fileno()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        thread = threading.get_ident()
        with self._lock:
            buffered = self._pending.pop(thread, "") + text
            cut = buffered.rfind("\n") + 1
            if cut < len(buffered):
                self._pending[thread] = buffered[cut:]
            if cut:
                self._emit(buffered[:cut])
        return len(text)

    def flush(self) -> None:
        """Push complete lines out (they already are); unfinished lines wait for a newline."""
        with self._lock:
            self._target.flush()

    def end_thread(self) -> None:
        """The calling thread's request is over: write its unfinished line, if any."""
        with self._lock:
            rest = self._pending.pop(threading.get_ident(), "")
            if rest:
                self._emit(rest + "\n")

    def flush_all(self) -> None:
        """The process is ending: write every thread's unfinished line."""
        with self._lock:
            for rest in self._pending.values():
                self._emit(rest + "\n")
            self._pending.clear()
            self._target.flush()

    def _emit(self, lines: str) -> None:
        self._target.write(lines)
        self._target.flush()
