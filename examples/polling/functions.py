"""Functions of the polling example: start a job, then report its status when asked."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

# Module state lives as long as the warm function instance: the job "runs" from the moment the
# instance first loaded, and is done once more than `delay` seconds have passed.
STARTED_AT = time.monotonic()


def start_job(event: bytes, context: Any) -> dict[str, Any]:
    return {"job_id": str(uuid.uuid4())}


def get_job_status(event: bytes, context: Any) -> dict[str, Any]:
    request = json.loads(event)
    delay = request.get("delay") or 0
    finished = time.monotonic() - STARTED_AT > delay
    return {
        "job_id": request.get("job_id"),
        "job_status": "success" if finished else "running",
        "try_count": (request.get("try_count") or 0) + 1,
    }
