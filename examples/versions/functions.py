"""The function behind alias `online` and version `1` of service fnf-demo.

Registry names (see functions.yaml): fnf-demo.online/provision and fnf-demo.1/provision ->
provision.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def provision(event: bytes, context: Any) -> dict[str, Any]:
    """Logs that it ran and reports success."""
    logger.info("provision function started")
    return {"success": True}
