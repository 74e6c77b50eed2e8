"""Archive a run's FnF events as it closes (worker/archive.py says why and where)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from worker.archive import (
        ARCHIVE_CHUNK_BYTES,
        ARCHIVE_HISTORY,
        ARCHIVE_RUN_BYTES,
        ArchiveRequest,
        slices,
    )
    from worker.interpreter.events import EventLog

ARCHIVE_PATCH = "fnf-history-archived-at-close"
"""The patch of runs that archive their events as they close; earlier runs are read through
the `history` query."""
ARCHIVE_TIMEOUT = timedelta(seconds=30)
"""However the activity fares (even on a worker that lacks it), the run closes within this."""


async def archive_run(log: EventLog) -> None:
    """Hand this run's events to ArchiveHistory, a chunk at a time, until they are all kept or
    the run's archive budget is spent. Never fails the run: an archive that is missing or
    incomplete only sends readers to the query."""
    if not workflow.patched(ARCHIVE_PATCH):
        return
    room = ARCHIVE_RUN_BYTES
    first, following = log.first_id, log.next_id()
    for events in slices(_as_dicts(log.events)):
        request = ArchiveRequest.of(first, following, events, min(room, ARCHIVE_CHUNK_BYTES))
        if not _encodable(request.events_text):
            workflow.logger.warning("the run's FnF events hold text that is not UTF-8")
            return
        try:
            blob: bytes = await workflow.execute_local_activity(
                ARCHIVE_HISTORY,
                request,
                result_type=bytes,
                schedule_to_close_timeout=ARCHIVE_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=3),
                summary=f"internal: archive FnF events {first} to {following - 1}",
            )
        except (ActivityError, asyncio.CancelledError) as error:
            workflow.logger.warning("the run's FnF events were not archived: %s", error)
            return
        room -= len(blob)
        if not blob:
            return


def _encodable(text: str) -> bool:
    """Whether the payload converter can write these events: a lone surrogate (which the
    interpreter reports as FnF.RuntimeError) is not UTF-8, and a payload that fails to encode
    would fail the run as it closes. Readers of such a run use the query, which escapes it."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _as_dicts(events: list[Any]) -> list[dict[str, Any]]:
    """The events as the `history` query answers them: a log may keep an event in another
    form until it is read (then it offers `as_dict`)."""
    return [event if type(event) is dict else event.as_dict() for event in events]
