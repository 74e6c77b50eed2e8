"""Why work in flight was cancelled, and what the cancelled work records.

Two things cancel work inside an execution (FDL spec 5.1, 2.7, 2.8):

- StopExecution: its Error and Cause arrive as a signal, then Temporal's cancellation ends
  whatever runs (a function task and its pending retries, a callback wait, a sub-flow, a
  timer, every branch and iteration). A bare Temporal cancellation (`temporal workflow cancel`)
  is a stop without Error. The execution ends Stopped.
- A failed branch or iteration: its parallel or foreach fails, so the siblings still running
  are cancelled and no new iteration starts.

FnF's closed list of event types (FDL spec 5.4) has no "aborted" event, so cancelled work ends
with the types it already has: a step records StepFailed, a branch or iteration its
BranchExited/IterationExited, each with `{"error", "cause"}` saying why. Under a stop these are
the stop's Error and Cause (what ExecutionStopped records); a sibling of a failed branch records
FnF.Cancelled with a cause naming the branch or iteration that failed (the failed member's own
Exited event carries its error). Like Step Functions' "Aborted" events, these mark work that
ended without finishing; no retry or catch ever sees them. The task attempt in flight gets no
Task* end event: the step's StepFailed closes it. A sub-flow cancelled with its parent's step
takes the reason as Temporal's cancellation reason, which its ExecutionStopped shows.

Only a cancellation (asyncio.CancelledError) means "stopped". Workflow code never catches a
BaseException beyond it: not GeneratorExit, which Python's garbage collector throws into the
coroutines of a run the worker dropped from its cache (temporalio drops the whole cache when a
worker shuts down), and not the SDK's own eviction error. Code that caught either went on as if
stopped, in whichever thread collected it: when that thread was running another run's
activation, the dead run's RecordRedrivePoint was scheduled in the live one, whose history then
never replayed again (`[TMPRL1100] Nondeterminism error`). tests/worker/test_workflow_code_rules.py
keeps the rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from temporalio import workflow

CANCELLED = "FnF.Cancelled"
"""The error a step, branch or iteration records when a failed sibling cancelled it."""

STOPPED = "FnF.Stopped"
"""The error a parent sees for a sub-flow stopped without an Error (ReportTaskFailed and a
`sync` task need an error name to match `catch` against)."""

CANCELLED_CAUSE = "the execution was cancelled"
"""The cause of a stop that came with no StopExecution Error and Cause (a Temporal cancel)."""

PATCH = "fnf-stop-ends-stopped"
"""`workflow.patched` id of the cancellation rules above: executions started before them keep
their old command sequence (a stop during a task failed the execution; a failed foreach went
on starting iterations) when their history is replayed."""


@dataclass(frozen=True)
class Reason:
    """Why work was cancelled: recorded as the `error` and `cause` of its end event."""

    error: str
    cause: str

    def detail(self) -> dict[str, Any]:
        return {"error": self.error, "cause": self.cause}

    def encode(self) -> str:
        """As the reason of a Temporal cancellation of a part run (worker/interpreter/parts.py),
        which carries one string: the part records the parent's Error and Cause."""
        return REASON_PREFIX + json.dumps(self.detail())

    @classmethod
    def of_cancellation(cls, text: str | None) -> Reason:
        """The reason of Temporal's cancellation of this run: an encoded Reason (a part run
        cancelled by its parent), else a stop without Error whose cause is the text."""
        if text and text.startswith(REASON_PREFIX):
            try:
                found = json.loads(text[len(REASON_PREFIX) :])
                return cls(str(found["error"]), str(found["cause"]))
            except (ValueError, KeyError, TypeError):
                pass
        return cls("", text or CANCELLED_CAUSE)


REASON_PREFIX = "fnf-reason:"


@dataclass
class CancelScope:
    """Where cancellation comes from: the execution (the root scope, whose reason is the stop)
    or one parallel/foreach step (whose reason is its first failed member). Scopes nest like
    the steps do; the innermost reason explains a cancellation."""

    parent: CancelScope | None = None
    reason: Reason | None = None

    def nested(self) -> CancelScope:
        return CancelScope(parent=self)

    def abandon(self, member: str, step: str, error: str) -> None:
        """A member failed: cancel the others (the first failure names the reason)."""
        if self.reason is None:
            cause = f"{member} of step {step} failed with {error or 'an error'}"
            self.reason = Reason(CANCELLED, cause)

    def cancelling(self) -> bool:
        """Whether this scope's work is being cancelled: a member of an enclosing fan-out
        failed, or Temporal's cancellation of the execution has arrived (a StopExecution
        signal alone cancels nothing yet)."""
        scope: CancelScope | None = self
        while scope is not None and scope.parent is not None:
            if scope.reason is not None:
                return True
            scope = scope.parent
        return workflow.cancellation_reason() is not None

    def why(self) -> Reason:
        """The reason a cancellation within this scope happened."""
        reason = self._innermost()
        if reason is not None:
            return reason
        return Reason.of_cancellation(workflow.cancellation_reason())

    def _innermost(self) -> Reason | None:
        scope: CancelScope | None = self
        while scope is not None:
            if scope.reason is not None:
                return scope.reason
            scope = scope.parent
        return None
