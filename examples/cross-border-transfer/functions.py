"""The cross-border transfer function: copies one object (on paper; no network is used).

Registry name (see functions.yaml): cross-border-demo/transfer-object -> transfer_object.
"""

from __future__ import annotations

import json
from typing import Any


def transfer_object(event: bytes, context: Any) -> dict[str, Any]:
    """Returns where `object_key` of `source_bucket` now lives in `target_bucket`."""
    request = json.loads(event)
    key = str(request["object_key"])
    source = f"oss://{request['source_bucket']}/{key}"
    target = f"https://{request['target_bucket']}.{request['target_endpoint']}/{key}"
    return {"object_key": key, "source": source, "target": target, "copied": True}
