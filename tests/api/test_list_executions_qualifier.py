"""ListExecutions' Qualifier and MapRunName are applied or refused, never ignored.

Qualifier (a version or alias of the flow) lists the executions started with it, and for a
version also those an alias routed to it; one naming no version or alias is refused as
StartExecution refuses it. MapRunName names a map run, which fnf-temporal never starts: it is
refused with InvalidArgument rather than listing every execution. Before, both were accepted
and every execution was listed. Through a real `fnf api` subprocess (tests/api/conftest.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.api.conftest import ApiServer
from tests.api.test_auth_live import signed_json

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: {name}\n"


def call(api: ApiServer, action: str, **params: Any) -> dict[str, Any]:
    answer = signed_json(api, action, params)
    assert answer.status_code == 200, (action, answer.text)
    body: dict[str, Any] = answer.json()
    return body


def refused(api: ApiServer, action: str, **params: Any) -> tuple[int, str, str]:
    answer = signed_json(api, action, params)
    body = answer.json()
    return answer.status_code, body.get("Code", ""), body.get("Message", "")


def names(api: ApiServer, flow: str, **filters: Any) -> set[str]:
    """Every execution ListExecutions lists with `filters`, page by page (Limit 1)."""
    found: list[str] = []
    token = None
    for _ in range(50):
        extra = {"NextToken": token} if token else {}
        page = call(api, "ListExecutions", FlowName=flow, Limit=1, **filters, **extra)
        found += [item["Name"] for item in page["Executions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(found) == len(set(found)), found
    return set(found)


def test_qualifier_filters_and_map_run_name_is_refused(api_server: ApiServer) -> None:
    api = api_server
    flow = f"q_{uuid.uuid4().hex[:6]}"
    call(api, "CreateFlow", Name=flow, Type="FDL", Description="", Definition=PASS.format(name="a"))
    assert call(api, "PublishFlowVersion", FlowName=flow, Description="a")["Version"] == "1"
    call(api, "UpdateFlow", Name=flow, Definition=PASS.format(name="b"))
    assert call(api, "PublishFlowVersion", FlowName=flow, Description="b")["Version"] == "2"
    for alias, version in (("live", "1"), ("canary", "2")):
        routes = [{"Version": version, "Weight": 100}]
        call(api, "CreateFlowAlias", FlowName=flow, Name=alias, RoutingConfigurations=routes)
    started = {"plain": None, "v1": "1", "v2": "2", "via_live": "live", "via_canary": "canary"}
    for name, qualifier in started.items():
        extra = {"Qualifier": qualifier} if qualifier else {}
        call(api, "StartExecution", FlowName=flow, ExecutionName=name, **extra)

    deadline = time.monotonic() + 30
    while names(api, flow) != set(started):  # visibility is eventually consistent
        assert time.monotonic() < deadline, names(api, flow)
        time.sleep(0.3)

    assert names(api, flow, Qualifier="1") == {"v1", "via_live"}
    assert names(api, flow, Qualifier="2") == {"v2", "via_canary"}
    assert names(api, flow, Qualifier="live") == {"via_live"}
    assert names(api, flow, Qualifier="canary") == {"via_canary"}
    assert names(api, flow, Qualifier="1", MetadataOnly=True) == {"v1", "via_live"}
    assert names(api, flow, Qualifier="2", ExecutionNamePrefix="via") == {"via_canary"}
    assert names(api, flow, MapRunName="") == set(started)  # empty: not given

    for qualifier in ("3", "nope", "bad name!"):
        status, code, message = refused(api, "ListExecutions", FlowName=flow, Qualifier=qualifier)
        assert (status, code) == (400, "InvalidArgument"), (qualifier, message)
        assert qualifier in message
    status, code, message = refused(api, "ListExecutions", FlowName=flow, MapRunName="c39142f1")
    assert (status, code) == (400, "InvalidArgument") and "MapRunName" in message, message
    call(api, "DeleteFlow", Name=flow)
