"""Names through the real `fnf api`: every execution name of the grammar can be started,
described, reported to, read and stopped, and no value a client sends can change a visibility
query (hostile ExecutionNamePrefix, Status, times, NextTokens)."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.api.conftest import ApiServer
from tests.api.test_every_action_both_sdks import (
    Refused,
    Sdk,
    legacy_sdk,
    refused,
    tea_sdk,
    token_of,
    wait_for,
)
from tests.name_strategies import names
from translator.names import EXECUTION, EXECUTION_STEM, FLOW

PARK_AND_HOLD = """\
version: v1
type: flow
steps:
  - type: task
    name: park
    resourceArn: acs:fc:::services/fnf-demo/functions/echo
    pattern: waitForCallback
    inputMappings:
      - target: taskToken
        source: $context.task.token
  - type: wait
    name: hold
    duration: 3600
"""
PARK = PARK_AND_HOLD.split("  - type: wait")[0]


@pytest.fixture(scope="module")
def tea(api_server: ApiServer) -> Sdk:
    return tea_sdk(api_server)


@pytest.fixture(scope="module")
def legacy(api_server: ApiServer) -> Sdk:
    return legacy_sdk(api_server)


def _new_flow(call: Sdk, stem: str, definition: str, mode: str = "Standard") -> str:
    """A flow named from `stem` (a generated flow name), unique to this test run."""
    flow = f"{stem[:100]}_{uuid.uuid4().hex[:8]}"
    call(
        "CreateFlow",
        Name=flow,
        Definition=definition,
        Description="names",
        Type="FDL",
        ExecutionMode=mode,
    )
    return flow


def _events(call: Sdk, flow: str, execution: str) -> list[dict[str, Any]]:
    """The whole history, two events a page, so that NextToken is exercised too."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"FlowName": flow, "ExecutionName": execution, "Limit": 2}
        if token:
            params["NextToken"] = token
        page = call("GetExecutionHistory", **params)
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events


STARTED: set[str] = set()


@given(flow_stem=names(FLOW), execution=names(EXECUTION))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(flow_stem="WaitForCallbackWorkflow", execution="0f9e8d7c-6b5a-4c3d-9e8f-7a6b5c4d3e2f")
@example(flow_stem="_", execution=f"nightly:{uuid.UUID(int=7)}")
@example(flow_stem="f" * 128, execution="9" * 128)
def test_start_describe_report_history_stop_for_every_name(
    tea: Sdk, flow_stem: str, execution: str
) -> None:
    flow = _new_flow(tea, flow_stem, PARK_AND_HOLD)
    started = tea("StartExecution", FlowName=flow, ExecutionName=execution, Input="{}")
    assert (started["Name"], started["FlowName"], started["Status"]) == (execution, flow, "Running")
    described = tea("DescribeExecution", FlowName=flow, ExecutionName=execution)
    assert (described["Name"], described["Status"]) == (execution, "Running")

    token = token_of(tea, flow, execution)
    reported = tea("ReportTaskSucceeded", TaskToken=token, Output='{"done": true}')
    assert reported["EventId"] > 0
    events = wait_for(
        lambda: {"Events": _events(tea, flow, execution)},
        lambda body: any(
            e["Type"] == "StepEntered" and e["StepName"] == "hold" for e in body["Events"]
        ),
    )["Events"]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert any(e["Type"] == "TaskSucceeded" for e in events)

    listed = wait_for(
        lambda: tea("ListExecutions", FlowName=flow, ExecutionNamePrefix=execution[:5]),
        lambda body: bool(body.get("Executions")),
    )
    assert [e["Name"] for e in listed["Executions"]] == [execution]

    stopped = tea("StopExecution", FlowName=flow, ExecutionName=execution, Error="E", Cause="C")
    assert (stopped["Name"], stopped["Status"]) == (execution, "Stopped")
    again = refused(lambda: tea("StopExecution", FlowName=flow, ExecutionName=execution))
    assert again.code == "ExecutionAlreadyCompleted"


def test_start_sync_execution_names_take_a_uuid_and_can_be_reported_to(tea: Sdk) -> None:
    """StartSyncExecution's `{ExecutionName}:{UUID}`: found by its stem, its callback reported,
    its name returned; a stem that already has a suffix is refused."""
    flow = _new_flow(tea, "sync", PARK, "Express")
    stem = f"7{uuid.uuid4().hex[:10]}"
    answer: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: answer.update(tea("StartSyncExecution", FlowName=flow, ExecutionName=stem))
    )
    runner.start()
    try:
        listed = wait_for(
            lambda: tea("ListExecutions", FlowName=flow, ExecutionNamePrefix=f"{stem}:"),
            lambda body: bool(body.get("Executions")),
        )
        [name] = [e["Name"] for e in listed["Executions"]]
        assert EXECUTION.is_valid(name) and name.startswith(f"{stem}:")
        tea("ReportTaskSucceeded", TaskToken=token_of(tea, flow, name), Output="{}")
    finally:
        runner.join(timeout=60)
    assert (answer["Name"], answer["Status"]) == (name, "Succeeded")
    suffixed = refused(lambda: tea("StartSyncExecution", FlowName=flow, ExecutionName=name))
    assert suffixed.code == "InvalidArgument"
    assert EXECUTION_STEM.is_valid(stem)


@pytest.mark.parametrize(
    "execution", ["-x", "a" * 129, "a:b", "城市", "a b", 'x"', f"a:{uuid.uuid4()}:{uuid.uuid4()}"]
)
def test_names_outside_the_grammar_are_invalid_arguments(legacy: Sdk, execution: str) -> None:
    flow = "names_invalid_probe"
    for action in ("DescribeExecution", "GetExecutionHistory", "StopExecution", "StartExecution"):
        answer = _refusal(legacy, action, FlowName=flow, ExecutionName=execution)
        assert (answer.code, answer.status) == ("InvalidArgument", 400), action


def test_well_formed_names_that_do_not_exist(legacy: Sdk) -> None:
    flow = _new_flow(legacy, "exists", PARK)
    missing = refused(
        lambda: legacy("DescribeExecution", FlowName=flow, ExecutionName=str(uuid.uuid4()))
    )
    assert missing.code == "ExecutionNotExists"
    no_flow = refused(
        lambda: legacy("DescribeExecution", FlowName=f"f{uuid.uuid4().hex}", ExecutionName="1")
    )
    assert no_flow.code == "FlowNotExists"


HOSTILE = [
    'zzz" OR FnFFlowName = "{other}',
    'x"',
    'zzz" OR WorkflowType = "FnFFlowDefinition',
    "\\",
    'a\\" OR \\"1\\"=\\"1',
    'm") OR ("1"="1',
    "' OR ''='",
    "m' OR 'a'='a",
    "(",
    ")",
    "m AND 1=1",
    "城市",
    "m%",
    "*",
    "m\u202e",
    "m\t",
]


def _refusal(call: Sdk, action: str, **params: Any) -> Refused:
    try:
        call(action, **params)
    except Refused as refusal:
        return refusal
    raise AssertionError(f"{action} {params} was not refused")


def _no_server_error(call: Sdk, action: str, **params: Any) -> dict[str, Any] | None:
    try:
        return dict(call(action, **params))
    except Refused as refusal:
        assert refusal.status < 500, (action, params, refusal)
        return None


def test_hostile_values_never_reach_a_visibility_query(legacy: Sdk) -> None:
    mine = _new_flow(legacy, "mine", PARK)
    other = _new_flow(legacy, "other", PARK)
    for flow, execution in ((mine, "m1"), (mine, "m2"), (other, "o1")):
        legacy("StartExecution", FlowName=flow, ExecutionName=execution)
    wait_for(
        lambda: legacy("ListExecutions", FlowName=mine),
        lambda body: len(body.get("Executions", [])) == 2,
    )
    for template in HOSTILE:
        prefix = template.format(other=other)
        listed = _no_server_error(
            legacy, "ListExecutions", FlowName=mine, ExecutionNamePrefix=prefix
        )
        if listed is not None:
            assert {e["FlowName"] for e in listed.get("Executions", [])} <= {mine}, prefix
        for field in ("Status", "StartedTimeBegin", "StartedTimeEnd", "NextToken"):
            _no_server_error(legacy, "ListExecutions", FlowName=mine, **{field: prefix})
        _no_server_error(legacy, "ListExecutions", FlowName=prefix)
        _no_server_error(legacy, "ListFlows", NextToken=prefix)
        _no_server_error(legacy, "ListSchedules", FlowName=mine, NextToken=prefix)
        _no_server_error(
            legacy, "GetExecutionHistory", FlowName=mine, ExecutionName="m1", NextToken=prefix
        )
    for token in ("YWJj", "!!!", "AAAA" * 40):
        for action, params in (
            ("ListExecutions", {"FlowName": mine}),
            ("ListFlows", {}),
            ("ListSchedules", {"FlowName": mine}),
        ):
            answer = _refusal(legacy, action, NextToken=token, **params)
            assert (answer.code, answer.status) == ("InvalidArgument", 400), (action, token)
    prefixed = legacy("ListExecutions", FlowName=mine, ExecutionNamePrefix="m")
    assert sorted(e["Name"] for e in prefixed["Executions"]) == ["m1", "m2"]
    assert json.dumps(prefixed).count(other) == 0
