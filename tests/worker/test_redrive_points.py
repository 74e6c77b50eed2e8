"""The redrive point's encoding (worker/redrive_points.py): what RecordRedrivePoint returns is
read back as it was written, and a point too large to keep, or bytes of anything else, read as
no point (the execution is then not redrivable)."""

from __future__ import annotations

import json
import zlib

from worker.interpreter.redrive import redrive_point
from worker.redrive_points import RedrivePointRequest, decode_point, record_redrive_point


async def test_a_point_reads_back_as_written() -> None:
    frame = {"position": 2, "local": {"城市": "杭州"}, "step": {"done": {"0": {}}, "frames": {}}}
    point = redrive_point(frame, {"a": 1}, 17, "2026-01-01T00:00:00.000Z", ["t1"])
    text = json.dumps(point, ensure_ascii=False, separators=(",", ":"))
    assert decode_point(await record_redrive_point(RedrivePointRequest(text))) == point


async def test_a_point_over_the_limit_or_foreign_bytes_is_no_point() -> None:
    request = RedrivePointRequest(json.dumps({"frame": {"local": "x" * 5000}}), max_bytes=10)
    assert await record_redrive_point(request) == b""
    assert decode_point(b"") is None
    assert decode_point(b"not zlib") is None
    assert decode_point(zlib.compress(b'{"format": 99, "point": {}}')) is None
    assert decode_point(zlib.compress(b"[1, 2]")) is None
