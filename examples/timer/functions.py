"""The scheduled flow's function, hello: greets and echoes the schedule's payload.

Registry name (see functions.yaml): service-CD946B9A9F36/hello -> hello.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)


def hello(event: bytes, context: Any) -> dict[str, Any]:
    """Returns a greeting plus the execution input (the schedule's Payload)."""
    payload = json.loads(event)
    logger.info("hello invoked by a scheduled execution")
    return {"name": "hello world", "payload": payload}
