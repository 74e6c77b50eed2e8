"""The error-handling example's function, hello: fails with its own error type when asked to.

Registry name (see functions.yaml): fnf-demo/hello -> hello.
"""

from __future__ import annotations

import json
from typing import Any


class ErrorNeedsRetry(Exception):
    """A custom error. FnF names the failure after the class, so retry and catch can list it."""


def hello(event: bytes, context: Any) -> dict[str, Any]:
    """Raises ErrorNeedsRetry when the input has a truthy "fail", else returns a greeting."""
    request = json.loads(event)
    if request.get("fail"):
        raise ErrorNeedsRetry("the downstream service is not ready yet")
    return {"message": "hello"}
