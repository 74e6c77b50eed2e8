"""The auth policy on a real `fnf api` (FNF_ACCESS_KEYS set, FNF_ALLOW_UNSIGNED unset): the
unsigned DeleteFlow that used to succeed, curl signing with the documented openssl recipe,
`fnf call`, and the MNS routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import DescribeFlowRequest

from api.protocol.header_signature import signed_headers
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer
from tests.api.test_sdk_end_to_end import PASS_FLOW

CURL_RECIPE = r"""
TS=$(date -u +%Y-%m-%dT%H:%M:%SZ); NONCE=$(openssl rand -hex 16)
SIG=$(printf 'FNF-HMAC-SHA256\nPOST\n%s\n%s\n%s\n%s' "$P" "$TS" "$NONCE" "$BODY" \
  | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
curl -s -H "Authorization: FNF-HMAC-SHA256 $AK:$SIG" -H "x-fnf-timestamp: $TS" \
  -H "x-fnf-nonce: $NONCE" --json "$BODY" "$API$P"
"""


def signed_json(api_server: ApiServer, action: str, params: dict[str, Any]) -> httpx.Response:
    body = json.dumps(params).encode()
    path = f"/actions/{action}"
    headers = signed_headers(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "POST", path, body)
    return httpx.post(
        f"http://{api_server.endpoint}{path}",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )


def curl(api_server: ApiServer, action: str, body: str, *, sign: bool) -> dict[str, Any]:
    """curl as a README reader runs it: bare, or signed with the one-line openssl recipe."""
    env = {
        **os.environ,
        "AK": ACCESS_KEY_ID,
        "SECRET": ACCESS_KEY_SECRET,
        "API": f"http://{api_server.endpoint}",
        "P": f"/actions/{action}",
        "BODY": body,
    }
    script = CURL_RECIPE if sign else 'curl -s --json "$BODY" "$API$P"'
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def describe_flow(api_server: ApiServer, name: str) -> str:
    """DescribeFlow through the legacy SDK: its Name, or the error code."""
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "fnf", api_server.endpoint)
    request = DescribeFlowRequest.DescribeFlowRequest()
    request.set_Name(name)
    try:
        return str(json.loads(client.do_action_with_exception(request))["Name"])
    except ServerException as error:
        return str(error.get_error_code())


def test_an_unsigned_curl_cannot_delete_a_flow(api_server: ApiServer) -> None:
    flow = f"auth_{uuid.uuid4().hex[:8]}"
    created = signed_json(
        api_server, "CreateFlow", {"Name": flow, "Definition": PASS_FLOW, "Type": "FDL"}
    )
    assert created.status_code == 200, created.text
    body = json.dumps({"Name": flow})

    refused = curl(api_server, "DeleteFlow", body, sign=False)
    assert refused["Code"] == "MissingRequiredHeader"
    assert describe_flow(api_server, flow) == flow

    deleted = curl(api_server, "DeleteFlow", body, sign=True)
    assert "Code" not in deleted, deleted
    assert describe_flow(api_server, flow) == "FlowNotExists"


def fnf_call(*args: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FNF_ACCESS_KEYS")}
    if keys is not None:
        env["FNF_ACCESS_KEYS"] = keys
    return subprocess.run(
        [sys.executable, "-m", "cli", "call", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_fnf_call_signs_for_the_user(api_server: ApiServer) -> None:
    flow = f"auth_{uuid.uuid4().hex[:8]}"
    endpoint = f"--endpoint=http://{api_server.endpoint}"
    keys = f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}"
    params = json.dumps({"Name": flow, "Definition": PASS_FLOW, "Type": "FDL"})
    created = fnf_call("CreateFlow", params, endpoint, keys=keys)
    assert created.returncode == 0, created.stdout + created.stderr
    assert json.loads(created.stdout)["Name"] == flow

    described = fnf_call("DescribeFlow", json.dumps({"Name": flow}), endpoint, keys=keys)
    assert (described.returncode, json.loads(described.stdout)["Name"]) == (0, flow)

    unsigned = fnf_call("DescribeFlow", json.dumps({"Name": flow}), endpoint, keys=None)
    assert unsigned.returncode == 1
    assert json.loads(unsigned.stdout)["Code"] == "MissingRequiredHeader"

    wrong = fnf_call("DescribeFlow", json.dumps({"Name": flow}), endpoint, keys="testAK:guess")
    assert (wrong.returncode, json.loads(wrong.stdout)["Code"]) == (1, "SignatureNotMatch")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/queues/auth-q/messages"),
        ("GET", "/queues/auth-q/messages"),
        ("DELETE", "/queues/auth-q/messages?ReceiptHandle=x"),
        ("POST", "/topics/auth-t/messages"),
        ("GET", "/queues"),
    ],
)
def test_mns_routes_refuse_unsigned_calls(api_server: ApiServer, method: str, path: str) -> None:
    answer = httpx.request(
        method,
        f"http://{api_server.endpoint}{path}",
        content=b"<Message><MessageBody>hi</MessageBody></Message>",
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert "<Code>InvalidAuthorizationHeader</Code>" in answer.text


@pytest.mark.parametrize("path", ["/actions/DeleteFlow", "/", "/queues/auth-q/messages"])
@pytest.mark.parametrize(
    "authorization",
    [
        b"FNF-HMAC-SHA256 " + b"k" * 60_000 + b":" + b"a" * 64,
        "FNF-HMAC-SHA256 schl\u00fcssel:\u00e4\u00f6".encode(),
        b"FNF-HMAC-SHA256 \xff\xfe:" + b"0" * 64,
        b"FNF-HMAC-SHA256",
        b"MNS :",
    ],
)
def test_hostile_auth_headers_over_http_never_answer_5xx(
    api_server: ApiServer, path: str, authorization: bytes
) -> None:
    answer = httpx.post(
        f"http://{api_server.endpoint}{path}",
        content=b"{}",
        headers=[
            (b"authorization", authorization),
            (b"x-fnf-timestamp", "2026-13-01T00:00:00Z\u2603".encode()),
            (b"x-fnf-nonce", b"\xc3\xa9" * 100),
            (b"date", b"\xff"),
        ],
        timeout=30,
    )
    assert 400 <= answer.status_code < 500, answer.text
