"""What Temporal tells workflow code about the current activation, read once per stretch.

Every step asks for the workflow's time (the Time of its events), the history length (the work
meter tells activations apart by it, worker/interpreter/work.py) and, at the root, whether
Temporal suggests continue-as-new. Each of these calls looks up the workflow's runtime through
the running event loop, about a microsecond in Temporal's sandbox, and a step asked for them
about ten times.

Temporal fixes all three when an activation begins (its jobs carry them), so they cannot
change while workflow code runs without yielding. An `Activation` keeps them from the first
question after the code last yielded: it reads them then and schedules a callback on the
workflow's event loop that forgets them. That callback runs as soon as workflow code yields,
and always before the activation ends (the SDK runs every ready callback before it completes
an activation), so a value is never kept into the next activation. It sends no command and
runs no workflow code, so it changes nothing a replay sees.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow


class Activation:
    """The workflow's time, history length and continue-as-new suggestion, read from
    Temporal once per stretch of workflow code."""

    __slots__ = ("_held", "_suggested", "length", "moment_ns")

    def __init__(self) -> None:
        self._held = False
        self.moment_ns = -1
        """The workflow's time once read (`time_ns`), -1 until then: code run at every
        step reads it here, one attribute, and calls `time_ns` only when it is -1."""
        self.length = -1
        """The history length once read (`history_length`), -1 until then: as `moment_ns`."""
        self._suggested: bool | None = None

    def time_ns(self) -> int:
        if self.moment_ns < 0:
            self._hold()
            self.moment_ns = workflow.time_ns()
        return self.moment_ns

    def history_length(self) -> int:
        if self.length < 0:
            self._hold()
            self.length = workflow.info().get_current_history_length()
        return self.length

    def continue_as_new_suggested(self) -> bool:
        if self._suggested is None:
            self._hold()
            self._suggested = workflow.info().is_continue_as_new_suggested()
        return self._suggested

    def _hold(self) -> None:
        """Keep what is read until the workflow yields."""
        if not self._held:
            self._held = True
            asyncio.get_running_loop().call_soon(self._forget)

    def _forget(self) -> None:
        self._held = False
        self.moment_ns = -1
        self.length = -1
        self._suggested = None
