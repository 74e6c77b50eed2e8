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


@st.composite
def calls(draw: st.DrawFn, flow: str, execution: str, actions: list[str]) -> Call:
    action = draw(st.sampled_from(actions))
    fields = list(REQUEST_MODELS[action].model_fields)
    chosen = draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
    params = {name: draw(values_for(name, flow, execution)) for name in chosen}
    if draw(st.booleans()):  # usually a complete call, so handlers get to run
        for name, info in REQUEST_MODELS[action].model_fields.items():
            if info.is_required() and name not in params:
                params[name] = draw(values_for(name, flow, execution))
    if draw(st.integers(0, 9)) == 0:
        params[draw(st.text(min_size=1, max_size=8))] = draw(json_values(3))
    form = draw(st.sampled_from(["json", "rpc-get", "rpc-post"]))
    return Call(action, params, form)


def fnf_error_shape(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"RequestId", "HostId", "Code", "Message"}
        and all(isinstance(body[key], str) and body[key] for key in ("RequestId", "Code"))
    )
