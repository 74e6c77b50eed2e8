"""The game-build functions: plan the channels, build one package each, then summarise."""

from __future__ import annotations

import json
from typing import Any

CHANNELS = ["app-store", "play", "huawei", "xiaomi", "oppo", "vivo"]


def pre_process(event: bytes, context: Any) -> dict[str, Any]:
    request = json.loads(event)
    wanted = int(request.get("channels_wanted") or len(CHANNELS))
    return {"channels": CHANNELS[:wanted]}


def build_game_apk(event: bytes, context: Any) -> dict[str, Any]:
    request = json.loads(event)
    return {"package": f"{request.get('game', 'game')}-{request['channel']}.apk"}


def after_process(event: bytes, context: Any) -> dict[str, Any]:
    request = json.loads(event)
    return {"built": len(request.get("packages") or [])}
