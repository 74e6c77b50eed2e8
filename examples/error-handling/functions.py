"""The error-handling example's function: fails with its own error type when asked to."""

from __future__ import annotations

import json
from typing import Any


class ErrorNeedsRetry(Exception):
    """A custom error: FnF names the failure after the class, so retry can list it."""


def hello(event: bytes, context: Any) -> dict[str, Any]:
    request = json.loads(event)
    if request.get("fail"):
        raise ErrorNeedsRetry("the downstream service is not ready yet")
    return {"message": "hello"}
