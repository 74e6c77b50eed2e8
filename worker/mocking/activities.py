"""Task activities that answer from a mock file instead of calling functions, actions or MNS.

They are registered under the real activities' names (InvokeFunction, InvokeFunctionLocal,
GetFunction, InvokeAction, SendMessage, PublishMessage) and run each attempt through the real
ledger (`run_attempt`, `run_local_attempt`), so the workflow, its FDL retries (decided in the
activity, DESIGN 7), its catch and its events are exactly those of a real run: only the call at
the bottom is replaced by the next mocked response.

Responses are consumed per invocation of a step within one execution, in the order the
invocations happen (worker/mocking/model.py). A sub-flow's task is named by its path from the
test execution (`Both#1/Call/Work`): each child's memo names the step that started it
(worker/interpreter/steps/subflow.py PARENT_STEP_MEMO), read on the way up to the test case.

A waitForCallback task's report is delivered before its submit returns: the task's token is
issued before its input is mapped (the Update validator already accepts it), and the report is
sent as a Temporal Update and awaited only until the workflow has accepted it, so the wait
that follows finds it at once and never races the time-skipping server's clock to the task's
timeoutSeconds.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowExecutionDescription, WorkflowUpdateStage

from worker.activities.attempts import TaskError, run_attempt, run_local_attempt
from worker.activities.requests import (
    GET_FUNCTION,
    INVOKE_ACTION,
    INVOKE_FUNCTION,
    INVOKE_FUNCTION_LOCAL,
    PUBLISH_MESSAGE,
    SEND_MESSAGE,
    FunctionMode,
    LocalAttempt,
    TaskRequest,
    compact,
)
from worker.callbacks.reports import REPORT_UPDATE, TaskReport
from worker.callbacks.tokens import InvalidTaskToken, TaskToken
from worker.functions import FunctionRegistry
from worker.functions.errors import FNF_TASK_TIMEOUT
from worker.interpreter.failures import INVALID_LOCAL
from worker.interpreter.steps.subflow import PARENT_STEP_MEMO
from worker.mocking.entered import PART_MARK
from worker.mocking.model import MOCK_MISSING, CallbackReport, MockResponse, expanded
from worker.mocking.step_paths import join, step_key
from worker.naming import workflow_id


@dataclass
class CaseMocks:
    """One execution's responses (each repeated `times`), what it consumed and what went
    wrong with the mocks themselves (a missing or used-up mock, a callback without a token).

    `calls` counts invocations by step name and, for a step inside a branch or iteration,
    also by its path (`Each#0/Work`); `used` counts the responses taken from each mock key."""

    responses: dict[str, list[MockResponse]]
    calls: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, mocks: dict[str, list[MockResponse]]) -> CaseMocks:
        return cls({step: expanded(listed) for step, listed in mocks.items()})

    def take(self, step: str, path: str = "", within: str = "") -> MockResponse:
        """The response of the step's next invocation, or TaskError(fnf.MockMissing): from
        the mock keyed by its path when there is one, else from the one keyed by its name.
        `within` is the sub-flow step the step's flow runs under (`Both#1/Call`), empty in
        the test execution itself; the path inside the sub-flow (`path`) is counted too, as
        it was before paths went through sub-flow steps."""
        self.calls[step] = self.calls.get(step, 0) + 1
        relative = step_key(path, step)
        keyed = step_key(join(within, path), step)
        for counted in dict.fromkeys((relative, keyed)):
            if counted != step:
                self.calls[counted] = self.calls.get(counted, 0) + 1
        key = next((k for k in (keyed, relative) if k in self.responses), step)
        number = self.used.get(key, 0) + 1
        self.used[key] = number
        listed = self.responses.get(key)
        if listed is None:
            where = f" (at {keyed})" if keyed != step else ""
            raise self.problem(f"task step {step!r}{where} has no mock in this case")
        if number > len(listed):
            raise self.problem(
                f"task step {key!r} was invoked {number} times but its mock lists "
                f"{len(listed)} response{'s' if len(listed) != 1 else ''} (add more, or "
                "`times:`)"
            )
        return listed[number - 1]

    def unused(self) -> list[str]:
        """The mock keys no invocation took a response from."""
        return [key for key in self.responses if not self.used.get(key)]

    def problem(self, message: str) -> TaskError:
        if message not in self.problems:
            self.problems.append(message)
        return TaskError(MOCK_MISSING, message)


MAX_NESTING = 32
"""Child workflows followed up from a task to its test execution (sub-flows in sub-flows)."""


class MockBook:
    """The cases a mock worker serves, by execution (flow name and execution name)."""

    def __init__(self) -> None:
        self._cases: dict[tuple[str, str], CaseMocks] = {}

    def register(self, flow: str, execution: str, mocks: dict[str, list[MockResponse]]) -> None:
        self._cases[(flow, execution)] = CaseMocks.of(mocks)

    def case(self, flow: str, execution: str) -> CaseMocks:
        found = self._cases.get((flow, execution))
        if found is None:
            raise TaskError(MOCK_MISSING, f"execution {flow}/{execution} is not a test case")
        return found

    async def case_of(self, request: TaskRequest) -> tuple[CaseMocks, str]:
        """The case of the execution the task runs in or, for a sub-flow's (or a child
        run's) task, of the test execution that started it: Temporal's parent links lead
        there, one child workflow at a time. With it, the path of the sub-flow step the
        task's flow runs under (empty in the test execution and its part runs)."""
        key = (request.flow, request.execution)
        info = activity.info()
        workflow = None if info.is_local else info.workflow_id  # no client in a local one
        within = ""
        for _ in range(MAX_NESTING):
            found = self._cases.get(key)
            if found is not None or workflow is None:
                break
            described = await activity.client().get_workflow_handle(workflow).describe()
            if PART_MARK not in workflow:  # a sub-flow: its parent's step is on the path
                within = join(await _started_by(described), within)
            parent = described.raw_description.workflow_execution_info.parent_execution
            workflow = parent.workflow_id or None
            if workflow is not None:
                flow, _, rest = workflow.partition("/")
                key = (flow, rest.split("/", 1)[0])
        return self.case(*key), within

    def forget(self, flow: str, execution: str) -> CaseMocks | None:
        return self._cases.pop((flow, execution), None)


class MockActivities:
    """The task activities of a test worker; `registry` (optional) says, as in production,
    which functions run as local activities."""

    def __init__(self, book: MockBook, registry: FunctionRegistry | None = None) -> None:
        self.book = book
        self.registry = registry

    @activity.defn(name=INVOKE_FUNCTION)
    async def invoke_function(self, request: TaskRequest) -> dict[str, Any]:
        return await run_attempt(request, lambda _: self._answer(request))

    @activity.defn(name=INVOKE_FUNCTION_LOCAL)
    async def invoke_function_local(self, attempt: LocalAttempt) -> dict[str, Any]:
        request = attempt.task
        result = await run_local_attempt(attempt, lambda _: self._answer(request))
        shown: dict[str, Any] = compact(result)
        return shown

    @activity.defn(name=GET_FUNCTION)
    async def get_function(self, resource: dict[str, Any]) -> FunctionMode:
        if self.registry is None:
            return FunctionMode()
        bound = self.registry.local_activity_bound(resource)  # type: ignore[arg-type]
        return FunctionMode() if bound is None else FunctionMode(True, bound)

    @activity.defn(name=INVOKE_ACTION)
    async def invoke_action(self, request: TaskRequest) -> dict[str, Any]:
        return await run_attempt(request, lambda _: self._answer(request))

    @activity.defn(name=SEND_MESSAGE)
    async def send_message(self, request: TaskRequest) -> dict[str, Any]:
        return await run_attempt(request, lambda _: self._answer(request))

    @activity.defn(name=PUBLISH_MESSAGE)
    async def publish_message(self, request: TaskRequest) -> dict[str, Any]:
        return await run_attempt(request, lambda _: self._answer(request))

    def all(self) -> list[Any]:
        return [
            self.invoke_function,
            self.invoke_function_local,
            self.get_function,
            self.invoke_action,
            self.send_message,
            self.publish_message,
        ]

    async def _answer(self, request: TaskRequest) -> Any:
        case, within = await self.book.case_of(request)
        response = case.take(request.step, request.path, within)
        await _delay(response.delaySeconds, request.timeout_seconds)
        if response.error is not None:
            raise TaskError(response.error, response.cause)
        if response.callback is not None:
            await _deliver(case, request, response.callback)
        output = response.output
        if not isinstance(output, dict):
            shown = json.dumps(output, ensure_ascii=False)[:200]
            raise TaskError(INVALID_LOCAL, f"the result is not a JSON object: {shown}")
        return output


async def _started_by(described: WorkflowExecutionDescription) -> str:
    """`Both#1/Call`: the parent's step that started this sub-flow, from its memo; empty for
    a child without one (started before the memo existed)."""
    try:
        where = await described.memo_value(PARENT_STEP_MEMO, default=None)
    except (TypeError, ValueError):
        return ""
    if not isinstance(where, dict):
        return ""
    return join(str(where.get("path") or ""), str(where.get("step") or ""))


async def _delay(seconds: float, timeout: float | None) -> None:
    """The call's duration; one that reaches the step's timeout ends as the runtime ends it
    (worker/functions/python_runtime.py), without waiting that long."""
    if timeout is not None and seconds >= timeout:
        raise TaskError(FNF_TASK_TIMEOUT, f"Task timed out after {timeout:g} seconds")
    if seconds > 0:
        await asyncio.sleep(seconds)


async def _deliver(case: CaseMocks, request: TaskRequest, report: CallbackReport) -> None:
    token = _token_in(request.params, request.flow, request.execution) or _token_in(
        request.payload, request.flow, request.execution
    )
    if token is None:
        raise case.problem(
            f"task step {request.step!r} waits for a callback but its input carries no task "
            "token: map $context.task.token into it (a real worker could not report either)"
        )
    if report.fail is not None:
        message = TaskReport(token, False, error=report.fail.error, cause=report.fail.cause)
    else:
        message = TaskReport(token, True, output=json.dumps(report.succeed, ensure_ascii=False))
    parsed = TaskToken.decode(token)
    handle = activity.client().get_workflow_handle(workflow_id(parsed.flow, parsed.execution))
    await handle.start_update(REPORT_UPDATE, message, wait_for_stage=WorkflowUpdateStage.ACCEPTED)


def _token_in(value: Any, flow: str, execution: str) -> str | None:
    """The first string in `value` that is a task token of this execution."""
    if isinstance(value, str):
        try:
            token = TaskToken.decode(value)
        except (InvalidTaskToken, ValueError):
            return None
        return value if (token.flow, token.execution) == (flow, execution) else None
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            found = _token_in(child, flow, execution)
            if found is not None:
                return found
    return None
