"""Functions of the polling example: start a job, then report its status when asked.

Registry names (see functions.yaml): fnf-demo/StartJob -> start_job, fnf-demo/GetJobStatus ->
get_job_status.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

DEFAULT_DELAY_SECONDS = 60

# The pretend job service: when each job was submitted, readable by every function instance
# (StartJob and GetJobStatus run in different instances, as on Function Compute).
JOBS = Path(tempfile.gettempdir()) / "fnf-polling-example-jobs"

# The guide's function measured from its own cold start; that stays the fallback for a job this
# machine never saw submitted.
LOADED_AT = time.time()

logger = logging.getLogger(__name__)


def start_job(event: bytes, context: Any) -> dict[str, Any]:
    """Pretends to submit a long job and returns its new id."""
    job_id = str(uuid.uuid4())
    JOBS.mkdir(parents=True, exist_ok=True)
    (JOBS / job_id).write_text(repr(time.time()))
    logger.info("started job %s", job_id)
    return {"job_id": job_id}


def get_job_status(event: bytes, context: Any) -> dict[str, Any]:
    """Says "success" once more than `delay` seconds passed since the job was submitted (since
    this instance's cold start for an unknown job), else "running".

    `delay` defaults to 60 seconds when absent or null; `try_count` comes back one higher.
    """
    request = json.loads(event)
    job_id = request["job_id"]
    delay = request.get("delay")
    if delay is None:
        delay = DEFAULT_DELAY_SECONDS
    status = "success" if time.time() - _submitted_at(job_id) > delay else "running"
    try_count = (request.get("try_count") or 0) + 1
    logger.info("job %s, status %s, try_count %d", job_id, status, try_count)
    return {"job_id": job_id, "job_status": status, "try_count": try_count}


def _submitted_at(job_id: str) -> float:
    try:
        return float((JOBS / Path(job_id).name).read_text())
    except (OSError, ValueError):
        return LOADED_AT
