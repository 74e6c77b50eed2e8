"""The video-processing functions, reduced to the data they pass along (no real media work)."""

from __future__ import annotations

import json
import math
from typing import Any

VIDEO_SECONDS = 45  # the demo "video" is this long


def _request(event: bytes) -> dict[str, Any]:
    loaded = json.loads(event)
    return loaded if isinstance(loaded, dict) else {}


def split(event: bytes, context: Any) -> dict[str, Any]:
    request = _request(event)
    segment = int(request.get("segment_time_seconds") or 15)
    stem = str(request["video_key"]).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    count = math.ceil(VIDEO_SECONDS / segment)
    return {
        "split_keys": [f"split/{stem}/part{i}.mov" for i in range(count)],
        "video_proc_dir": f"/tmp/{stem}",
    }


def transcode(event: bytes, context: Any) -> dict[str, Any]:
    request = _request(event)
    source = str(request["video_key"])
    return {"transcoded": source.rsplit(".", 1)[0] + str(request["target_type"])}


def merge(event: bytes, context: Any) -> dict[str, Any]:
    request = _request(event)
    stem = str(request["video_key"]).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    target = f"{request['output_prefix']}{stem}{request['target_type']}"
    return {"merged": target, "parts": len(request.get("split_keys") or [])}


def extract_audio(event: bytes, context: Any) -> dict[str, Any]:
    request = _request(event)
    stem = str(request["video_key"]).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return {"audio": f"{request['output_prefix']}{stem}.mp3"}


def after_process(event: bytes, context: Any) -> dict[str, Any]:
    request = _request(event)
    return {"cleaned": request.get("video_proc_dir")}
