"""Hostile values a client may send through the signed JSON form of the real `fnf api`: times
with offsets and far-off years, JSON texts that are not JSON (NaN), lone surrogates and deep
nesting. Each answer is a list, a result or an FnF 4xx error, never a 5xx."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.api.test_auth_live import signed_json
from tests.api.test_every_action_both_sdks import wait_for

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def call(server: ApiServer, action: str, **params: Any) -> httpx.Response:
    return signed_json(server, action, params)


def flow_with_one_execution(server: ApiServer) -> tuple[str, str]:
    flow = f"hostile_{uuid.uuid4().hex[:8]}"
    created = call(server, "CreateFlow", Name=flow, Definition=PASS, Type="FDL", Description="")
    assert created.status_code == 200, created.text
    started = call(server, "StartExecution", FlowName=flow, ExecutionName="e1", Input="{}")
    assert started.status_code == 200, started.text
    return flow, "e1"


def listed_names(server: ApiServer, flow: str, **times: str) -> list[str]:
    answer = call(server, "ListExecutions", FlowName=flow, **times)
    assert answer.status_code == 200, answer.text
    return [e["Name"] for e in answer.json()["Executions"]]


@pytest.mark.parametrize("hours", [8, -5, 0])
def test_started_time_filters_honour_the_utc_offset(api_server: ApiServer, hours: int) -> None:
    """An hour before the start, written in another zone, still lists the execution; an hour
    after it, in that zone, does not (the offset used to be dropped)."""
    flow, name = flow_with_one_execution(api_server)
    described = call(api_server, "DescribeExecution", FlowName=flow, ExecutionName=name).json()
    started = datetime.fromisoformat(described["StartedTime"].replace("Z", "+00:00"))
    zone = timezone(timedelta(hours=hours))
    before = (started - timedelta(hours=1)).astimezone(zone).isoformat()
    after = (started + timedelta(hours=1)).astimezone(zone).isoformat()
    wait_for(lambda: listed_names(api_server, flow, StartedTimeBegin=before), bool)
    assert listed_names(api_server, flow, StartedTimeBegin=before) == [name]
    assert listed_names(api_server, flow, StartedTimeBegin=after) == []
    assert listed_names(api_server, flow, StartedTimeEnd=before) == []


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "0999-06-01T00:00:00Z"],
)
def test_far_past_times_list_everything_since(api_server: ApiServer, moment: str) -> None:
    flow, name = flow_with_one_execution(api_server)
    wait_for(lambda: listed_names(api_server, flow, StartedTimeBegin=moment), bool)
    assert listed_names(api_server, flow, StartedTimeBegin=moment) == [name]
    assert listed_names(api_server, flow, StartedTimeEnd=moment) == []


def test_far_future_times_are_answered(api_server: ApiServer) -> None:
    flow, _ = flow_with_one_execution(api_server)
    moment = "9999-12-31T23:59:59-05:00"
    assert listed_names(api_server, flow, StartedTimeBegin=moment) == []


@pytest.mark.parametrize(
    "text",
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        json.dumps({"a": "\ud800"}),
        json.dumps({"\udfff": 1}),
        '{"a":' * 600 + "1" + "}" * 600,
    ],
    ids=["nan", "infinity", "-infinity", "lone-surrogate-value", "lone-surrogate-key", "deep"],
)
def test_inputs_that_are_not_json_are_refused(api_server: ApiServer, text: str) -> None:
    flow = f"hostile_{uuid.uuid4().hex[:8]}"
    call(api_server, "CreateFlow", Name=flow, Definition=PASS, Type="FDL", Description="")
    started = call(api_server, "StartExecution", FlowName=flow, ExecutionName="x", Input=text)
    assert started.status_code == 400, started.text
    assert started.json()["Code"] == "InvalidArgument"
    missing = call(api_server, "DescribeExecution", FlowName=flow, ExecutionName="x")
    assert missing.status_code == 404, missing.text


def test_a_definition_with_an_integer_python_will_not_build_is_invalid(
    api_server: ApiServer,
) -> None:
    """PyYAML raises plain ValueError past Python's int-string conversion limit (4,300 digits);
    CreateFlow answered InternalServerError."""
    definition = PASS + "    outputMappings:\n      - {target: a, source: " + "9" * 5000 + "}\n"
    flow = f"hostile_{uuid.uuid4().hex[:8]}"
    answer = call(
        api_server, "CreateFlow", Name=flow, Definition=definition, Type="FDL", Description=""
    )
    assert answer.status_code == 400, answer.text
    assert "cannot be read: Exceeds the limit" in answer.json()["Message"]
