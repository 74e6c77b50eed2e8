"""Hostile values through the real `fnf api` (JSON actions), with the answers expected."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.api.conftest import ApiServer
from tests.api.test_every_action_both_sdks import wait_for

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def _call(server: ApiServer, action: str, **params: Any) -> httpx.Response:
    return httpx.post(f"http://{server.endpoint}/actions/{action}", json=params, timeout=30)


def _flow_with_one_execution(api_server: ApiServer, flow_input: str = "{}") -> tuple[str, str]:
    flow = f"brk_{uuid.uuid4().hex[:8]}"
    created = _call(
        api_server, "CreateFlow", Name=flow, Definition=PASS, Type="FDL", Description=""
    )
    assert created.status_code == 200, created.text
    started = _call(
        api_server, "StartExecution", FlowName=flow, ExecutionName="e1", Input=flow_input
    )
    assert started.status_code == 200, started.text
    return flow, "e1"


def test_started_time_offset_is_honoured(api_server: ApiServer) -> None:
    """StartedTimeBegin one hour before now, written with a +08:00 offset, must list the execution
    just started (the offset was dropped: the time was read as UTC, eight hours later)."""
    flow, name = _flow_with_one_execution(api_server)
    started = _call(api_server, "DescribeExecution", FlowName=flow, ExecutionName=name).json()
    moment = datetime.fromisoformat(started["StartedTime"].replace("Z", "+00:00"))
    utc_begin = moment - timedelta(hours=1)
    wait_for(
        lambda: _call(
            api_server, "ListExecutions", FlowName=flow, StartedTimeBegin=utc_begin.isoformat()
        ).json(),
        lambda body: bool(body.get("Executions")),
    )
    begin = utc_begin.astimezone(timezone(timedelta(hours=8)))
    listed = _call(api_server, "ListExecutions", FlowName=flow, StartedTimeBegin=begin.isoformat())
    assert listed.status_code == 200, listed.text
    assert [e["Name"] for e in listed.json()["Executions"]] == [name]


def test_ancient_started_time_is_not_a_server_error(api_server: ApiServer) -> None:
    """A year before 1000 is valid RFC 3339: the answer is a list or a 4xx, never a 500."""
    flow, _ = _flow_with_one_execution(api_server)
    listed = _call(
        api_server, "ListExecutions", FlowName=flow, StartedTimeBegin="0001-01-01T00:00:00Z"
    )
    assert listed.status_code < 500, listed.text


def test_lone_surrogate_input_does_not_break_history(api_server: ApiServer) -> None:
    """JSON `"\\ud800"` parses to a lone surrogate; StartExecution accepts it, then
    GetExecutionHistory (and DescribeExecution) answer a bare 500 for ever. Refuse it at the door
    (InvalidArgument) or answer the history."""
    flow = f"brk_{uuid.uuid4().hex[:8]}"
    _call(api_server, "CreateFlow", Name=flow, Definition=PASS, Type="FDL", Description="")
    started = _call(
        api_server,
        "StartExecution",
        FlowName=flow,
        ExecutionName="s1",
        Input=json.dumps({"a": "\ud800"}),
    )
    if started.status_code == 400:
        return
    history = _call(api_server, "GetExecutionHistory", FlowName=flow, ExecutionName="s1")
    assert history.status_code == 200, history.text
