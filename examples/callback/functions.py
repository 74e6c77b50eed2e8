"""The callback example's function: returns its event, which carries the task token."""

from __future__ import annotations

import json
from typing import Any


def echo(event: bytes, context: Any) -> Any:
    return json.loads(event)
