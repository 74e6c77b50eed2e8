"""The scheduled flow's function: greets with the schedule's payload."""

from __future__ import annotations

import json
from typing import Any


def hello(event: bytes, context: Any) -> dict[str, Any]:
    payload = json.loads(event)
    return {"message": "hello", "payload": payload}
