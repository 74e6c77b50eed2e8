"""The saga's single function: performs (or pretends to fail) one booking operation."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any


def operation(event: bytes, context: Any) -> dict[str, Any]:
    """Performs `event.operation`; when the input says that operation fails, the process dies.

    Dying mid-request is what the guide's function does, and Function Compute reports it as
    FC.Unknown with "Process exited unexpectedly"; the flow retries and catches that error.
    """
    request = json.loads(event)
    name = request["operation"]
    if request.get(name) is False:
        os._exit(1)
    return {name: "success", f"{name}_txnID": str(uuid.uuid4())}
