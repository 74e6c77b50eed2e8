"""The JSON form (`/actions/<Action>`) refuses a parameter given twice with different values,
as the RPC form refuses `Name=a&Name=b`: twice in the body's object, or once in the query
string and once in the body. Before, the last one silently won, so a caller could not tell
which flow a DeleteFlow or StopExecution had acted on. The same value twice is accepted, and
an object nested inside a parameter keeps JSON's usual reading."""

from __future__ import annotations

import json
import uuid

import httpx

from api.protocol.header_signature import signed_headers
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer

PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def post(api_server: ApiServer, action: str, body: str, query: str = "") -> httpx.Response:
    path = f"/actions/{action}{query}"
    headers = signed_headers(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "POST", path, body.encode())
    return httpx.post(
        f"http://{api_server.endpoint}{path}",
        content=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )


def test_a_parameter_twice_with_different_values_is_refused(api_server: ApiServer) -> None:
    flow, other = f"dup_{uuid.uuid4().hex[:8]}", f"dup_{uuid.uuid4().hex[:8]}"
    for name in (flow, other):
        created = post(api_server, "CreateFlow", json.dumps({"Name": name, "Definition": PASS}))
        assert created.status_code == 200, created.text

    for body, query in (
        (f'{{"Name": "{flow}", "Name": "{other}"}}', ""),
        (f'{{"Name": "{other}"}}', f"?Name={flow}"),
        (f'{{"Name": "{flow}", "Limit": 1, "Limit": 2}}', ""),
    ):
        answer = post(api_server, "DescribeFlow", body, query)
        assert answer.status_code == 400, answer.text
        assert answer.json()["Code"] == "InvalidArgument"
        assert "given more than once" in answer.json()["Message"]
    answer = post(api_server, "DeleteFlow", f'{{"Name": "{flow}", "Name": "{other}"}}')
    assert answer.status_code == 400, answer.text
    for name in (flow, other):  # neither was deleted
        assert post(api_server, "DescribeFlow", json.dumps({"Name": name})).status_code == 200

    same = post(api_server, "DescribeFlow", f'{{"Name": "{flow}", "Name": "{flow}"}}', "")
    assert (same.status_code, same.json()["Name"]) == (200, flow)
    same = post(api_server, "DescribeFlow", json.dumps({"Name": flow}), f"?Name={flow}")
    assert (same.status_code, same.json()["Name"]) == (200, flow)
    nested = post(
        api_server,
        "StartExecution",
        json.dumps({"FlowName": flow, "Input": '{"a": 1, "a": 2}'}),
    )
    assert nested.status_code == 200, nested.text
