"""Functions of the task-queues replay case: the event back, with the function's name."""

from __future__ import annotations

import json
from typing import Any


def echo(event: bytes, context: Any) -> dict[str, Any]:
    return {**json.loads(event), "function": context.function.name}
