"""The input of one FnFFlow run: everything an execution needs, pinned when it starts."""

# No `from __future__ import annotations` here: Temporal's converter resolves these hints
# inside the workflow sandbox, where string annotations cannot be evaluated.
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from temporalio.converter import value_to_type

from worker.interpreter.context import (
    DEFAULT_ATTEMPT_REPORT_AFTER,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_STEP_DATA_LIMIT,
    DEFAULT_STEPS_PER_ACTIVATION,
    LEGACY_PAUSES_PER_RUN,
    LEGACY_STEPS_PER_ACTIVATION,
    default_pauses_per_run,
)
from worker.limits import (
    DEFAULT_CONTINUE_AS_NEW_AT,
    DEFAULT_FOREACH_BATCH_SIZE,
    DEFAULT_FOREACH_BATCH_THRESHOLD,
    DEFAULT_NESTED_HANDOVER_STEPS,
)

EXECUTION_TIMEOUT = timedelta(days=365)
"""A flow's default execution timeout (FDL decision 3): every run of FnFFlow that is an
execution (started, redriven, or a sub-flow) gets it."""

STOP_SIGNAL = "StopExecution"
CHILD_STOPPED_SIGNAL = "ChildStopped"
"""Sent by a stopped `sync` sub-flow to its parent, before it closes, with its stop's Error."""

HISTORY_PAGE_LIMIT = 1000
HISTORY_PAGE_BYTES = 1_000_000
"""A `history` answer stays near this size (Temporal refuses payloads over 2 MB by default)."""


@dataclass
class HistoryRequest:
    """The `history` query's argument: this run's events from `from_event_id` on (0: from the
    run's first), at most `limit` of them and, past the first, about `max_bytes` of them. Steps
    may carry 32 KiB each, so a run's whole history can exceed what one answer may hold."""

    from_event_id: int = 0
    limit: int = HISTORY_PAGE_LIMIT
    max_bytes: int = HISTORY_PAGE_BYTES


@dataclass
class StopRequest:
    """StopExecution's Error and Cause, signalled before the cancellation request."""

    error: str = ""
    cause: str = ""


@dataclass
class ChildStopped:
    """A `sync` sub-flow's stop, as its parent's task will fail with it."""

    workflow_id: str
    error: str = ""
    cause: str = ""


@dataclass
class Resumption:
    """Where a continued run picks up: the root sequence's position and data, the event
    numbering (EventIds keep counting across runs), the tokens of finished callback tasks
    (a late report still gets TaskAlreadyCompleted) and a StopExecution whose cancellation has
    not arrived yet (it reaches the new run)."""

    position: int
    local: dict[str, Any]
    flow_input: dict[str, Any]
    next_event_id: int
    closed_tokens: list[str] = field(default_factory=list)
    last_event_time: str = ""
    """The Time of the last event so far: event times never go backwards across runs."""
    stop: StopRequest | None = None


@dataclass
class Part:
    """A part of the flow's graph that a child FnFFlow run executes for its parent
    (worker/interpreter/parts.py). `iterations`: the iterations `first_index` on of the
    foreach step `step_id`, one per item of `items`, `concurrency` at a time, returning their
    locals. `steps`: the sequence holding step `step_id`, from that step on with `local`,
    returning the sequence's final local. `container_input` is the part's `$input` (for
    iterations before the item is merged in)."""

    kind: str
    step_id: int
    container_input: dict[str, Any]
    parent_workflow_id: str = ""
    workflow_id: str = ""
    """The child run's own workflow id (also when its history is replayed under another)."""
    items: list[Any] = field(default_factory=list)
    first_index: int = 0
    concurrency: int = 1
    local: dict[str, Any] = field(default_factory=dict)
    done: list[Any] = field(default_factory=list)
    """`iterations` carried over continue-as-new: the locals of the items already run."""


@dataclass
class Redrive:
    """RedriveExecution's start of a new run (worker/interpreter/redrive.py): the how-many-th
    redrive, when, the run it goes on from, the execution's very first run (history readers
    start there), and the point of the root step it resumes (its `resumption` holds the
    root's position, local, input and event numbering)."""

    count: int
    time: str
    previous_run_id: str
    first_run_id: str
    step: dict[str, Any] | None = None


@dataclass
class FlowRun:
    """The workflow input (DESIGN 2): the compiled definition, never re-read while running.

    The fields are in the order the Temporal UI's Input panel shows them: the user's input
    first, then the names and settings, the compiled definition last (`graph`, `flows`,
    `definition`, or only `definition_ref` when it is stored by reference). Temporal decodes
    the input by field name, so inputs written in the earlier order (graph first) still
    decode; build it with keywords.

    `flows` are the pinned graphs of the sub-flows it may start, by flow name.
    `continue_as_new_at` is the history length that triggers continue-as-new (Temporal may
    suggest it earlier). `resumption` is set only on a continued run.
    """

    input: dict[str, Any]
    flow_name: str
    execution_name: str
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    continue_as_new_at: int = DEFAULT_CONTINUE_AS_NEW_AT
    resumption: Resumption | None = None
    callback_token: str = ""
    """StartExecution's CallbackFnFTaskToken: the task this execution reports its end to."""
    step_data_limit: int = DEFAULT_STEP_DATA_LIMIT
    """Bytes of JSON one event's data may take: each of a step's input, output and local
    (runs started before per-event quotas: all three together); 0: none."""
    attempt_report_after: float = DEFAULT_ATTEMPT_REPORT_AFTER
    """Seconds a task attempt runs before its start is reported to the execution."""
    report_stop_to_parent: bool = False
    """A `sync` sub-flow: when stopped, it signals its parent (CHILD_STOPPED_SIGNAL) the stop's
    Error and Cause, which its parent's task fails with."""
    steps_per_activation: int = 0
    """Steps one workflow activation runs before the flow yields (worker/interpreter/work.py);
    0: not named (`work_limits`)."""
    pauses_per_run: int = 0
    """Yields after which the root sequence continues as new rather than pausing again; 0: not
    named (`work_limits`)."""
    definition_ref: str = ""
    """Set when the pinned definition is stored by reference (worker/definitions.py): then
    `graph`, `flows` and `definition` are empty and each run loads them by this hash."""
    foreach_batch_threshold: int = DEFAULT_FOREACH_BATCH_THRESHOLD
    """A foreach over more items runs them as batches of child runs (0: never)."""
    foreach_batch_size: int = DEFAULT_FOREACH_BATCH_SIZE
    nested_handover_steps: int = DEFAULT_NESTED_HANDOVER_STEPS
    """Steps a nested sequence runs before a long history hands its rest to a child run."""
    archive_rows_per_slice: int = 0
    """FnF events per archive slice as the run closes (worker/interpreter/archive.py; 0: the
    default): how many slices a run sends is part of its command sequence, so it is fixed at
    the start and carried to continued runs."""
    part: Part | None = None
    """Set on a child run that executes a part of its parent's graph (not an execution)."""
    interpreter_version: int = 0
    """The interpreter version the execution started with (worker/interpreter/versions.py):
    which behaviour changes it has without a patch marker; 0 before versions existed."""
    definition_flow: str = ""
    """A sub-flow started by reference: the run's graph is the pinned definition's sub-flow of
    this name (`flows`), not its graph. Set only with `definition_ref`."""
    redrive: Redrive | None = None
    """Set on a redrive's first run only (continue-as-new drops it)."""
    subflow_depth: int = 0
    """How many sub-flow tasks lie above this execution: 0 for one started by StartExecution,
    a schedule or `fnf run`, its sub-flows 1, theirs 2 (worker/interpreter/steps/subflow.py
    bounds the chain)."""
    graph: dict[str, Any] = field(default_factory=dict)
    """The compiled flow (empty when stored by reference)."""
    flows: dict[str, Any] = field(default_factory=dict)
    definition: str = ""
    """The FDL text the graph was compiled from (DescribeExecution's FlowDefinition)."""

    def work_limits(self) -> tuple[int, int]:
        """(steps_per_activation, pauses_per_run) this run pauses and hands over by.

        A setting the input names is used as it is: an execution's are written into its input
        when it starts (`with_default_work_limits`) and carried to its continued runs, part
        runs and sub-flows, so a changed default never moves a running execution's pauses.
        An input that does not name one was written before the setting existed (or by a
        parent on its pre-patch path, worker/interpreter/steps/subflow.py): such a run has
        always used the first defaults, and keeps them."""
        return (
            self.steps_per_activation or LEGACY_STEPS_PER_ACTIVATION,
            self.pauses_per_run or LEGACY_PAUSES_PER_RUN,
        )

    def with_default_work_limits(self) -> "FlowRun":
        """The run with the current defaults written in for the settings it does not name:
        what a new execution starts with (the pauses by its steps per activation, so that a
        run holds about STEPS_PER_RUN steps whatever FNF_INLINE_STEPS_PER_ACTIVATION says)."""
        steps = self.steps_per_activation or DEFAULT_STEPS_PER_ACTIVATION
        pauses = self.pauses_per_run or default_pauses_per_run(steps)
        return replace(self, steps_per_activation=steps, pauses_per_run=pauses)


def workflow_args(run: FlowRun) -> list[Any]:
    """FnFFlow's arguments: the user's input, then the run record without it. The Temporal
    UI shows a workflow's input as the list of its arguments (each object's keys sorted), so
    the user's input comes first and the compiled graph sits at the end of the second."""
    return [run.input, replace(run, input={})]


def flow_run_of(first: Any, run: FlowRun | None) -> FlowRun:
    """The FlowRun of FnFFlow's arguments: `[input, run]` (workflow_args), or the single
    FlowRun that executions started before it (and part runs) pass."""
    if run is None:
        whole: FlowRun = value_to_type(FlowRun, first)
        return whole
    return replace(run, input=first if isinstance(first, dict) else {})


def flow_run_hints(count: int) -> list[type]:
    """Type hints to decode a start event's `count` input payloads (flow_run_of's shapes)."""
    return [FlowRun] if count == 1 else [dict, FlowRun]
