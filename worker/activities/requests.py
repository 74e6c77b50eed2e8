"""What the workflow hands a task activity and what it gets back (the activity boundary).

Both sides are plain dataclasses of JSON values, so that recorded histories replay byte for byte
and the Temporal UI shows readable payloads. They travel `compact`: without the fields left at
their defaults (most of them, for most calls), which roughly halves a task's history bytes;
the other side fills them in again, so payloads written before, with every field, still decode.
"""

# No `from __future__ import annotations` here: Temporal's converter resolves these hints
# inside the workflow sandbox, where string annotations cannot be evaluated.
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

INVOKE_FUNCTION = "InvokeFunction"
INVOKE_ACTION = "InvokeAction"
SEND_MESSAGE = "SendMessage"
PUBLISH_MESSAGE = "PublishMessage"

ATTEMPT_SIGNAL = "TaskAttemptReported"
"""The signal by which a task activity tells its execution about an attempt as it happens."""

ACTIVITY_FOR_KIND = {
    "fc": INVOKE_FUNCTION,
    "action": INVOKE_ACTION,
    "mns-queue": SEND_MESSAGE,
    "mns-topic": PUBLISH_MESSAGE,
}
"""Which activity type serves each resource kind (sub-flows are child workflows instead)."""


@dataclass
class TaskRequest:
    """One task step's call, with everything the activity needs to retry it the FDL way.

    `payload` is the step's mapped input; `params` its evaluated serviceParams (None when the
    step has none). `retry` is the step's FDL retry list, decided inside the activity (DESIGN 7).
    """

    resource: dict[str, Any]
    payload: dict[str, Any]
    flow: str
    execution: str
    step: str
    params: dict[str, Any] | None = None
    retry: list[dict[str, Any]] = field(default_factory=list)
    timeout_seconds: float | None = None
    task_event_id: int = 0
    """The EventId of the task's first TaskScheduled: the activity names it in the attempt
    reports it signals to its execution. 0 (a run started before reports existed): none."""
    report_after: float = 1.0
    """Seconds an attempt runs before its start is reported; a shorter attempt's start comes
    with its end, so that fast calls cost no extra workflow task."""
    output_limit: int = 0
    """The per-event quota (bytes of JSON) of the event that will carry the output: the
    activity fails an attempt whose output is over it (worker/activities/payload_bounds.py)."""
    output_event: str = "TaskSucceeded"
    """The event that will carry the output, named in that failure."""
    path: str = ""
    """The branch or iteration the step runs in (`Both#1`, `Each#0/Inner#2`; empty at the top
    of its flow), as `fnf run` names it: `fnf test` matches mocks keyed by path with it."""


@dataclass
class AttemptRecord:
    """One attempt as the activity saw it; the workflow turns it into Task* events.

    `scheduled` is Temporal's time for the attempt (a retry's is the failure plus its backoff),
    `started` and `ended` the worker's clock around the call.

    `restart` counts the earlier starts of this same FDL attempt that never ended (their worker
    was lost, or their outcome never reached Temporal), so Temporal ran it again:
    `restarted` holds those starts' times (the newest RESTARTS_KEPT) and `reason` says why.
    """

    started: str
    scheduled: str = ""
    ended: str = ""
    error: str | None = None
    cause: str | None = None
    timed_out: bool = False
    restart: int = 0
    restarted: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class TaskResult:
    """A successful call: the service's output and every attempt it took (the last succeeded)."""

    output: Any
    attempts: list[AttemptRecord] = field(default_factory=list)
    earlier: int = 0
    """Attempts before `attempts`, left out to keep the ledger small (their events were
    reported as they happened): `attempts[0]` is attempt `earlier + 1`."""


@dataclass
class AttemptReport:
    """An attempt of task `task` (its first TaskScheduled's EventId), reported as it happens:
    once it has run `report_after` seconds (`record.ended` empty), and when it fails with a
    retry to come. `attempt` counts from 1 across the task's FDL retries."""

    task: int
    attempt: int
    record: AttemptRecord


INVOKE_FUNCTION_LOCAL = "InvokeFunctionLocal"
"""One FDL attempt of a function task, run as a Temporal local activity (registry
`localActivity`): the workflow runs the FDL retries, the activity decides each one."""
GET_FUNCTION = "GetFunction"
"""The local activity that asks the worker's function registry how a function is called."""


@dataclass
class FunctionMode:
    """How the worker's registry says a function is called: as a local activity, within
    `timeout` seconds (its timeout, plus its initializer's), or as a regular activity."""

    local_activity: bool = False
    timeout: float = 0.0
    task_queue: str | None = None
    """The task queue its regular activity runs on (registry `taskQueue`); None: the
    execution's own. Runs recorded before this field read it as None."""


@dataclass
class LocalAttempt:
    """FDL attempt `attempt` (from 1) of `task`, with the retry counters so far (per policy)."""

    task: TaskRequest
    attempt: int
    counters: list[int] = field(default_factory=list)


@dataclass
class LocalAttemptResult:
    """How a local attempt ended: `record` (its error None on success, then `output` is the
    result). A failure's `retry_after` is the backoff of the retry the FDL policies grant
    (None: the step's catch decides), `counters` the retry counters after it."""

    record: AttemptRecord
    output: Any = None
    retry_after: float | None = None
    counters: list[int] = field(default_factory=list)


def compact(value: Any) -> Any:
    """A dataclass as a JSON object without the fields left at their defaults; dataclasses in
    its fields (and lists of them) likewise. Other values are returned as they are."""
    if not is_dataclass(value) or isinstance(value, type):
        return value
    shown: dict[str, Any] = {}
    for member in fields(value):
        item = getattr(value, member.name)
        if member.default is not MISSING and item == member.default:
            continue
        if member.default_factory is not MISSING and item == member.default_factory():
            continue
        if isinstance(item, list) and item and is_dataclass(item[0]):
            item = [compact(element) for element in item]
        shown[member.name] = compact(item)
    return shown


def attempt_record_of(saved: dict[str, Any]) -> AttemptRecord:
    """An AttemptRecord from its JSON, compact or whole (unknown keys are ignored)."""
    return AttemptRecord(**{key: saved[key] for key in _RECORD_FIELDS if key in saved})


def local_attempt_result_of(saved: dict[str, Any]) -> LocalAttemptResult:
    """A LocalAttemptResult from its JSON, compact or whole."""
    return LocalAttemptResult(
        record=attempt_record_of(saved["record"]),
        output=saved.get("output"),
        retry_after=saved.get("retry_after"),
        counters=list(saved.get("counters", [])),
    )


def task_result_of(saved: dict[str, Any]) -> TaskResult:
    """A TaskResult from its JSON, compact or whole: decoded by hand, which costs the
    workflow far less than the converter's reflection over every nested record."""
    return TaskResult(
        output=saved.get("output"),
        attempts=[attempt_record_of(record) for record in saved.get("attempts", [])],
        earlier=saved.get("earlier", 0),
    )


_RECORD_FIELDS = tuple(member.name for member in fields(AttemptRecord))
