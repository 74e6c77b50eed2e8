"""The redrive point a failed or stopped run records as it closes (worker/interpreter/redrive.py
says what it holds): the `RecordRedrivePoint` local activity compresses it, and Temporal keeps
the result as a marker at the end of the run's history, beside the run's archived events
(worker/archive.py), so RedriveExecution reads it without a worker and without replay."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from temporalio import activity

RECORD_REDRIVE_POINT = "RecordRedrivePoint"
REDRIVE_POINT_BYTES = 1_000_000
"""Compressed bytes a redrive point may take (one marker's payload; Temporal refuses payloads
over 2 MB, and the point shares the closing workflow task with the run's archive)."""
POINT_FORMAT = 1


@dataclass
class RedrivePointRequest:
    """The point as JSON text (written by the workflow with the C encoder)."""

    text: str
    max_bytes: int = REDRIVE_POINT_BYTES


@activity.defn(name=RECORD_REDRIVE_POINT)
async def record_redrive_point(request: RedrivePointRequest) -> bytes:
    """The point, compressed; empty when it does not fit (the run is then not redrivable)."""
    blob = zlib.compress(f'{{"format":{POINT_FORMAT},"point":{request.text}}}'.encode(), 6)
    return blob if len(blob) <= request.max_bytes else b""


def decode_point(blob: bytes) -> dict[str, Any] | None:
    """None for an empty (not recorded) or unreadable point."""
    if not blob:
        return None
    try:
        document = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != POINT_FORMAT:
        return None
    point = document.get("point")
    return point if isinstance(point, dict) else None
