"""FnFPause: an activity that does nothing, so that the workflow yields.

A flow that runs many inline steps in a row gives Temporal no reason to end a workflow
activation, and Temporal's SDK fails an activation that runs past 2 s (its deadlock
detection), retrying it for ever. Awaiting a local activity ends the activation; the SDK
runs the activity in this worker and resumes the workflow in a new activation at once, with
no round trip to the server beyond a marker in the history. A timer would need the server
(whose timers fire about a second late), and continue-as-new is held to one run a second per
workflow id by a stock server (`history.workflowIdReuseMinimalInterval`; the embedded dev
server sets it to zero). worker/interpreter/work.py decides when.

Runs started since worker/interpreter/work.py PAUSE_TASK_PATCH run it as a regular activity on
their own task queue instead (every interpreter worker registers it): a local activity does not
end the workflow task as the server sees it, a regular one does, for one round trip.
"""

from __future__ import annotations

from temporalio import activity

PAUSE = "FnFPause"


@activity.defn(name=PAUSE)
async def pause() -> None:
    return None
