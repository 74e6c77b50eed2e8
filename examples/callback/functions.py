"""The callback example's function, echo: returns its event, which carries the task token.

Registry name (see functions.yaml): fnf-demo/echo -> echo.
"""

from __future__ import annotations

import json
from typing import Any


def echo(event: bytes, context: Any) -> dict[str, Any]:
    """Returns the step input unchanged; FnF records it in the TaskSubmitted event."""
    request: dict[str, Any] = json.loads(event)
    return request
