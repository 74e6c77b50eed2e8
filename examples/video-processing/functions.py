"""The video-processing functions, reduced to the data they pass along (no real media work).

Registry names (see functions.yaml): video-demo/split -> split, video-demo/transcode ->
transcode, video-demo/merge -> merge, video-demo/extract-audio -> extract_audio,
video-demo/after-process -> after_process.
"""

from __future__ import annotations

import json
import math
from typing import Any

DEFAULT_VIDEO_SECONDS = 45
"""How long the pretend input video is, unless the input says `duration_seconds`."""


def _request(event: bytes) -> dict[str, Any]:
    loaded = json.loads(event)
    return loaded if isinstance(loaded, dict) else {}


def _stem(key: str) -> str:
    """`inputs/x.mov` -> `x`."""
    return key.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def split(event: bytes, context: Any) -> dict[str, Any]:
    """Cuts the video into `segment_time_seconds` pieces: their keys and a working folder."""
    request = _request(event)
    segment = int(request.get("segment_time_seconds") or 15)
    duration = float(request.get("duration_seconds") or DEFAULT_VIDEO_SECONDS)
    stem = _stem(str(request["video_key"]))
    count = max(1, math.ceil(duration / segment))
    return {
        "split_keys": [f"split/{stem}/part{i}.mov" for i in range(count)],
        "video_proc_dir": f"/tmp/{stem}",
    }


def transcode(event: bytes, context: Any) -> dict[str, Any]:
    """Transcodes one piece (`video_key`) to `target_type`, e.g. ".avi"."""
    request = _request(event)
    source = str(request["video_key"])
    return {"transcoded": source.rsplit(".", 1)[0] + str(request["target_type"])}


def merge(event: bytes, context: Any) -> dict[str, Any]:
    """Joins the transcoded pieces of one format into <output_prefix><stem><target_type>."""
    request = _request(event)
    stem = _stem(str(request["video_key"]))
    target = f"{request['output_prefix']}{stem}{request['target_type']}"
    return {"merged": target, "parts": len(request.get("split_keys") or [])}


def extract_audio(event: bytes, context: Any) -> dict[str, Any]:
    """Extracts the sound track of the whole video as <output_prefix><stem>.mp3."""
    request = _request(event)
    return {"audio": f"{request['output_prefix']}{_stem(str(request['video_key']))}.mp3"}


def after_process(event: bytes, context: Any) -> dict[str, Any]:
    """Cleans up the working folder that split created."""
    request = _request(event)
    return {"cleaned": request.get("video_proc_dir")}
