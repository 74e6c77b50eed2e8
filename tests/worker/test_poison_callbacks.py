"""A callback's Output (ReportTaskSucceeded) holding what no JSON reader takes back: refused
with InvalidArgument before it enters history, and the task keeps waiting for a good report
(translator/json_values.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from tests.worker.conftest import EXAMPLES
from tests.worker.test_callbacks import submitted_token
from translator import compile_file
from worker.callbacks.client import ReportRefused, report_task_failed, report_task_succeeded
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history

QUEUE = f"poison-callbacks-{uuid.uuid4().hex[:6]}"


@pytest_asyncio.fixture(scope="module")
async def client_env(temporal_env: WorkflowEnvironment) -> AsyncIterator[WorkflowEnvironment]:
    async with serving(temporal_env.client, QUEUE, EXAMPLES / "callback" / "functions.yaml"):
        yield temporal_env


POISON = [
    ('{"s": "\\ud800"}', "lone surrogate"),
    ('{"n": NaN}', "(NaN)"),
    ('{"n": [Infinity]}', "(Infinity)"),
    ('{"n": ' + "1" * 1001 + "}", "more than 1000 digits"),
    ('{"a":' * 70 + "1" + "}" * 70, "nests deeper than 64 levels"),
]


async def test_poison_outputs_are_refused_and_the_task_keeps_waiting(
    client_env: WorkflowEnvironment,
) -> None:
    graph = dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph, input={}, flow_name="callback", execution_name=f"exec-{uuid.uuid4()}"
    )
    handle = await start_execution(client_env.client, QUEUE, run, search_attributes=False)
    token = await submitted_token(client_env, handle)
    for output, said in POISON:
        with pytest.raises(ReportRefused) as refused:
            await report_task_succeeded(client_env.client, token, output)
        assert refused.value.code == "InvalidArgument", output[:40]
        assert said in str(refused.value), str(refused.value)
    await report_task_succeeded(client_env.client, token, "{}")
    await handle.result()
    kinds = [e["Type"] for e in await read_history(client_env.client, handle.id)]
    assert kinds.count("TaskSucceeded") == 1 and kinds[-1] == "ExecutionSucceeded", kinds


async def test_failure_reports_with_text_that_is_not_unicode_are_refused(
    client_env: WorkflowEnvironment,
) -> None:
    """ReportTaskFailed's Error and Cause are text entering the execution (the step's error,
    then the execution's): a lone surrogate, which `fnf task fail --error` gets from a byte that
    is not UTF-8, is refused like one in an Output, and the task keeps waiting."""
    graph = dict(compile_file(EXAMPLES / "callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph, input={}, flow_name="callback", execution_name=f"exec-{uuid.uuid4()}"
    )
    handle = await start_execution(client_env.client, QUEUE, run, search_attributes=False)
    token = await submitted_token(client_env, handle)
    for error, cause in [("E\udcff", "c"), ("E", "cause \ud800")]:
        with pytest.raises(ReportRefused) as refused:
            await report_task_failed(client_env.client, token, error, cause)
        assert refused.value.code == "InvalidArgument", (error, cause)
        assert "lone surrogate" in str(refused.value), str(refused.value)
    await report_task_failed(client_env.client, token, "Boom", "as reported")
    kinds = [e["Type"] for e in await read_history(client_env.client, handle.id)]
    assert kinds.count("TaskFailed") == 1, kinds
