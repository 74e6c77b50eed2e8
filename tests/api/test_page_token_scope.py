"""A NextToken is good only for the list that issued it.

Temporal's visibility page token is a bare cursor (close time, start time, run id) that it
applies to whatever query comes with it: before tokens were bound to their list, flow A's
ListExecutions token handed to flow B's list answered an empty page (B's executions all fell
"before" the cursor) or skipped some of them, and a ListFlows token was taken by
ListExecutions. Now each of those is InvalidArgument, and the list's own token still pages
through every item once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import ApiServer
from tests.api.test_every_action_both_sdks import Sdk, legacy_sdk, refused, wait_for

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


@pytest.fixture(scope="module")
def legacy(api_server: ApiServer) -> Sdk:
    return legacy_sdk(api_server)


def _flow_with_executions(call: Sdk, count: int) -> str:
    flow = f"tokens_{uuid.uuid4().hex[:8]}"
    call("CreateFlow", Name=flow, Definition=PASS, Description="", Type="FDL")
    for index in range(count):
        call("StartExecution", FlowName=flow, ExecutionName=f"e{index}", Input="{}")
    wait_for(
        lambda: call("ListExecutions", FlowName=flow, Status="Succeeded", Limit=100),
        lambda body: len(body.get("Executions", [])) == count,
    )
    return flow


def _all_names(call: Sdk, flow: str) -> list[str]:
    names: list[str] = []
    params: dict[str, Any] = {"FlowName": flow, "Limit": 1}
    while True:
        page = call("ListExecutions", **params)
        names += [item["Name"] for item in page["Executions"]]
        if not page.get("NextToken"):
            return names
        params["NextToken"] = page["NextToken"]


def test_list_executions_token_is_refused_by_another_flow_and_filter(legacy: Sdk) -> None:
    older = _flow_with_executions(legacy, 2)
    newer = _flow_with_executions(legacy, 2)
    token = legacy("ListExecutions", FlowName=older, Limit=1)["NextToken"]
    for params in (
        {"FlowName": newer},
        {"FlowName": older, "Status": "Succeeded"},
        {"FlowName": older, "ExecutionNamePrefix": "e"},
    ):
        refusal = refused(lambda p=params: legacy("ListExecutions", NextToken=token, **p))
        assert (refusal.code, refusal.status) == ("InvalidArgument", 400), params
    assert sorted(_all_names(legacy, older)) == ["e0", "e1"]
    assert sorted(_all_names(legacy, newer)) == ["e0", "e1"]


def test_list_flows_and_schedules_tokens_stay_in_their_list(legacy: Sdk) -> None:
    first = _flow_with_executions(legacy, 0)
    second = _flow_with_executions(legacy, 0)
    for flow in (first, second):
        for name in ("s1", "s2"):
            legacy(
                "CreateSchedule",
                FlowName=flow,
                ScheduleName=name,
                CronExpression="0 0 2 * * *",
                Payload="{}",
                Enable=False,
            )
    flows_token = legacy("ListFlows", Limit=1)["NextToken"]
    refusal = refused(lambda: legacy("ListExecutions", FlowName=first, NextToken=flows_token))
    assert refusal.code == "InvalidArgument"
    first_page = legacy("ListSchedules", FlowName=first, Limit=1)
    schedules_token = first_page["NextToken"]
    refusal = refused(lambda: legacy("ListSchedules", FlowName=second, NextToken=schedules_token))
    assert refusal.code == "InvalidArgument"
    rest = legacy("ListSchedules", FlowName=first, Limit=10, NextToken=schedules_token)
    listed = [s["ScheduleName"] for s in first_page["Schedules"] + rest["Schedules"]]
    assert sorted(listed) == ["s1", "s2"]
    refusal = refused(lambda: legacy("ListFlows", NextToken=schedules_token))
    assert refusal.code == "InvalidArgument"
