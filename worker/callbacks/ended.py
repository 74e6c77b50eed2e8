"""Whether a task token was issued by an execution that has ended.

A running execution checks a report's token itself, in its Update validator (DESIGN 8). Once
it has ended, nothing runs to ask, yet the answer still matters: FnF answers a report for a
task that is over with TaskAlreadyCompleted (workers that get a message again key on that
code), and a malformed or unknown token with InvalidArgument (the ReportTaskSucceeded and
ReportTaskFailed error tables). A token that merely names an ended execution proves nothing:
its secret is what was issued, so a token is quoted back only once its secret is found. Every
secret is the result of the MintTaskSecret local activity, which Temporal records in the run's
history as a marker, so the ended execution's runs (the last one, then back along
continue-as-new) are read for a marker holding it.

Runs started before secrets were minted (they drew them from `workflow.random()`) recorded no
such marker: their tokens are InvalidArgument once the execution has ended.
"""

from __future__ import annotations

from typing import Final

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from worker.callbacks.tokens import TaskToken

MAX_RUNS: Final = 100
"""The most runs of one execution read back along continue-as-new for one report."""


async def issued_by_ended_execution(
    client: Client, workflow_id: str, token: TaskToken, text: str
) -> bool:
    """Whether `text`, spelled as tokens are written, carries a secret the execution minted.
    (The step EventId in it is not recorded beside the secret, so it is not checked: only a
    holder of the issued token knows the secret.)"""
    if token.encode() != text:
        return False  # skipped characters, missing padding, other digits: never issued
    needle = token.secret.encode()
    run_id: str | None = None
    for _ in range(MAX_RUNS):
        try:
            minted, previous = await _run_minted(client, workflow_id, run_id, needle)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:  # a run past its retention: unknown
                raise
            return False
        if minted:
            return True
        if not previous:
            return False
        run_id = previous
    return False


async def _run_minted(
    client: Client, workflow_id: str, run_id: str | None, needle: bytes
) -> tuple[bool, str]:
    """Whether the run recorded a marker holding `needle`, and the run it continued."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    previous = ""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = event.workflow_execution_started_event_attributes
            previous = started.continued_execution_run_id
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and (
            needle in event.marker_recorded_event_attributes.SerializeToString()
        ):
            return True, previous
    return False, previous
