"""The saga's single function, Operation: performs one booking step or dies trying.

Registry name (see functions.yaml): fnf-demo/Operation -> operation.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

logger = logging.getLogger(__name__)


def operation(event: bytes, context: Any) -> dict[str, Any]:
    """Runs `event["operation"]` (default "operation") and returns its transaction id.

    When the event holds a false value under the operation's own name (false, or 0, since the
    check is an equality with False), the process exits mid-request. Function Compute reports
    that as FC.Unknown ("Process exited unexpectedly ..."), which the flow retries and catches.
    """
    request = json.loads(event)
    op = request.get("operation", "operation")
    if op in request and request[op] == False:  # noqa: E712  (0 counts as false, as in Python 2)
        logger.info("%s failed", op)
        os._exit(1)
    txn_id = str(uuid.uuid4())
    logger.info("%s succeeded, id %s", op, txn_id)
    return {op: "success", f"{op}_txnID": txn_id}
