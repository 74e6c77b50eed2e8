"""The executions whose Temporal histories are committed and replayed in CI.

Each case names an example flow and an input (and, for a callback flow, the output to report
for its task). Re-record (only when a change to the interpreter is meant to change the command
sequence, and after guarding it with `workflow.patched`) with:

    python tests/replay/record_histories.py          # new cases only
    python tests/replay/record_histories.py --all    # replace every history

A `legacy` case keeps the history recorded by the code before a `workflow.patched` change, so
that replay proves executions started before the change still take their old path; `--all`
never re-records it.
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
    text: str | None = None
    """A flow of tests/replay/flows (run with the function fixtures of tests/worker) instead
    of an example."""
    stop_at: str | None = None
    """StopExecution once this FnF event type is in the history (and its task has started)."""
    legacy: bool = False
    flows: tuple[str, ...] = ()
    """Sub-flows the flow starts, by name (tests/replay/flows/<name>.yaml)."""
    stop_child: bool = False
    """StopExecution the sub-flow named by the input's `child` once it runs."""
    home: str = "examples"
    """The folder, under the project root, that holds `example` (flow and functions.yaml)."""
    parts: bool = False
    """Also record the histories of the child runs of its parts (`<name>.part<EventId>...`)."""
    redrive: bool = False
    """Once it has failed or stopped, RedriveExecution; the redrive's run is recorded too
    (`<name>.redrive.json`)."""


SAGA_OK = {
    "buy_train_ticket_result": "success",
    "reserve_flight_result": "success",
    "reserve_hotel_result": "success",
}

STOP = {"error": "Abandoned", "cause": "stopped while the task ran"}

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
    Case("callback", "callback", {}, report='{"status": "ok"}', legacy=True),
    Case("callback-minted-secret", "callback", {}, report='{"status": "ok"}'),
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
    Case(
        "stopped-task-legacy",
        "stopped-task",
        {},
        text="stopped-task.yaml",
        stop_at="TaskScheduled",
        legacy=True,
    ),
    Case(
        "failed-foreach-legacy",
        "failed-foreach",
        {"items": ["a", "bad", "c", "d"]},
        text="failed-foreach.yaml",
        legacy=True,
    ),
    Case("failed-parallel-legacy", "failed-parallel", {}, text="failed-parallel.yaml", legacy=True),
    Case("stopped-task", "stopped-task", {}, text="stopped-task.yaml", stop_at="TaskScheduled"),
    Case(
        "failed-foreach",
        "failed-foreach",
        {"items": ["a", "bad", "c", "d"]},
        text="failed-foreach.yaml",
    ),
    Case("failed-parallel", "failed-parallel", {}, text="failed-parallel.yaml"),
    Case(
        "stopped-foreach",
        "stopped-foreach",
        {"items": [1, 2, 3]},
        text="stopped-foreach.yaml",
        stop_at="TaskScheduled",
    ),
    Case(
        "stopped-foreach-batches",
        "stopped-foreach",
        {"items": [1, 2, 3, 4]},
        text="stopped-foreach.yaml",
        stop_at="PartEntered",
        options={"foreach_batch_threshold": 2, "foreach_batch_size": 2},
        parts=True,
    ),
    Case(
        "stopped-sync-child",
        "post-execution-actions",
        {"child": "stopped-child"},
        text="post-execution-actions.yaml",
        flows=("waiting-child",),
        stop_child=True,
    ),
    Case(
        "parallel-sub-flows",
        "parallel-sub-flows",
        {},
        text="parallel-sub-flows.yaml",
        flows=("quick-child",),
    ),
    Case("attempt-reports", "attempt-reports", {}, home="tests/replay/flows"),
    Case("local-activities", "local-activities", {}, home="tests/replay/flows"),
    Case(
        "task-queues",
        "task-queues",
        {},
        report='{"approved": true}',
        home="tests/replay/flows",
    ),
    Case(
        "inline-loop-pauses-and-hands-over",
        "inline-loop",
        {"left": list(range(1, 31))},
        text="inline-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2},
    ),
    Case(
        "inline-loop-pauses-end-workflow-tasks",
        "inline-loop",
        {"left": list(range(1, 31))},
        text="inline-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2},
    ),
    Case(
        "archived-slices-continue",
        "inline-loop",
        {"left": list(range(1, 31))},
        text="inline-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2, "archive_rows_per_slice": 8},
    ),
    Case(
        "archived-folded-slices-continue",
        "inline-loop",
        {"left": list(range(1, 31))},
        text="inline-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2, "archive_rows_per_slice": 8},
    ),
    Case(  # interpreter version 7: lean sizes, shared constant mappings, looked-up options
        "lean-loop-continues",
        "lean-loop",
        {"tag": "x" * 40},
        text="lean-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2, "step_data_limit": 200},
    ),
    Case(
        "archived-progress-slices-continue",
        "inline-loop",
        {"left": list(range(1, 31))},
        text="inline-loop.yaml",
        options={"steps_per_activation": 10, "pauses_per_run": 2, "archive_rows_per_slice": 8},
    ),
    Case(
        "archived-slices-fail",
        "inline-loop-fails",
        {"left": list(range(1, 11))},
        text="inline-loop-fails.yaml",
        options={"archive_rows_per_slice": 8},
    ),
    Case("archived-saga-fails", "saga", {**SAGA_OK, "reserve_flight_result": False}),
    Case(
        "archived-polling-continues",
        "polling",
        {"delay": 3600},
        options={"continue_as_new_at": 20},
    ),
    Case(
        "archived-stopped-task",
        "stopped-task",
        {},
        text="stopped-task.yaml",
        stop_at="TaskScheduled",
    ),
    Case(
        "foreach-batches",
        "foreach-batches",
        {"items": list(range(1, 31))},
        text="foreach-batches.yaml",
        options={"foreach_batch_threshold": 10, "foreach_batch_size": 8},
        parts=True,
    ),
    Case(
        "nested-handover",
        "nested-loop",
        {"iterations": 40},
        text="nested-loop.yaml",
        options={"continue_as_new_at": 120, "nested_handover_steps": 10},
        parts=True,
    ),
    Case(
        "redrive-failed-foreach",
        "failed-foreach",
        {"items": ["a", "bad", "c", "d"]},
        text="failed-foreach.yaml",
        redrive=True,
    ),
    Case(
        "redrive-stopped-task",
        "stopped-task",
        {},
        text="stopped-task.yaml",
        stop_at="TaskScheduled",
        redrive=True,
    ),
]
