"""Stop means Stopped wherever the execution is, and every execution's history ends cleanly.

StopExecution goes through `stop_execution`, the API's path (the Error and Cause as a signal,
then Temporal's cancellation). Each test asserts the status, the error and cause, and the
FnF event trail in order with the terminal event last. An attempt's TaskStarted of a function
task that is still running when it is cancelled depends on timing, so trails around running
function tasks leave TaskStarted out.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rich.console import Console
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError

from cli.event_stream import EventStream
from cli.run import follow_execution
from tests.helpers.workers import serving
from translator import compile_text
from worker.execution import STOP_SIGNAL, FlowRun, StopRequest
from worker.executions import failure_of, start_execution, stop_execution
from worker.history import read_history
from worker.interpreter.terminal import TERMINAL, ExecutionLog
from worker.naming import workflow_id

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"
QUEUE = f"stopping-{uuid.uuid4().hex[:6]}"
STOP = {"error": "Abandoned", "cause": "the user stopped it"}
BARE_CANCEL = {"error": "", "cause": "the execution was cancelled"}
RUNNING_ATTEMPT = {"TaskStarted"}
ATTEMPTS = {"TaskScheduled", "TaskStarted", "TaskFailed"}

Events = list[dict[str, Any]]


@pytest_asyncio.fixture(scope="module")
async def client(dev_server_address: str) -> Any:
    """The dev server, where time passes for real: the time-skipping test server stops
    skipping for the rest of the session once an execution closes while one of its function
    calls still runs (which is what a stop does), and these tests wait on nothing long."""
    temporal = await Client.connect(dev_server_address)
    async with serving(temporal, QUEUE, FUNCTIONS):
        yield temporal


@dataclass
class Ended:
    status: str
    error: str | None
    cause: str | None
    events: Events
    output: dict[str, Any] | None = None

    def trail(self, skip: set[str] | None = None) -> list[str]:
        return trail(self.events, skip)

    def detail(self, kind: str, step: str = "", nth: int = 0) -> dict[str, Any]:
        found = [e for e in self.events if e["Type"] == kind and e["StepName"] == step]
        return dict(json.loads(found[nth]["EventDetail"]))


def trail(events: Events, skip: set[str] | None = None) -> list[str]:
    return [
        f"{e['Type']}:{e['StepName']}" if e["StepName"] else e["Type"]
        for e in events
        if e["Type"] not in (skip or set())
    ]


async def start(
    client: Client, text: str, flow_input: dict[str, Any] | None = None, **fields: Any
) -> WorkflowHandle[Any, Any]:
    name = fields.pop("name", f"exec-{uuid.uuid4()}")
    run = FlowRun(
        graph=dict(compile_text(text)),
        input=flow_input or {},
        flow_name="stopping",
        execution_name=name,
        **fields,
    )
    return await start_execution(client, QUEUE, run, search_attributes=False)


async def reached(
    client: Client, workflow: str, ready: Callable[[list[str]], bool], seconds: float = 20
) -> None:
    """Polls the FnF history until `ready(trail)` holds."""
    for _ in range(int(seconds / 0.05)):
        if ready(trail(await read_history(client, workflow))):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached: {trail(await read_history(client, workflow))}")


def has(*wanted: str, count: int = 1) -> Callable[[list[str]], bool]:
    return lambda seen: all(seen.count(item) >= count for item in wanted)


async def ended(client: Client, handle: WorkflowHandle[Any, Any]) -> Ended:
    """How the execution ended, as Temporal and the FnF history both say it."""
    output = error = cause = None
    try:
        output = await handle.result()
        status = "Succeeded"
    except WorkflowFailureError as failure:
        if isinstance(failure.cause, CancelledError):
            status = "Stopped"
        else:
            assert isinstance(failure.cause, ApplicationError), failure.cause
            status = "Failed"
            error, cause = failure_of(failure.cause)
    described = (await handle.describe()).status
    expected = {
        "Succeeded": WorkflowExecutionStatus.COMPLETED,
        "Stopped": WorkflowExecutionStatus.CANCELED,
        "Failed": WorkflowExecutionStatus.FAILED,
    }[status]
    assert described == expected
    await asyncio.sleep(0.3)  # time for anything that would (wrongly) record after the end
    events = await read_history(client, handle.id)
    assert_ends_cleanly(events)
    return Ended(status, error, cause, events, output)


def assert_ends_cleanly(events: Events) -> None:
    """One terminal event, the last one; EventIds count up without a gap."""
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    terminal = [n for n, e in enumerate(events) if e["Type"] in TERMINAL]
    assert terminal == [len(events) - 1], trail(events)


def assert_attempts_inside_their_steps(events: Events) -> None:
    """Task events of a step lie between its StepEntered and its end (StepExited/Failed)."""
    open_steps: dict[str, int] = {}
    for event in events:
        kind, step = event["Type"], event["StepName"]
        if kind == "StepEntered":
            open_steps[step] = open_steps.get(step, 0) + 1
        elif kind in ("StepExited", "StepFailed"):
            open_steps[step] -= 1
        elif kind.startswith("Task"):
            assert open_steps.get(step, 0) > 0, f"{kind}:{step} outside its step"


NAP = f"""\
version: v1
type: flow
steps:
  - type: task
    name: nap
    resourceArn: {ARN}/nap
    inputMappings:
      - target: seconds
        source: 10
    catch:
      - errors: [FnF.ALL]
        goto: caught
  - type: succeed
    name: done
  - type: pass
    name: caught
"""


async def test_stop_during_a_function_task_ends_stopped(client: Client) -> None:
    """The reproduction: a stop while a function runs ended Failed ("the task activity
    failed: Cancelled"); here the task even has a catch-all, which must not see the stop."""
    handle = await start(client, NAP)
    await reached(client, handle.id, has("TaskScheduled:nap"))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail(RUNNING_ATTEMPT) == [
        "ExecutionStarted",
        "StepEntered:nap",
        "TaskScheduled:nap",
        "StepFailed:nap",
        "ExecutionStopped",
    ]
    assert outcome.detail("StepFailed", "nap") == STOP
    assert outcome.detail("ExecutionStopped") == STOP


async def test_a_temporal_cancel_without_stop_execution_ends_stopped(client: Client) -> None:
    handle = await start(client, NAP)
    await reached(client, handle.id, has("TaskScheduled:nap"))
    await handle.cancel()
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail(RUNNING_ATTEMPT)[-2:] == ["StepFailed:nap", "ExecutionStopped"]
    assert outcome.detail("StepFailed", "nap") == BARE_CANCEL
    assert outcome.detail("ExecutionStopped") == BARE_CANCEL


RETRIED = f"""\
version: v1
type: flow
steps:
  - type: task
    name: flaky
    resourceArn: {ARN}/raise
    retry:
      - errors: [ErrorNeedsRetry]
        intervalSeconds: 600
        maxAttempts: 3
    catch:
      - errors: [FnF.ALL]
        goto: caught
  - type: pass
    name: caught
"""


async def test_stop_while_a_function_task_waits_to_retry_ends_stopped(client: Client) -> None:
    """The first attempt failed; the second waits out its 600 s backoff when the stop lands."""
    handle = await start(client, RETRIED)
    for _ in range(400):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].attempt >= 2:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the task never waited for its retry")
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail(ATTEMPTS) == [
        "ExecutionStarted",
        "StepEntered:flaky",
        "StepFailed:flaky",
        "ExecutionStopped",
    ]
    assert "TaskScheduled:flaky" in outcome.trail()
    assert_attempts_inside_their_steps(outcome.events)
    assert outcome.detail("StepFailed", "flaky") == STOP


CALLBACK = f"""\
version: v1
type: flow
steps:
  - type: task
    name: cb
    resourceArn: {ARN}/echo
    pattern: waitForCallback
    inputMappings:
      - target: taskToken
        source: $context.task.token
    {{extra}}
"""

CALLBACK_RETRIED = CALLBACK.format(
    extra="timeoutSeconds: 1\n    retry: [{errors: [FnF.TaskTimeout], intervalSeconds: 3600}]"
)


async def test_stop_during_a_callback_wait_ends_stopped(client: Client) -> None:
    handle = await start(client, CALLBACK.format(extra=""))
    await reached(client, handle.id, has("TaskSubmitted:cb"))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail() == [
        "ExecutionStarted",
        "StepEntered:cb",
        "TaskScheduled:cb",
        "TaskStarted:cb",
        "TaskSubmitted:cb",
        "StepFailed:cb",
        "ExecutionStopped",
    ]
    assert outcome.detail("StepFailed", "cb") == STOP


async def test_stop_during_a_retry_backoff_timer_ends_stopped(client: Client) -> None:
    """The callback timed out; its retry waits 3600 s on a durable timer."""
    handle = await start(client, CALLBACK_RETRIED)
    await reached(client, handle.id, has("TaskTimedOut:cb"))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail() == [
        "ExecutionStarted",
        "StepEntered:cb",
        "TaskScheduled:cb",
        "TaskStarted:cb",
        "TaskSubmitted:cb",
        "TaskTimedOut:cb",
        "StepFailed:cb",
        "ExecutionStopped",
    ]
    assert outcome.detail("StepFailed", "cb") == STOP


PARALLEL_RUNNING = f"""\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: work
            resourceArn: {ARN}/nap
            inputMappings: [{{target: seconds, source: 10}}]
      - steps:
          - type: wait
            name: pause
            duration: 3600
"""


async def test_stop_during_parallel_branches_ends_every_branch(client: Client) -> None:
    handle = await start(client, PARALLEL_RUNNING)
    await reached(client, handle.id, has("TaskScheduled:work", "StepStarted:pause"))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail(RUNNING_ATTEMPT) == [
        "ExecutionStarted",
        "StepEntered:both",
        "StepStarted:both",
        "BranchEntered:both",
        "StepEntered:work",
        "TaskScheduled:work",
        "BranchEntered:both",
        "StepEntered:pause",
        "StepStarted:pause",
        "StepFailed:pause",
        "BranchExited:both",
        "StepFailed:work",
        "BranchExited:both",
        "StepFailed:both",
        "ExecutionStopped",
    ]
    exits = [json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "BranchExited"]
    assert exits == [{"index": 1, **STOP}, {"index": 0, **STOP}]
    assert outcome.detail("StepFailed", "both") == STOP


FOREACH_RUNNING = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: 2
    steps:
      - type: task
        name: work
        resourceArn: {ARN}/nap
        inputMappings: [{{target: seconds, source: 10}}]
"""


async def test_stop_during_foreach_iterations_starts_no_more(client: Client) -> None:
    handle = await start(client, FOREACH_RUNNING, {"items": [1, 2, 3]})
    await reached(client, handle.id, has("TaskScheduled:work", count=2))
    await stop_execution(handle, **STOP)
    outcome = await ended(client, handle)
    assert outcome.status == "Stopped"
    assert outcome.trail(RUNNING_ATTEMPT) == [
        "ExecutionStarted",
        "StepEntered:each",
        "StepStarted:each",
        "IterationEntered:each",
        "StepEntered:work",
        "TaskScheduled:work",
        "IterationEntered:each",
        "StepEntered:work",
        "TaskScheduled:work",
        "StepFailed:work",
        "IterationExited:each",
        "StepFailed:work",
        "IterationExited:each",
        "StepFailed:each",
        "ExecutionStopped",
    ]
    exits = [json.loads(e["EventDetail"]) for e in outcome.events if e["Type"] == "IterationExited"]
    assert exits == [{"index": 0, **STOP}, {"index": 1, **STOP}]


FOREACH_FAILING = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: 1
    steps:
      - type: task
        name: work
        resourceArn: {ARN}/reject-bad
        inputMappings: [{{target: item, source: $input.item}}]
"""


async def test_a_failed_foreach_starts_no_more_iterations_and_fails_last(client: Client) -> None:
    """The reproduction: item 2 of 4 raises, one at a time. Iteration 3 was entered and its
    task scheduled, and a StepFailed "Cancelled" came after ExecutionFailed."""
    handle = await start(client, FOREACH_FAILING, {"items": ["a", "bad", "c", "d"]})
    outcome = await ended(client, handle)
    assert (outcome.status, outcome.error) == ("Failed", "ItemRejected")
    assert outcome.trail() == [
        "ExecutionStarted",
        "StepEntered:each",
        "StepStarted:each",
        "IterationEntered:each",
        "StepEntered:work",
        "TaskScheduled:work",
        "TaskStarted:work",
        "TaskSucceeded:work",
        "StepExited:work",
        "IterationExited:each",
        "IterationEntered:each",
        "StepEntered:work",
        "TaskScheduled:work",
        "TaskStarted:work",
        "TaskFailed:work",
        "StepFailed:work",
        "IterationExited:each",
        "StepFailed:each",
        "ExecutionFailed",
    ]
    failed = outcome.detail("TaskFailed", "work")
    assert failed["error"] == "ItemRejected" and "item bad is bad" in failed["cause"]
    assert outcome.detail("IterationExited", "each", nth=1) == {"index": 1, **failed}
    assert outcome.detail("StepFailed", "each") == failed


PARALLEL_FAILING = f"""\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: slow
            resourceArn: {ARN}/nap
            inputMappings: [{{target: seconds, source: 10}}]
      - steps:
          - type: task
            name: bad
            resourceArn: {ARN}/reject-bad
            inputMappings: [{{target: item, source: bad}}]
"""

CANCELLED_BY_BRANCH_1 = {
    "error": "FnF.Cancelled",
    "cause": "branch 1 of step both failed with ItemRejected",
}


async def test_a_failed_branch_cancels_the_running_one_before_the_step_fails(
    client: Client,
) -> None:
    handle = await start(client, PARALLEL_FAILING)
    outcome = await ended(client, handle)
    assert (outcome.status, outcome.error) == ("Failed", "ItemRejected")
    assert outcome.trail(RUNNING_ATTEMPT) == [
        "ExecutionStarted",
        "StepEntered:both",
        "StepStarted:both",
        "BranchEntered:both",
        "StepEntered:slow",
        "TaskScheduled:slow",
        "BranchEntered:both",
        "StepEntered:bad",
        "TaskScheduled:bad",
        "TaskFailed:bad",
        "StepFailed:bad",
        "BranchExited:both",
        "StepFailed:slow",
        "BranchExited:both",
        "StepFailed:both",
        "ExecutionFailed",
    ]
    assert outcome.detail("StepFailed", "slow") == CANCELLED_BY_BRANCH_1
    assert outcome.detail("BranchExited", "both", nth=1) == {"index": 0, **CANCELLED_BY_BRANCH_1}
    assert outcome.detail("StepFailed", "both")["error"] == "ItemRejected"


NESTED = f"""\
version: v1
type: flow
steps:
  - type: parallel
    name: outer
    branches:
      - steps:
          - type: foreach
            name: inner
            iterationMapping:
              collection: $.items
              item: item
            steps:
              - type: task
                name: slow
                resourceArn: {ARN}/nap
                inputMappings: [{{target: seconds, source: 10}}]
      - steps:
          - type: wait
            name: later
            duration: 1
          - type: task
            name: bad
            resourceArn: {ARN}/reject-bad
            inputMappings: [{{target: item, source: bad}}]
"""


async def test_a_failed_branch_cancels_a_foreach_nested_in_its_sibling(client: Client) -> None:
    handle = await start(client, NESTED, {"items": [1, 2]})
    outcome = await ended(client, handle)
    assert (outcome.status, outcome.error) == ("Failed", "ItemRejected")
    seen = outcome.trail(RUNNING_ATTEMPT)
    cancelled = seen[seen.index("BranchExited:outer") + 1 :]
    assert cancelled == [
        "StepFailed:slow",
        "IterationExited:inner",
        "StepFailed:slow",
        "IterationExited:inner",
        "StepFailed:inner",
        "BranchExited:outer",
        "StepFailed:outer",
        "ExecutionFailed",
    ]
    assert seen[seen.index("BranchExited:outer") - 2 :][:2] == ["TaskFailed:bad", "StepFailed:bad"]
    for kind, step in [("StepFailed", "slow"), ("StepFailed", "inner")]:
        assert outcome.detail(kind, step) == CANCELLED_BY_BRANCH_1 | {
            "cause": "branch 1 of step outer failed with ItemRejected"
        }
    assert_attempts_inside_their_steps(outcome.events)


CHILD = """\
version: v1
type: flow
steps:
  - type: wait
    name: pause
    duration: 3600
"""

PARENT = """\
version: v1
type: flow
steps:
  - type: task
    name: call-child
    resourceArn: acs:fnf:::flow/child
    pattern: sync
    serviceParams:
      ExecutionName: $.child
    catch:
      - errors: [{caught}]
        goto: handled
    errorMappings:
      - target: error
        source: $local.error
      - target: cause
        source: $local.cause
  - type: succeed
    name: done
  - type: pass
    name: handled
"""


async def start_parent(client: Client, caught: str) -> tuple[Any, Any]:
    child_name = f"child-{uuid.uuid4()}"
    parent = await start(
        client,
        PARENT.format(caught=caught),
        {"child": child_name},
        flows={"child": dict(compile_text(CHILD))},
    )
    await reached(client, parent.id, has("TaskStarted:call-child"))
    child = client.get_workflow_handle(workflow_id("child", child_name))
    await reached(client, child.id, has("StepStarted:pause"))
    return parent, child


CHILD_STOPPED_TRAIL = [
    "ExecutionStarted",
    "StepEntered:pause",
    "StepStarted:pause",
    "StepFailed:pause",
    "ExecutionStopped",
]


@pytest.mark.parametrize(
    ("stop", "caught"),
    [(STOP, "Abandoned"), (None, "FnF.Stopped")],
    ids=["with-error", "bare-cancel"],
)
async def test_a_stopped_sync_child_fails_the_parent_task_with_its_stop_error(
    client: Client, stop: dict[str, str] | None, caught: str
) -> None:
    """Alibaba's post-execution-actions sample: the parent catches the child's stop Error and
    ends Succeeded. A child stopped without an Error gives FnF.Stopped."""
    parent, child = await start_parent(client, caught)
    if stop is None:
        await child.cancel()
    else:
        await stop_execution(child, **stop)
    stopped = await ended(client, child)
    assert (stopped.status, stopped.trail()) == ("Stopped", CHILD_STOPPED_TRAIL)
    outcome = await ended(client, parent)
    expected = {"error": caught, "cause": (stop or BARE_CANCEL)["cause"]}
    assert (outcome.status, outcome.output) == ("Succeeded", expected)
    assert outcome.trail() == [
        "ExecutionStarted",
        "StepEntered:call-child",
        "TaskScheduled:call-child",
        "TaskStarted:call-child",
        "TaskFailed:call-child",
        "StepExited:call-child",
        "StepEntered:handled",
        "StepStarted:handled",
        "StepSucceeded:handled",
        "StepExited:handled",
        "ExecutionSucceeded",
    ]
    assert outcome.detail("TaskFailed", "call-child") == expected


async def test_stopping_a_parent_stops_its_sync_child(client: Client) -> None:
    """The parent's own stop is not a failure of its task: no catch runs, and the child (which
    the parent cancels) ends Stopped too."""
    parent, child = await start_parent(client, "FnF.ALL")
    await stop_execution(parent, **STOP)
    outcome = await ended(client, parent)
    assert outcome.status == "Stopped"
    assert outcome.trail() == [
        "ExecutionStarted",
        "StepEntered:call-child",
        "TaskScheduled:call-child",
        "TaskStarted:call-child",
        "StepFailed:call-child",
        "ExecutionStopped",
    ]
    assert outcome.detail("ExecutionStopped") == STOP
    stopped = await ended(client, child)
    assert (stopped.status, stopped.trail()) == ("Stopped", CHILD_STOPPED_TRAIL)
    # the child was cancelled with its parent's stop as the reason (child_starts.py)
    assert stopped.detail("ExecutionStopped") == STOP == stopped.detail("StepFailed", "pause")


def test_nothing_is_recorded_after_the_terminal_event() -> None:
    log = ExecutionLog()
    at = "2026-01-01T00:00:00.000Z"
    for kind in ("ExecutionStarted", "StepEntered", "ExecutionFailed"):
        log.record(kind, time=at)
    assert log.record("StepFailed", "late", time=at) == 0
    recorded = [e["Type"] for e in log.page(1, 10, 10**6)]
    assert recorded == ["ExecutionStarted", "StepEntered", "ExecutionFailed"]


WAITING_CHILD = CHILD


@pytest.mark.parametrize(
    ("stop", "error"), [(STOP, "Abandoned"), (None, "FnF.Stopped")], ids=["with-error", "bare"]
)
async def test_a_stopped_execution_reports_its_stop_to_the_task_that_started_it(
    client: Client, stop: dict[str, str] | None, error: str
) -> None:
    """StartExecution's CallbackFnFTaskToken: the stop reaches the waiting task (with
    FnF.Stopped for a stop without Error) before ExecutionStopped ends the child."""
    parent = await start(client, CALLBACK.format(extra=""))
    await reached(client, parent.id, has("TaskSubmitted:cb"))
    events = await read_history(client, parent.id)
    submitted = next(e for e in events if e["Type"] == "TaskSubmitted")
    token = json.loads(submitted["EventDetail"])["output"]["taskToken"]
    child = await start(client, WAITING_CHILD, callback_token=token)
    await reached(client, child.id, has("StepStarted:pause"))
    if stop is None:
        await child.cancel()
    else:
        await stop_execution(child, **stop)
    stopped = await ended(client, child)
    assert (stopped.status, stopped.trail()) == ("Stopped", CHILD_STOPPED_TRAIL)
    outcome = await ended(client, parent)
    assert (outcome.status, outcome.error) == ("Failed", error)
    assert outcome.detail("TaskFailed", "cb") == {
        "error": error,
        "cause": (stop or BARE_CANCEL)["cause"],
    }
    assert outcome.trail()[-4:] == [
        "TaskSubmitted:cb",
        "TaskFailed:cb",
        "StepFailed:cb",
        "ExecutionFailed",
    ]


PARALLEL_WITH_CHILD = """\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: call-child
            resourceArn: acs:fnf:::flow/child
            pattern: sync
            serviceParams:
              ExecutionName: $.child
            catch:
              - errors: [FnF.ALL]
                goto: caught
          - type: succeed
            name: done
          - type: pass
            name: caught
      - steps:
          - type: wait
            name: later
            duration: 2
          - type: fail
            name: broke
            error: Broke
            cause: on purpose
"""


async def test_a_failed_branch_stops_a_sync_child_in_its_sibling(client: Client) -> None:
    """The child the parent cancels is not a child stopped on its own: no catch runs, the
    parent fails with the branch's error, and the child ends Stopped, saying why."""
    child_name = f"child-{uuid.uuid4()}"
    parent = await start(
        client,
        PARALLEL_WITH_CHILD,
        {"child": child_name},
        flows={"child": dict(compile_text(CHILD))},
    )
    outcome = await ended(client, parent)
    assert (outcome.status, outcome.error) == ("Failed", "Broke")
    seen = outcome.trail()
    assert "StepEntered:caught" not in seen
    assert seen[seen.index("StepFailed:broke") :] == [
        "StepFailed:broke",
        "BranchExited:both",
        "StepFailed:call-child",
        "BranchExited:both",
        "StepFailed:both",
        "ExecutionFailed",
    ]
    cancelled = {"error": "FnF.Cancelled", "cause": "branch 1 of step both failed with Broke"}
    assert outcome.detail("StepFailed", "call-child") == cancelled
    stopped = await ended(client, client.get_workflow_handle(workflow_id("child", child_name)))
    assert (stopped.status, stopped.trail()) == ("Stopped", CHILD_STOPPED_TRAIL)
    assert stopped.detail("ExecutionStopped") == cancelled  # its parent's reason, as inline


LOOP = """\
version: v1
type: flow
steps:
  - type: wait
    name: tick
    duration: 0.2
  - type: choice
    name: again
    choices:
      - condition: $.stop == null
        goto: tick
"""


async def test_a_stop_signalled_before_a_continue_as_new_reaches_the_new_run(
    client: Client,
) -> None:
    """StopExecution's Error and Cause came to one run; its cancellation to the next."""
    handle = await start(client, LOOP, continue_as_new_at=20)
    await handle.signal(STOP_SIGNAL, StopRequest(**STOP))
    first = (await handle.describe()).run_id
    for _ in range(200):
        if (await handle.describe()).run_id != first:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the execution never continued as new")
    await client.get_workflow_handle(handle.id).cancel()
    outcome = await ended(client, client.get_workflow_handle(handle.id))
    assert outcome.status == "Stopped"
    assert outcome.detail("ExecutionStopped") == STOP


async def test_fnf_run_prints_a_stopped_execution_as_stopped(client: Client) -> None:
    """`fnf run` follows the execution: the events end with ExecutionStopped, and the verdict
    is Stopped with the StopExecution Error and Cause (it said Failed, FnF.RuntimeError)."""
    handle = await start(client, NAP)
    console = Console(record=True, width=200)
    view = EventStream(console, None, full=False, as_json=False)
    following = asyncio.ensure_future(follow_execution(client, handle, view))
    await reached(client, handle.id, has("TaskScheduled:nap"))
    await stop_execution(handle, **STOP)
    assert await following is False
    printed = console.export_text().splitlines()
    verdict = next(i for i, line in enumerate(printed) if line.startswith("Stopped"))
    assert "ExecutionStopped" in printed[verdict - 1]
    assert printed[verdict].startswith("Stopped, ended at step ")
    assert "  error: Abandoned" in printed and "  cause: the user stopped it" in printed
