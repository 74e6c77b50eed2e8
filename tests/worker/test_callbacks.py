"""waitForCallback on the time-skipping server: tokens, exactly-once reports, their errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from tests.run_id_secrets import forged_tokens, predicted_secrets
from tests.worker.conftest import EXAMPLES
from translator import compile_file, compile_text
from worker.callbacks.client import ReportRefused, report_task_failed, report_task_succeeded
from worker.callbacks.tokens import TaskToken
from worker.execution import FlowRun, StopRequest
from worker.executions import start_execution
from worker.history import read_history, read_history_page

QUEUE = f"callbacks-{uuid.uuid4().hex[:6]}"


@pytest_asyncio.fixture(scope="module")
async def env(temporal_env: WorkflowEnvironment) -> Any:
    async with serving(temporal_env.client, QUEUE, EXAMPLES / "callback" / "functions.yaml"):
        yield temporal_env


async def start(env: WorkflowEnvironment, graph: Any = None) -> WorkflowHandle[Any, Any]:
    graph = graph or dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph, input={}, flow_name="callback", execution_name=f"exec-{uuid.uuid4()}"
    )
    return await start_execution(env.client, QUEUE, run, search_attributes=False)


async def submitted_token(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> str:
    for _ in range(200):
        events = await read_history(env.client, handle.id)
        for event in events:
            if event["Type"] == "TaskSubmitted":
                return str(json.loads(event["EventDetail"])["output"]["taskToken"])
        await asyncio.sleep(0.05)
    raise AssertionError("no TaskSubmitted event")


async def test_callback_example_end_to_end(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    event_id = await report_task_succeeded(env.client, token, '{"status": "ok"}')
    assert await handle.result() == {"s": "ok"}
    events = await read_history(env.client, handle.id)
    assert [e["Type"] for e in events] == [
        "ExecutionStarted",
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "StepExited",
        "ExecutionSucceeded",
    ]
    assert events[5]["EventId"] == event_id
    assert json.loads(events[5]["EventDetail"]) == {"output": {"status": "ok"}}
    parsed = TaskToken.decode(token)
    assert (parsed.flow, parsed.step_event_id) == ("callback", 2)


async def test_second_report_is_task_already_completed(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    first, second = await asyncio.gather(
        report_task_succeeded(env.client, token, {"status": "first"}),
        report_task_succeeded(env.client, token, {"status": "second"}),
        return_exceptions=True,
    )
    outcomes = [first, second]
    accepted = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, ReportRefused)]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "TaskAlreadyCompleted"
    await handle.result()
    events = await read_history(env.client, handle.id)
    assert [e["Type"] for e in events].count("TaskSucceeded") == 1
    # After the execution closed, a report is still TaskAlreadyCompleted.
    with pytest.raises(ReportRefused) as late:
        await report_task_failed(env.client, token, "Late", "too late")
    assert late.value.code == "TaskAlreadyCompleted"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda token: token[:-4] + "AAAA",
        lambda token: "not a token",
        lambda token: TaskToken("callback", "no-such-exec", 2, "0" * 32).encode(),
    ],
)
async def test_forged_tokens_are_refused(env: WorkflowEnvironment, mutate: Any) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    with pytest.raises(ReportRefused) as refused:
        await report_task_succeeded(env.client, mutate(token), {"status": "forged"})
    assert refused.value.code in ("InvalidArgument", "ExecutionNotExists")
    await report_task_succeeded(env.client, token, {"status": "real"})
    assert await handle.result() == {"s": "real"}


async def test_a_forged_secret_for_a_real_execution_is_refused(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    real = TaskToken.decode(await submitted_token(env, handle))
    forged = TaskToken(real.flow, real.execution, real.step_event_id, "f" * 32).encode()
    with pytest.raises(ReportRefused) as refused:
        await report_task_succeeded(env.client, forged, {})
    assert refused.value.code == "InvalidArgument"
    await report_task_succeeded(env.client, real.encode(), '{"status": "ok"}')
    await handle.result()


async def test_bad_output_is_invalid_argument(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    for output in ("not json", "[1, 2]"):
        with pytest.raises(ReportRefused) as refused:
            await report_task_succeeded(env.client, token, output)
        assert refused.value.code == "InvalidArgument"
    await report_task_succeeded(env.client, token, "{}")
    assert await handle.result() == {"s": None}


@pytest.mark.parametrize("text", ["x" * 33_000, "城" * 11_000])
async def test_output_over_the_event_quota_is_refused_not_recorded(
    env: WorkflowEnvironment, text: str
) -> None:
    """An Output the task could not record is InvalidArgument to the reporter; the task keeps
    waiting, takes a fitting report, and no event holds the refused one."""
    handle = await start(env)
    token = await submitted_token(env, handle)
    with pytest.raises(ReportRefused) as refused:
        await report_task_succeeded(env.client, token, json.dumps({"s": text}, ensure_ascii=False))
    assert refused.value.code == "InvalidArgument"
    assert "FNF_EVENT_DATA_LIMIT" in refused.value.message
    await report_task_succeeded(env.client, token, '{"status": "fits"}')
    assert await handle.result() == {"s": "fits"}
    events = await read_history(env.client, handle.id)
    assert not [e for e in events if e["Type"] == "StepFailed"]


RETRIED = """\
version: v1
type: flow
steps:
  - type: task
    name: approve
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    timeoutSeconds: 30
    inputMappings: [{target: taskToken, source: $context.task.token}]
    retry:
      - errors: [NotYet]
        intervalSeconds: 1
        maxAttempts: 1
    catch:
      - errors: [FnF.TaskTimeout]
        goto: timed-out
    errorMappings: [{target: error, source: $local.error}]
  - type: succeed
    name: approved
  - type: pass
    name: timed-out
"""


async def test_failure_report_retries_with_a_fresh_token(env: WorkflowEnvironment) -> None:
    handle = await start(env, dict(compile_text(RETRIED)))
    first = await submitted_token(env, handle)
    await report_task_failed(env.client, first, "NotYet", "ask again")
    second = first
    for _ in range(200):
        events = await read_history(env.client, handle.id)
        tokens = [
            json.loads(e["EventDetail"])["output"]["taskToken"]
            for e in events
            if e["Type"] == "TaskSubmitted"
        ]
        if len(tokens) == 2:
            second = tokens[1]
            break
        await asyncio.sleep(0.05)
    assert second != first
    with pytest.raises(ReportRefused) as stale:
        await report_task_succeeded(env.client, first, {})
    assert stale.value.code == "TaskAlreadyCompleted"
    # The second attempt is never reported: its timeoutSeconds ends it, and catch takes it.
    assert await handle.result() == {"error": "FnF.TaskTimeout"}
    events = await read_history(env.client, handle.id)
    kinds = [e["Type"] for e in events if e["StepName"] == "approve"]
    assert kinds.count("TaskFailed") == 1 and kinds.count("TaskTimedOut") == 1
    exited = [e for e in events if e["Type"] == "StepExited" and e["StepName"] == "approve"]
    assert json.loads(exited[0]["EventDetail"])["retryCount"] == 1


async def test_report_to_a_terminated_execution(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    await handle.terminate("stopped by the test")
    with pytest.raises(ReportRefused) as refused:
        await report_task_succeeded(env.client, token, {})
    assert refused.value.code == "TaskAlreadyCompleted"


LATE = """\
version: v1
type: flow
steps:
  - type: task
    name: first
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    timeoutSeconds: 1
    inputMappings: [{target: taskToken, source: $context.task.token}]
    catch: [{errors: [FnF.TaskTimeout], goto: second}]
  - type: pass
    name: unreachable
  - type: task
    name: second
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    inputMappings: [{target: taskToken, source: $context.task.token}]
"""


async def test_a_report_after_the_timeout_is_task_already_completed(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env, dict(compile_text(LATE)))
    tokens: list[str] = []
    for _ in range(200):
        events = await read_history(env.client, handle.id)
        tokens = [
            json.loads(e["EventDetail"])["output"]["taskToken"]
            for e in events
            if e["Type"] == "TaskSubmitted"
        ]
        if len(tokens) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(tokens) == 2, "the first task timed out and the second one is parked"
    with pytest.raises(ReportRefused) as late:
        await report_task_succeeded(env.client, tokens[0], {"late": True})
    assert late.value.code == "TaskAlreadyCompleted"
    await report_task_succeeded(env.client, tokens[1], {"second": True})
    assert await handle.result() == {"second": True}
    events = await read_history(env.client, handle.id)
    assert [e["Type"] for e in events if e["StepName"] == "first"].count("TaskTimedOut") == 1


async def test_stop_records_error_and_cause(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    await submitted_token(env, handle)
    await handle.signal("StopExecution", StopRequest("Abandoned", "the user stopped it"))
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as stopped:
        await handle.result()
    assert isinstance(stopped.value.cause, CancelledError)
    events = await read_history(env.client, handle.id)
    assert events[-1]["Type"] == "ExecutionStopped"
    assert json.loads(events[-1]["EventDetail"]) == {
        "error": "Abandoned",
        "cause": "the user stopped it",
    }


PARALLEL_CALLBACKS = """\
version: v1
type: flow
steps:
  - type: parallel
    name: both
    branches:
      - steps:
          - type: task
            name: left
            resourceArn: acs:fc:::services/fnf-demo/functions/echo
            pattern: waitForCallback
            inputMappings: [{target: taskToken, source: $context.task.token}]
      - steps:
          - type: task
            name: right
            resourceArn: acs:fc:::services/fnf-demo/functions/echo
            pattern: waitForCallback
            inputMappings: [{target: taskToken, source: $context.task.token}]
"""


async def submitted_tokens(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], count: int
) -> list[str]:
    """The tokens of the first `count` TaskSubmitted events, once there are that many."""
    tokens: list[str] = []
    for _ in range(200):
        events = await read_history(env.client, handle.id)
        tokens = [
            json.loads(e["EventDetail"])["output"]["taskToken"]
            for e in events
            if e["Type"] == "TaskSubmitted"
        ]
        if len(tokens) >= count:
            return tokens[:count]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(tokens)} of {count} TaskSubmitted events")


async def assert_unforgeable(env: WorkflowEnvironment, handle: Any, token: str) -> None:
    """What GetExecutionHistory reveals (its NextToken is `<EventId>:<run id>`) predicts no
    secret: every token built from the run's `workflow.random()` draws is refused."""
    run_id = (await read_history_page(env.client, handle.id, 1, 1)).run_id
    real = TaskToken.decode(token)
    assert real.secret not in predicted_secrets(run_id, 64)
    for forged in forged_tokens(real, run_id):
        with pytest.raises(ReportRefused) as refused:
            await report_task_succeeded(env.client, forged, {"status": "forged"})
        assert refused.value.code == "InvalidArgument"


async def test_a_token_predicted_from_the_run_id_is_refused(env: WorkflowEnvironment) -> None:
    handle = await start(env)
    token = await submitted_token(env, handle)
    await assert_unforgeable(env, handle, token)
    await report_task_succeeded(env.client, token, {"status": "real"})
    assert await handle.result() == {"s": "real"}
    events = await read_history(env.client, handle.id)
    assert [e["Type"] for e in events].count("TaskSucceeded") == 1


async def test_a_retried_attempts_token_is_not_predicted_either(env: WorkflowEnvironment) -> None:
    handle = await start(env, dict(compile_text(RETRIED)))
    first = await submitted_token(env, handle)
    await assert_unforgeable(env, handle, first)
    await report_task_failed(env.client, first, "NotYet", "ask again")
    second = (await submitted_tokens(env, handle, 2))[1]
    await assert_unforgeable(env, handle, second)
    await report_task_succeeded(env.client, second, {"status": "second"})
    assert await handle.result() == {"status": "second"}


async def test_parallel_tasks_get_distinct_unpredicted_tokens(env: WorkflowEnvironment) -> None:
    """Two branches mint at once: each keeps its own step's event id and secret."""
    handle = await start(env, dict(compile_text(PARALLEL_CALLBACKS)))
    tokens = await submitted_tokens(env, handle, 2)
    decoded = [TaskToken.decode(token) for token in tokens]
    assert len({t.secret for t in decoded}) == 2
    events = await read_history(env.client, handle.id)
    entered = {e["StepName"]: e["EventId"] for e in events if e["Type"] == "StepEntered"}
    assert {t.step_event_id for t in decoded} == {entered["left"], entered["right"]}
    for token in tokens:
        await assert_unforgeable(env, handle, token)
    for token in tokens:
        await report_task_succeeded(env.client, token, {"ok": True})
    await handle.result()
