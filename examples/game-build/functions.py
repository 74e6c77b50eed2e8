"""The game-build functions: plan the channels, build one package each, then summarise.

Registry names (see functions.yaml): game-build/pre-process -> pre_process,
game-build/build-game-apk -> build_game_apk, game-build/after-process -> after_process.
No real packaging happens; each function returns the data the next step needs.
"""

from __future__ import annotations

import json
from typing import Any

CHANNELS = ["app-store", "play", "huawei", "xiaomi", "oppo", "vivo"]


def pre_process(event: bytes, context: Any) -> dict[str, Any]:
    """Returns the first `channels_wanted` known channels (all of them when not given)."""
    request = json.loads(event)
    wanted = int(request.get("channels_wanted") or len(CHANNELS))
    return {"channels": CHANNELS[:wanted]}


def build_game_apk(event: bytes, context: Any) -> dict[str, Any]:
    """Names the package built for one channel: <game>-<channel>.apk."""
    request = json.loads(event)
    return {"package": f"{request.get('game', 'game')}-{request['channel']}.apk"}


def after_process(event: bytes, context: Any) -> dict[str, Any]:
    """Counts the packages that ParallelBuildAPK reported."""
    request = json.loads(event)
    return {"built": len(request.get("packages") or [])}
