"""Functions of the polling example: start a job, then report its status when asked.

Registry names (see functions.yaml): fnf-demo/StartJob -> start_job, fnf-demo/GetJobStatus ->
get_job_status.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

DEFAULT_DELAY_SECONDS = 60

# The clock starts when this module is loaded, i.e. when the function instance cold-starts. A
# warm instance keeps it, so a later execution may find the job already finished.
LOADED_AT = time.monotonic()

logger = logging.getLogger(__name__)


def start_job(event: bytes, context: Any) -> dict[str, Any]:
    """Pretends to submit a long job and returns its new id."""
    job_id = str(uuid.uuid4())
    logger.info("started job %s", job_id)
    return {"job_id": job_id}


def get_job_status(event: bytes, context: Any) -> dict[str, Any]:
    """Says "success" once more than `delay` seconds passed since the cold start, else "running".

    `delay` defaults to 60 seconds when absent or null; `try_count` comes back one higher.
    """
    request = json.loads(event)
    job_id = request["job_id"]
    delay = request.get("delay")
    if delay is None:
        delay = DEFAULT_DELAY_SECONDS
    status = "success" if time.monotonic() - LOADED_AT > delay else "running"
    try_count = (request.get("try_count") or 0) + 1
    logger.info("job %s, status %s, try_count %d", job_id, status, try_count)
    return {"job_id": job_id, "job_status": status, "try_count": try_count}
