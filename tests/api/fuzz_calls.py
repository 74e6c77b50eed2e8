"""Hypothesis strategies for FnF API calls: every action, random and boundary parameters,
sent in the RPC form (`/?Action=`, query or form body) or the JSON form (`/actions/<Action>`).

Values mix what a careful client sends (names of the flow under test, numbers at both ends of
each documented range) with what a careless or hostile one sends: the wrong JSON type, lone
surrogates, deep nesting, huge and junk texts. Shared by the in-process fuzz test, the
subprocess smoke test and the bench.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from api.requests import REQUEST_MODELS

API_VERSION = "2019-03-15"
LONE_SURROGATES = ["\ud800", "a\udfffb", "\udc00x"]


@dataclass(frozen=True)
class Call:
    action: str
    params: dict[str, Any]
    form: str  # "json", "rpc-get" or "rpc-post"

    def request(self) -> tuple[str, str, dict[str, str], bytes]:
        """(method, path with query, headers, body) as raw bytes, surrogates and all."""
        if self.form == "json":
            body = json.dumps(self.params).encode()  # ensure_ascii: surrogates as \\ud800
            return "POST", f"/actions/{self.action}", {"content-type": "application/json"}, body
        pairs = {"Action": self.action, "Version": API_VERSION}
        pairs.update({k: _as_rpc_text(v) for k, v in self.params.items()})
        encoded = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs.items())
        if self.form == "rpc-get":
            return "GET", f"/?{encoded}", {}, b""
        form = {"content-type": "application/x-www-form-urlencoded"}
        return "POST", "/", form, encoded.encode()


def _quote(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _as_rpc_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)  # what the SDKs send: True / False
    return json.dumps(value)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def values_for(field: str, flow: str, execution: str) -> st.SearchStrategy[Any]:
    """Anything, but mostly near what the field means."""
    meaningful: dict[str, st.SearchStrategy[Any]] = {
        "FlowName": st.sampled_from([flow, flow, "no_such_flow"]),
        "Name": st.sampled_from([flow, "alias_a", "no_such_flow"]),
        "ExecutionName": st.sampled_from([execution, "no-such-exec", "7-x"]),
        "Limit": st.sampled_from([0, 1, 60, 99, 100, 101, 999, 1000, 1001, -1, 2**70, "1e3"]),
        "WaitTimeSeconds": st.sampled_from([0, 1, 60, 61, -1]),
        "Status": st.sampled_from(["Starting", "Running", "Succeeded", "Stopped", "running"]),
        "Input": st.sampled_from(['{"a": 1}', "[1]", "null", "{", deep(500), deep(63)]),
        "Output": st.sampled_from(['{"a": 1}', "1", "nope", deep(500)]),
        "Payload": st.sampled_from(['{"a": 1}', "[]", "x"]),
        "Enable": st.sampled_from(["true", "False", "yes", True, 1]),
        "MetadataOnly": st.sampled_from(["true", "TRUE", "0"]),
        "CronExpression": st.sampled_from(["@every 1m", "0 * * * * *", "bad cron", "@every 1s"]),
        "StartedTimeBegin": st.sampled_from(["2020-10-27T22:17:52Z", "yesterday", "2020-13-45"]),
        "RoutingConfigurations": st.sampled_from(
            ['[{"Version": "1", "Weight": 100}]', '[{"Version": 1, "Weight": "x"}]', "{}", "[1]"]
        ),
        "NextToken": st.sampled_from(["", "junk", "5", "-1", "AAAA", "1:nope"]),
    }
    anything = (
        json_values()
        | st.text(max_size=30)
        | st.sampled_from(LONE_SURROGATES)
        | st.just("x" * 5000)
    )
    return st.one_of(meaningful.get(field, anything), anything)


@dataclass(frozen=True)
class Existing:
    """What the fuzzed calls refer to: a flow with a finished execution, a disabled schedule,
    published version 1 and an alias to it."""

    flow: str
    execution: str
    schedule: str = "s1"
    alias: str = "a1"


PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: Done\n"


def baseline(action: str, there: Existing, unique: str) -> dict[str, Any]:
    """A call of `action` that should succeed (or fail only for its state)."""
    on_flow = {"FlowName": there.flow}
    on_execution = {**on_flow, "ExecutionName": there.execution}
    on_schedule = {**on_flow, "ScheduleName": there.schedule}
    on_alias = {**on_flow, "Name": there.alias}
    routes = '[{"Version": "1", "Weight": 100}]'
    calls: dict[str, dict[str, Any]] = {
        "CreateFlow": {"Name": f"fz_{unique}", "Definition": PASS_FLOW, "Description": "d"},
        "UpdateFlow": {"Name": there.flow, "Description": "d", "Definition": PASS_FLOW},
        "DeleteFlow": {"Name": f"gone_{unique}"},
        "DescribeFlow": {"Name": there.flow, "FlowVersion": "1"},
        "ListFlows": {"Limit": 5},
        "PublishFlowVersion": {**on_flow, "Description": "v"},
        "ListFlowVersions": {**on_flow, "Limit": 2},
        "CreateFlowAlias": {**on_flow, "Name": f"al_{unique}", "RoutingConfigurations": routes},
        "UpdateFlowAlias": {**on_alias, "RoutingConfigurations": routes, "Description": "x"},
        "DescribeFlowAlias": on_alias,
        "ListFlowAliases": {**on_flow, "Limit": 3},
        "DeleteFlowAlias": {**on_flow, "Name": f"al_{unique}"},
        "StartExecution": {**on_flow, "ExecutionName": f"ex_{unique}", "Input": '{"a": 1}'},
        "StartSyncExecution": {**on_flow, "Input": '{"a": 1}'},
        "StopExecution": {**on_execution, "Error": "E", "Cause": "c"},
        "DescribeExecution": on_execution,
        "ListExecutions": {**on_flow, "Limit": 10, "Status": "Succeeded"},
        "GetExecutionHistory": {**on_execution, "Limit": 10},
        "ReportTaskSucceeded": {"TaskToken": "v1#nope", "Output": "{}"},
        "ReportTaskFailed": {"TaskToken": "v1#nope", "Error": "E", "Cause": "c"},
        "CreateSchedule": {
            **on_flow,
            "ScheduleName": f"sc_{unique}",
            "CronExpression": "0 0 1 1 *",
            "Enable": False,
        },
        "UpdateSchedule": {**on_schedule, "Description": "d", "Enable": "false"},
        "DeleteSchedule": {**on_flow, "ScheduleName": f"sc_{unique}"},
        "DescribeSchedule": on_schedule,
        "ListSchedules": {**on_flow, "Limit": 10},
        "DescribeRegions": {},
        "DescribeMapRun": {**on_execution, "MapRunName": "m"},
        "UpdateMapRun": {**on_execution, "MapRunName": "m"},
    }
    return dict(calls.get(action, {}))


@st.composite
def calls(draw: st.DrawFn, there: Existing, actions: list[str]) -> Call:
    """A valid call of a random action with up to three parameters mutated, dropped or added."""
    action = draw(st.sampled_from(actions))
    unique = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=6))
    params = baseline(action, there, unique)
    fields = sorted(set(REQUEST_MODELS[action].model_fields) | set(params))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["replace", "replace", "drop", "extra"]))
        if how == "extra":
            params[draw(st.text(min_size=1, max_size=8))] = draw(json_values(3))
        elif fields:
            name = draw(st.sampled_from(fields))
            if how == "drop":
                params.pop(name, None)
            else:
                params[name] = draw(values_for(name, there.flow, there.execution))
    if action == "DeleteFlow" and params.get("Name") == there.flow:
        params["Name"] = f"gone_{unique}"  # keep the flow the other calls use
    form = draw(st.sampled_from(["json", "rpc-get", "rpc-post"]))
    return Call(action, params, form)


def fnf_error_shape(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"RequestId", "HostId", "Code", "Message"}
        and all(isinstance(body[key], str) and body[key] for key in ("RequestId", "Code"))
    )
