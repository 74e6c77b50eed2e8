"""How much work the workflow has done since it last yielded: a deterministic meter that keeps
every workflow activation short, whatever the flow does.

Temporal's SDK fails an activation that runs past 2 s ("deadlock detected") and the workflow
task is retried for ever, so a flow that loops over inline steps (pass, choice, mappings) must
yield now and then. Wall-clock time cannot decide when: a replay must make the same decision at
the same step. The meter counts what the interpreter did instead: steps run, and bytes of data
serialised to measure them (worker/interpreter/sizes.py), since the activation began. An
activation is told apart by the history length Temporal reports to it
(`workflow.info().get_current_history_length()`, the same in a replay), and a pause starts a
new count.

When an activation has done its share, a sequence yields:
- `pause()`: an activity that does nothing (worker/activities/pauses.py); the workflow goes on
  in a new activation once it completes. Any sequence, nested ones included, may pause.
  Since PAUSE_TASK_PATCH it is a regular activity on the run's own task queue (the default),
  so that each pause completes the workflow task: a local activity did not (the SDK keeps
  one workflow task open across local activities, heartbeating it, so the server saw tasks
  of up to 8.9 s); a timer would, but the dev server fires timers on a one-second tick (a
  1 ms timer took 1.0 s, a no-op activity 15-24 ms, a no-op local activity 11-12 ms,
  measured side by side).
- the root sequence hands over (continue-as-new, DESIGN 10) instead once this run has paused
  `pauses_per_run` times, so that replaying one run (a worker that lost its cache, a `history`
  query of a closed run) never costs more than about `pauses_per_run` + 1 activations of work.
  Continue-as-new alone would be slow: a stock server starts at most one run a second per
  workflow id (`history.workflowIdReuseMinimalInterval`; the embedded dev server sets it to
  zero, worker/devserver.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

from worker.activities.pauses import PAUSE
from worker.interpreter import versions
from worker.interpreter.activation import Activation
from worker.interpreter.context import DEFAULT_PAUSES_PER_RUN, DEFAULT_STEPS_PER_ACTIVATION

BYTES_PER_ACTIVATION = 32 * 1024 * 1024
"""Bytes of data one activation may serialise (to measure it) before its sequence yields."""

PAUSE_TIMEOUT = timedelta(seconds=10)
PAUSE_SUMMARY = "internal: yield between steps, so no workflow task runs long"

PAUSE_TASK_PATCH = "pause-completes-workflow-task"
"""Runs started since this patch pause with a regular activity (each pause ends the workflow
task as the server sees it); earlier runs pause with a local activity, as they always did."""

STEP_CHARS = 500
"""What an inline step costs, in characters of archive text written: about 9.7 us of workflow CPU
for a loop step against about 19 ns a character (bench/README.md). `work_chars` weighs a task's
steps against its archive slice with it (worker/interpreter/archive.py TASK_BUDGET_CHARS): a
pause after 3,000 steps leaves its slice a million characters, more than those steps' own
records take (about 200 characters a loop step)."""

HANDOVER_PATCH = "inline-work-handover"
"""Runs started since this patch yield (pause, or continue as new at the root) when an
activation has done its share of work; earlier runs replay without it."""


def _nothing() -> int:
    return 0


@dataclass
class WorkMeter:
    """Steps charged, and bytes read from `serialised` (a running total, such as
    JsonSizes.measured_bytes), since the current activation began; pauses in this run."""

    serialised: Callable[[], int] = field(default=_nothing)
    steps_per_activation: int = DEFAULT_STEPS_PER_ACTIVATION
    bytes_per_activation: int = BYTES_PER_ACTIVATION
    pauses_per_run: int = DEFAULT_PAUSES_PER_RUN
    steps: int = 0
    pauses: int = 0
    activation: Activation = field(default_factory=Activation)
    """Where the history length is read (once per stretch of workflow code)."""
    carry: Callable[[], Awaitable[bool]] | None = None
    """Pauses with the run's next archive slice when there is one (worker/interpreter/
    archive.py ArchiveProgress.pause; runs since its PROGRESS_SINCE): True when it did."""
    _bytes_before: int = 0
    _activation: int = -1
    """The history length of the activation the counts belong to."""

    def charge(self, steps: int = 1) -> None:
        """Count steps run now (in the current activation): `_follow`, inline (every step
        charges)."""
        activation = self.activation.length
        if activation < 0:
            activation = self.activation.history_length()
        if activation != self._activation:
            self._activation = activation
            self._restart()
        self.steps += steps

    def spent(self) -> bool:
        """Whether this activation has done its share and the workflow should yield: asks
        for HANDOVER_PATCH only then, so runs that never get there record no marker."""
        activation = self.activation.length  # `_follow`, inline
        if activation < 0:
            activation = self.activation.history_length()
        if activation != self._activation:
            self._activation = activation
            self._restart()
        over = (
            self.steps >= self.steps_per_activation
            or self.serialised() - self._bytes_before >= self.bytes_per_activation
        )
        return over and versions.patched(HANDOVER_PATCH)

    def run_is_spent(self) -> bool:
        """Whether this run has paused its share: the root sequence should hand over."""
        return self.pauses >= self.pauses_per_run

    def work_chars(self) -> int:
        """The work done in the current activation, in characters of archive text: its steps
        (STEP_CHARS each) and the bytes it serialised to measure data."""
        self._follow()
        return self.steps * STEP_CHARS + self.serialised() - self._bytes_before

    async def pause(self) -> None:
        """Yield to Temporal (an activity that does nothing, or one that keeps the run's next
        archive slice), then count afresh."""
        try:
            if self.carry is not None and await self.carry():
                pass
            elif versions.patched(PAUSE_TASK_PATCH):
                await workflow.execute_activity(
                    PAUSE,
                    start_to_close_timeout=PAUSE_TIMEOUT,
                    summary=PAUSE_SUMMARY,
                )
            else:
                await workflow.execute_local_activity(
                    PAUSE, start_to_close_timeout=PAUSE_TIMEOUT, summary=PAUSE_SUMMARY
                )
        except ActivityError as error:
            if is_cancelled_exception(error):  # stopped meanwhile
                raise asyncio.CancelledError() from None
            raise
        self.pauses += 1
        self._restart()

    def _follow(self) -> None:
        activation = self.activation.history_length()
        if activation != self._activation:
            self._activation = activation
            self._restart()

    def _restart(self) -> None:
        self.steps = 0
        self._bytes_before = self.serialised()
