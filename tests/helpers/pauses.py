"""Which activities of a run's Temporal history are pauses of a long stretch of inline steps
(worker/interpreter/work.py): FnFPause, or, since interpreter version 8, an ArchiveHistorySlice
carrying a slice written as the run went on (PROGRESS_FORMAT) rather than one of its close."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from worker.activities.pauses import PAUSE
from worker.archive import ARCHIVE_SLICE, PROGRESS_FORMAT


def is_pause(event: HistoryEvent) -> bool:
    if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return False
    attributes = event.activity_task_scheduled_event_attributes
    if attributes.activity_type.name == PAUSE:
        return True
    if attributes.activity_type.name != ARCHIVE_SLICE:
        return False
    chunk = json.loads(zlib.decompress(attributes.input.payloads[0].data))
    return bool(chunk["format"] == PROGRESS_FORMAT)


def pause_activities(events: Iterable[HistoryEvent]) -> list[HistoryEvent]:
    return [event for event in events if is_pause(event)]
