"""The executions whose Temporal histories are committed and replayed in CI.

Each case names an example flow and an input (and, for a callback flow, the output to report
for its task). Re-record (only when a change to the interpreter is meant to change the command
sequence, and after guarding it with `workflow.patched`) with:

    python tests/replay/record_histories.py          # new cases only
    python tests/replay/record_histories.py --all    # replace every history
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    example: str
    input: dict[str, Any]
    flow: str = "flow.yaml"
    options: dict[str, Any] = field(default_factory=dict)
    report: str | None = None
    """For a waitForCallback flow: the Output reported for its task's token."""
    home: str = "examples"
    """The folder, under the project root, that holds `example` (flow and functions.yaml)."""


SAGA_OK = {
    "buy_train_ticket_result": "success",
    "reserve_flight_result": "success",
    "reserve_hotel_result": "success",
}

CASES = [
    Case("saga-succeeds", "saga", SAGA_OK),
    Case("saga-hotel-fails", "saga", {**SAGA_OK, "reserve_hotel_result": False}),
    Case("saga-flight-fails", "saga", {**SAGA_OK, "reserve_flight_result": False}),
    Case("polling-fails", "polling", {"delay": 3600}),
    Case(
        "polling-continues-as-new", "polling", {"delay": 3600}, options={"continue_as_new_at": 20}
    ),
    Case("error-handling-caught", "error-handling", {"fail": True}),
    Case("error-handling-succeeds", "error-handling", {}),
    Case("versions-alias", "versions", {}),
    Case("versions-version-1", "versions", {}, flow="flow-version-1.yaml"),
    Case("timer", "timer", {"key": "value"}),
    Case("callback", "callback", {}, report='{"status": "ok"}'),
    Case(
        "video-processing",
        "video-processing",
        {
            "oss_bucket_name": "b",
            "video_key": "inputs/x.mov",
            "output_prefix": "outputs/",
            "segment_time_seconds": 15,
        },
    ),
    Case("game-build", "game-build", {"game": "demo", "channels_wanted": 3}),
    Case(
        "cross-border-transfer",
        "cross-border-transfer",
        {
            "source_bucket": "media-shanghai",
            "object_key": "uploads/trailer.mp4",
            "target_bucket": "media-silicon-valley",
            "target_endpoint": "oss-accelerate.aliyuncs.com",
        },
    ),
    Case("attempt-reports", "attempt-reports", {}, home="tests/replay/flows"),
]
