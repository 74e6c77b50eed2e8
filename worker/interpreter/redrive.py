"""RedriveExecution, the workflow's side: where a failed or stopped execution was, and going
on from there in a new run (Step Functions' RedriveExecution: "continues the failed execution
from the unsuccessful step ... and for Inline Map or Parallel states redrives only the
iterations and branches that failed or aborted").

Where the execution was is captured as its failure (or its stop's cancellation) travels up
the interpreter, with no bookkeeping while steps succeed: each sequence the exception leaves
marks it with a *frame* (the position of the step that did not finish and the sequence's
`$local` before it); a parallel, foreach or choice step marks it with its *step point* (the
members that completed, with their locals, and the frame each unfinished member stopped at;
or the chosen option's frame). The root's frame is the redrive point that the run records as
it closes (RECORD_REDRIVE_POINT, kept as a marker in its Temporal history, like the archive).

A redrive's first run starts the root sequence at the frame's position with its local, and
hands each step point to the step it belongs to: completed members keep their locals and
record no event; unfinished ones go on from their own frame. Inputs are mapped again from the
same data, so each re-entered step sees the input it saw. Frames and points are plain JSON
(member indexes are text keys), as they travel in workflow input.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from worker.interpreter import versions
from worker.interpreter.legible import summary

with workflow.unsafe.imports_passed_through():
    from worker.redrive_points import RECORD_REDRIVE_POINT, RedrivePointRequest

REDRIVE_PATCH = "fnf-redrive-point"
"""Runs since this patch record where they failed or were stopped, and can be redriven."""
RECORD_TIMEOUT = timedelta(seconds=30)
REDRIVEN = "ExecutionRedriven"
"""The event that starts a redrive's part of the history (Step Functions' name for it)."""

Frame = dict[str, Any]
"""`{"position": int, "local": {...}, "step": step point or None}`."""
StepPoint = dict[str, Any]
"""`{"done": {index: local}, "frames": {index: frame}}` for parallel and foreach members;
`{"option": frame}` for a choice."""

_FRAME = "fnf_redrive_frame"
_STEP = "fnf_redrive_step"


def mark_frame(error: BaseException, position: int, local: dict[str, Any]) -> None:
    """The sequence `error` leaves was at `position` with `local`."""
    step = error.__dict__.pop(_STEP, None)
    setattr(error, _FRAME, {"position": position, "local": local, "step": step})


def take_frame(error: BaseException) -> Frame | None:
    """The frame the innermost sequence left on `error` (once)."""
    frame: Frame | None = error.__dict__.pop(_FRAME, None)
    return frame


def mark_step(error: BaseException, point: StepPoint) -> None:
    """The step `error` leaves (a parallel, foreach or choice) was at `point`."""
    setattr(error, _STEP, point)


@dataclass
class Members:
    """A parallel's or foreach's members as they end: the locals of those that completed,
    the frames of those that failed or were cancelled."""

    done: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, Frame] = field(default_factory=dict)

    @classmethod
    def resuming(cls, point: StepPoint | None) -> Members:
        if not point:
            return cls()
        return cls(dict(point.get("done") or {}), dict(point.get("frames") or {}))

    def completed(self, index: int) -> dict[str, Any] | None:
        local: dict[str, Any] | None = self.done.get(str(index))
        return local

    def frame(self, index: int) -> Frame | None:
        """An unfinished member's frame, taken once: only its first run resumes there."""
        return self.frames.pop(str(index), None)

    def point(self) -> StepPoint:
        return {"done": dict(self.done), "frames": dict(self.frames)}


def redrive_point(
    frame: Frame,
    flow_input: dict[str, Any],
    next_event_id: int,
    last_event_time: str,
    closed_tokens: list[str],
) -> dict[str, Any]:
    """What a redrive needs to go on (worker/redrive.py reads it back)."""
    return {
        "frame": frame,
        "flowInput": flow_input,
        "nextEventId": next_event_id,
        "lastEventTime": last_event_time,
        "closedTokens": list(closed_tokens),
    }


async def record_point(point: dict[str, Any]) -> None:
    """Hand the point to RecordRedrivePoint, whose result Temporal keeps in the run's history.
    Never fails the run: a point that is not recorded (too large, text that is not UTF-8, a
    worker without the activity) only makes the execution not redrivable."""
    if not versions.patched(REDRIVE_PATCH):
        return
    text = json.dumps(point, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode()
    except UnicodeEncodeError:
        workflow.logger.warning("the redrive point holds text that is not UTF-8")
        return
    try:
        await workflow.execute_local_activity(
            RECORD_REDRIVE_POINT,
            RedrivePointRequest(text),
            result_type=bytes,
            schedule_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=3),
            summary=summary("internal: record where the execution ended, for RedriveExecution"),
        )
    except (ActivityError, asyncio.CancelledError) as error:
        workflow.logger.warning("the redrive point was not recorded: %s", error)
