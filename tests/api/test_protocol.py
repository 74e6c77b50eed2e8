"""The FnF RPC wire format, proven against both official Python SDKs.

A tiny FastAPI app built only from `api.protocol` reads each request, verifies its signature
and echoes what it parsed (or answers an FnFError). It runs under a real uvicorn server on an
ephemeral port, and the legacy `AcsClient` (aliyun-python-sdk-core + aliyun-python-sdk-fnf)
and the tea `Client` (alibabacloud-fnf20190315) call it exactly as they would call Alibaba.
The server uses the h11 parser, which hands absolute-form targets to the app unchanged, so
the HTTP_PROXY tests really exercise the absolute-form middleware.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from alibabacloud_fnf20190315 import models as tea_models
from alibabacloud_fnf20190315.client import Client as TeaClient
from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException
from alibabacloud_tea_openapi.models import Config as TeaConfig
from aliyunsdkcore.acs_exception.exceptions import ServerException as LegacyServerException
from aliyunsdkcore.auth.composer.rpc_signature_composer import get_signed_url
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315.CreateScheduleRequest import CreateScheduleRequest
from aliyunsdkfnf.request.v20190315.DescribeExecutionRequest import DescribeExecutionRequest
from aliyunsdkfnf.request.v20190315.ReportTaskSucceededRequest import ReportTaskSucceededRequest
from aliyunsdkfnf.request.v20190315.StartExecutionRequest import StartExecutionRequest
from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from Tea.exceptions import TeaException

from api.protocol import (
    DEFAULT_MAX_REQUEST_BYTES,
    AbsoluteFormMiddleware,
    AccessKeys,
    FnFError,
    NonceCache,
    RpcCall,
    error_body,
    error_response,
    host_id,
    json_object_param,
    new_request_id,
    ok,
    optional_bool,
    optional_int,
    optional_name,
    optional_str,
    read_rpc_params,
    required_name,
    required_str,
    status_for,
    validate_name,
    verify,
)
from api.protocol.absolute_form import to_origin_form
from api.protocol.errors import action_not_supported, task_already_completed
from api.protocol.signature import (
    SignatureChecker,
    allow_unsigned_from_env,
    parse_timestamp,
    sign,
    string_to_sign,
)
from translator import names

AK, SECRET = "testAK", "testSecret"
REGION = "cn-hangzhou"
REQUEST_ID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
TRICKY = json.dumps(
    {
        "greeting": "héllo wörld 你好 🚀",
        "tricky": "* ~ + / = & %20 a+b %2B ?#;",
        "spaces": "  two  spaces ",
    },
    ensure_ascii=False,
)

# ---------------------------------------------------------------------------------------------
# The echo facade


@dataclass
class Seen:
    method: str
    query: bytes
    call: RpcCall


@dataclass
class Facade:
    """The echo server's settings, changed by tests and reset before each one."""

    keys: AccessKeys = field(default_factory=lambda: AccessKeys({AK: SECRET}))
    allow_unsigned: bool = False
    clock_offset: timedelta = timedelta(0)
    max_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    nonces: NonceCache = field(default_factory=NonceCache)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def last(self) -> Seen:
        assert self.seen, "the facade received no valid request"
        return self.seen[-1]


def answer(call: RpcCall) -> dict[str, Any]:
    """Each action's echo, read through the typed readers so they meet real SDK values."""
    params = call.params
    if call.action == "DescribeExecution":
        return {
            "Name": required_name(params, "ExecutionName", names.EXECUTION),
            "FlowName": required_name(params, "FlowName", names.FLOW),
            "Status": "Running",
            "WaitTimeSeconds": optional_int(params, "WaitTimeSeconds", 0, 60),
        }
    if call.action == "StartExecution":
        json_object_param(params, "Input")
        return {
            "Name": required_name(params, "ExecutionName", names.EXECUTION),
            "FlowName": required_name(params, "FlowName", names.FLOW),
            "Input": optional_str(params, "Input"),
            "Status": "Running",
        }
    if call.action == "ReportTaskSucceeded":
        token = required_str(params, "TaskToken")
        if token == "tok-done":
            raise task_already_completed(token)
        return {"EventId": 7}
    if call.action == "CreateSchedule":
        return {
            "ScheduleName": required_name(params, "ScheduleName", names.SCHEDULE),
            "CronExpression": required_str(params, "CronExpression"),
            "Enable": optional_bool(params, "Enable"),
            "Payload": optional_str(params, "Payload"),
        }
    raise action_not_supported(call.action)


def build_app(facade: Facade) -> ASGIApp:
    app = FastAPI()

    @app.api_route("/", methods=["GET", "POST"])
    async def rpc(request: Request) -> Response:
        request_id = new_request_id()
        try:
            call = await read_rpc_params(request, max_bytes=facade.max_bytes)
            verify(
                call,
                request.method,
                facade.keys,
                datetime.now(UTC) + facade.clock_offset,
                nonces=facade.nonces,
                allow_unsigned=facade.allow_unsigned,
            )
            facade.seen.append(Seen(request.method, request.scope["query_string"], call))
            return ok(answer(call), request_id)
        except FnFError as error:
            return error_response(error, request_id, host_id(request))

    return AbsoluteFormMiddleware(app)


@pytest.fixture(scope="module")
def facade() -> Iterator[Facade]:
    state = Facade()
    config = uvicorn.Config(
        build_app(state), host="127.0.0.1", port=0, http="h11", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="protocol-facade", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test facade did not start")
        time.sleep(0.01)
    state.port = server.servers[0].sockets[0].getsockname()[1]
    yield state
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def fresh(facade: Facade, monkeypatch: pytest.MonkeyPatch) -> None:
    facade.allow_unsigned = False
    facade.clock_offset = timedelta(0)
    facade.max_bytes = DEFAULT_MAX_REQUEST_BYTES
    facade.seen.clear()
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------------------------------------
# Both SDKs behind one interface: each call returns the response body as a dict with the wire
# (PascalCase) keys; errors are the SDK's own exceptions.


class Sdk(Protocol):
    name: str

    def describe_execution(self, flow: str, execution: str, wait: int) -> dict[str, Any]: ...
    def start_execution(self, flow: str, execution: str, input_: str) -> dict[str, Any]: ...
    def report_task_succeeded(self, token: str, output: str) -> dict[str, Any]: ...
    def create_schedule(
        self, flow: str, schedule: str, cron: str, enable: bool, payload: str
    ) -> dict[str, Any]: ...


class LegacySdk:
    name = "legacy"

    def __init__(self, port: int | None, ak: str = AK, secret: str = SECRET) -> None:
        self.client = AcsClient(ak, secret, REGION, timeout=10)
        if port is not None:  # None: the real endpoint, reached through HTTP_PROXY
            self.client.add_endpoint(REGION, "fnf", f"127.0.0.1:{port}")

    def _do(self, request: Any) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.client.do_action_with_exception(request))
        return body

    def describe_execution(self, flow: str, execution: str, wait: int) -> dict[str, Any]:
        request = DescribeExecutionRequest()
        request.set_FlowName(flow)
        request.set_ExecutionName(execution)
        request.set_WaitTimeSeconds(wait)
        return self._do(request)

    def start_execution(self, flow: str, execution: str, input_: str) -> dict[str, Any]:
        request = StartExecutionRequest()
        request.set_FlowName(flow)
        request.set_ExecutionName(execution)
        request.set_Input(input_)
        return self._do(request)

    def report_task_succeeded(self, token: str, output: str) -> dict[str, Any]:
        request = ReportTaskSucceededRequest()
        request.set_TaskToken(token)
        request.set_Output(output)
        return self._do(request)

    def create_schedule(
        self, flow: str, schedule: str, cron: str, enable: bool, payload: str
    ) -> dict[str, Any]:
        request = CreateScheduleRequest()
        request.set_FlowName(flow)
        request.set_ScheduleName(schedule)
        request.set_CronExpression(cron)
        request.set_Enable(enable)
        request.set_Payload(payload)
        return self._do(request)


class TeaSdk:
    name = "tea"

    def __init__(self, port: int, ak: str = AK, secret: str = SECRET) -> None:
        self.client = TeaClient(
            TeaConfig(
                access_key_id=ak,
                access_key_secret=secret,
                region_id=REGION,
                endpoint=f"127.0.0.1:{port}",
                protocol="http",
            )
        )

    def describe_execution(self, flow: str, execution: str, wait: int) -> dict[str, Any]:
        request = tea_models.DescribeExecutionRequest(
            flow_name=flow, execution_name=execution, wait_time_seconds=wait
        )
        return dict(self.client.describe_execution(request).body.to_map())

    def start_execution(self, flow: str, execution: str, input_: str) -> dict[str, Any]:
        request = tea_models.StartExecutionRequest(
            flow_name=flow, execution_name=execution, input=input_
        )
        return dict(self.client.start_execution(request).body.to_map())

    def report_task_succeeded(self, token: str, output: str) -> dict[str, Any]:
        request = tea_models.ReportTaskSucceededRequest(task_token=token, output=output)
        return dict(self.client.report_task_succeeded(request).body.to_map())

    def create_schedule(
        self, flow: str, schedule: str, cron: str, enable: bool, payload: str
    ) -> dict[str, Any]:
        request = tea_models.CreateScheduleRequest(
            flow_name=flow,
            schedule_name=schedule,
            cron_expression=cron,
            enable=enable,
            payload=payload,
        )
        return dict(self.client.create_schedule(request).body.to_map())


SdkFactory = Callable[..., Sdk]
SDKS: dict[str, Callable[..., Sdk]] = {"legacy": LegacySdk, "tea": TeaSdk}


@pytest.fixture(params=sorted(SDKS))
def make_sdk(request: pytest.FixtureRequest, facade: Facade) -> SdkFactory:
    """Builds a client of one SDK kind pointed at the facade (default: valid credentials)."""
    kind = SDKS[request.param]

    def make(ak: str = AK, secret: str = SECRET) -> Sdk:
        return kind(facade.port, ak, secret)

    return make


@pytest.fixture
def sdk(make_sdk: SdkFactory) -> Sdk:
    return make_sdk()


def error_of(error: BaseException) -> tuple[str, int]:
    """(Code, HTTP status) exactly as a program using that SDK would read them."""
    if isinstance(error, LegacyServerException):
        return error.get_error_code(), error.get_http_status()
    assert isinstance(error, TeaException), repr(error)
    return error.code, error.status_code


def call_error(action: Callable[[], object]) -> tuple[str, int, BaseException]:
    with pytest.raises((LegacyServerException, TeaException)) as raised:
        action()
    return (*error_of(raised.value), raised.value)


# ---------------------------------------------------------------------------------------------
# Both SDKs: signatures verify and parameters decode exactly


def test_describe_execution_is_a_signed_get_with_query_params(sdk: Sdk, facade: Facade) -> None:
    body = sdk.describe_execution("my_flow", "exec-1", 5)

    seen = facade.last
    assert seen.method == "GET"
    assert seen.call.action == "DescribeExecution"
    assert seen.call.version == "2019-03-15"
    assert seen.call.access_key_id == AK
    assert seen.call.params == {
        "FlowName": "my_flow",
        "ExecutionName": "exec-1",
        "WaitTimeSeconds": "5",
    }
    assert body["Name"] == "exec-1"
    assert REQUEST_ID.fullmatch(body["RequestId"])
    if sdk.name == "legacy":  # signs a blank SignatureType= and sends RegionId
        assert seen.call.signed["SignatureType"] == ""
        assert seen.call.region_id == REGION
    else:
        assert seen.call.region_id is None


def test_start_execution_form_body_decodes_exactly(sdk: Sdk, facade: Facade) -> None:
    body = sdk.start_execution("my_flow", "exec-2", TRICKY)

    seen = facade.last
    assert seen.method == "POST"
    assert b"Input" not in seen.query and b"ExecutionName" not in seen.query
    assert seen.call.params == {"FlowName": "my_flow", "ExecutionName": "exec-2", "Input": TRICKY}
    assert body["Input"] == TRICKY


def test_report_task_succeeded_token_in_query_output_in_form(sdk: Sdk, facade: Facade) -> None:
    token = "tok-123+/= ü*~"
    output = json.dumps({"result": "ok & done", "n": 1})
    body = sdk.report_task_succeeded(token, output)

    seen = facade.last
    assert b"TaskToken=" in seen.query and b"Output" not in seen.query
    assert seen.call.params == {"TaskToken": token, "Output": output}
    assert body["EventId"] == 7


def test_create_schedule_sends_enable_as_capitalised_true(sdk: Sdk, facade: Facade) -> None:
    payload = json.dumps({"k": "v w"})
    body = sdk.create_schedule("my_flow", "nightly", "0 */5 * * * *", True, payload)

    params = facade.last.call.params
    assert params["Enable"] == "True"
    assert params["CronExpression"] == "0 */5 * * * *"
    assert params["Payload"] == payload
    assert body["Enable"] is True


# ---------------------------------------------------------------------------------------------
# Both SDKs: refusals arrive as the SDK's exception with FnF's code and status


def test_wrong_secret_is_signature_not_match_403(make_sdk: SdkFactory, facade: Facade) -> None:
    sdk = make_sdk(secret="wrong-secret")
    code, status, error = call_error(lambda: sdk.describe_execution("my_flow", "exec-1", 0))
    assert (code, status) == ("SignatureNotMatch", 403)
    if sdk.name == "tea":
        assert isinstance(error, TeaClientException)
    assert facade.seen == []


def test_unknown_access_key_is_invalid_access_key_id_403(make_sdk: SdkFactory) -> None:
    sdk = make_sdk(ak="nobody")
    code, status, _ = call_error(lambda: sdk.start_execution("my_flow", "e", "{}"))
    assert (code, status) == ("InvalidAccessKeyID", 403)


@pytest.mark.parametrize("offset", [timedelta(minutes=20), timedelta(minutes=-20)])
def test_skewed_timestamp_is_request_time_too_skewed_403(
    sdk: Sdk, facade: Facade, offset: timedelta
) -> None:
    facade.clock_offset = offset  # the server's clock runs ahead or behind the client's
    code, status, _ = call_error(lambda: sdk.describe_execution("my_flow", "exec-1", 0))
    assert (code, status) == ("RequestTimeTooSkewed", 403)

    facade.clock_offset = timedelta(minutes=10)  # within the 15-minute window
    sdk.describe_execution("my_flow", "exec-1", 0)


def test_fnf_error_reaches_the_sdk_as_its_code(sdk: Sdk) -> None:
    code, status, error = call_error(lambda: sdk.report_task_succeeded("tok-done", "{}"))
    assert (code, status) == ("TaskAlreadyCompleted", 400)
    if isinstance(error, LegacyServerException):
        assert error.get_error_msg() == "Task tok-done has already completed."
        assert REQUEST_ID.fullmatch(error.get_request_id())
    else:
        assert isinstance(error, TeaClientException)
        assert error.data["Code"] == "TaskAlreadyCompleted"
        assert REQUEST_ID.fullmatch(error.request_id)


def test_oversized_body_is_entity_too_large(sdk: Sdk) -> None:
    code, status, _ = call_error(
        lambda: sdk.start_execution("my_flow", "big", json.dumps({"x": "a" * (1 << 20)}))
    )
    assert (code, status) == ("EntityTooLarge", 400)


# ---------------------------------------------------------------------------------------------
# Raw HTTP: unsigned requests, replays, size limits, parsing edge cases


def rpc_query(action: str = "DescribeExecution", **params: str) -> dict[str, str]:
    return {"Action": action, "Version": "2019-03-15", **params}


def assert_fnf_error(response: httpx.Response, code: str, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message"}
    assert body["Code"] == code
    assert REQUEST_ID.fullmatch(body["RequestId"])
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    return body


def test_unsigned_request_is_refused_unless_allowed(facade: Facade) -> None:
    query = rpc_query(FlowName="f", ExecutionName="e")
    body = assert_fnf_error(httpx.get(facade.base, params=query), "MissingRequiredParams", 400)
    assert "'Signature'" in body["Message"]
    assert body["HostId"] == "127.0.0.1"
    assert facade.seen == []

    facade.allow_unsigned = True
    response = httpx.get(facade.base, params=query)
    assert response.status_code == 200
    assert facade.last.call.params == {"FlowName": "f", "ExecutionName": "e"}


def test_replayed_nonce_is_signature_nonce_used(facade: Facade) -> None:
    url, _ = get_signed_url(
        rpc_query(FlowName="f", ExecutionName="e"), AK, SECRET, "JSON", "GET", {}
    )
    assert httpx.get(facade.base + url).status_code == 200
    assert_fnf_error(httpx.get(facade.base + url), "SignatureNonceUsed", 400)


def test_tampered_parameter_is_signature_not_match(facade: Facade) -> None:
    url, _ = get_signed_url(
        rpc_query(FlowName="f", ExecutionName="e"), AK, SECRET, "JSON", "GET", {}
    )
    tampered = url.replace("FlowName=f", "FlowName=g")
    body = assert_fnf_error(httpx.get(facade.base + tampered), "SignatureNotMatch", 403)
    assert "FlowName%3Dg" in body["Message"]  # the server's StringToSign helps debugging


def test_oversized_bodies_are_refused_with_or_without_a_length(facade: Facade) -> None:
    facade.allow_unsigned = True
    query = rpc_query("StartExecution", FlowName="f", ExecutionName="e")
    url = facade.base + "/?" + urlencode(query)
    form = {"content-type": "application/x-www-form-urlencoded"}
    big = b"Input=" + b"a" * DEFAULT_MAX_REQUEST_BYTES

    body = assert_fnf_error(httpx.post(url, content=big, headers=form), "EntityTooLarge", 400)
    assert str(DEFAULT_MAX_REQUEST_BYTES) in body["Message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    assert_fnf_error(httpx.post(url, content=chunked(), headers=form), "EntityTooLarge", 400)

    facade.max_bytes = 2048  # configurable; the query string counts towards it
    assert_fnf_error(
        httpx.post(url, content=b"Input=" + b"a" * 2048, headers=form), "EntityTooLarge", 400
    )
    assert httpx.post(url, content=b"Input=%7B%7D", headers=form).status_code == 200


def test_form_and_query_parsing(facade: Facade) -> None:
    facade.allow_unsigned = True
    form = {"content-type": "application/x-www-form-urlencoded; charset=UTF-8"}
    url = facade.base + "/?" + urlencode(rpc_query("StartExecution", FlowName="f"))

    body = b"ExecutionName=e&Input=a+b%2Bc%20d&Blank=&Bare"
    assert httpx.post(url, content=body, headers=form).status_code == 400  # Input not JSON
    assert facade.seen[-1].call.params == {
        "FlowName": "f",
        "ExecutionName": "e",
        "Input": "a b+c d",
        "Blank": "",
        "Bare": "",
    }

    conflict = httpx.post(url, content=b"FlowName=other", headers=form)
    assert "FlowName" in assert_fnf_error(conflict, "InvalidArgument", 400)["Message"]
    same = httpx.post(url, content=b"FlowName=f&ExecutionName=e", headers=form)
    assert same.status_code == 200

    json_body = httpx.post(url, json={"ExecutionName": "e"})
    assert_fnf_error(json_body, "UnsupportedMediaType", 415)
    bad_utf8 = httpx.post(url, content=b"ExecutionName=%FF", headers=form)
    assert "UTF-8" in assert_fnf_error(bad_utf8, "InvalidArgument", 400)["Message"]

    no_action = httpx.get(facade.base, params={"Version": "2019-03-15"})
    assert "'Action'" in assert_fnf_error(no_action, "MissingRequiredParams", 400)["Message"]
    old = httpx.get(facade.base, params={"Action": "ListFlows", "Version": "2015-06-06"})
    assert_fnf_error(old, "APIVersionNotSupported", 400)
    unknown = httpx.get(facade.base, params=rpc_query("Bogus"))
    assert_fnf_error(unknown, "ActionNotSupported", 400)


# ---------------------------------------------------------------------------------------------
# Absolute-form request targets (legacy SDK through HTTP_PROXY)


def test_legacy_sdk_through_http_proxy_needs_no_code_change(
    facade: Facade, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", facade.base)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    sdk = LegacySdk(port=None)  # the built-in endpoint cn-hangzhou.fnf.aliyuncs.com

    assert sdk.report_task_succeeded("tok-1", "{}")["EventId"] == 7
    assert facade.last.call.params == {"TaskToken": "tok-1", "Output": "{}"}
    code, status, _ = call_error(lambda: sdk.report_task_succeeded("tok-done", "{}"))
    assert (code, status) == ("TaskAlreadyCompleted", 400)


def test_raw_absolute_form_target(facade: Facade) -> None:
    facade.allow_unsigned = True
    host = "cn-hangzhou.fnf.aliyuncs.com"

    def send(query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        connection = http.client.HTTPConnection("127.0.0.1", facade.port, timeout=10)
        try:
            connection.request("GET", f"http://{host}/?{urlencode(query)}", headers={"Host": host})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    status, body = send(rpc_query(FlowName="f", ExecutionName="e-1"))
    assert (status, body["Name"]) == (200, "e-1")
    assert facade.last.call.params == {"FlowName": "f", "ExecutionName": "e-1"}
    status, body = send(rpc_query("Bogus"))
    assert (status, body["Code"], body["HostId"]) == (400, "ActionNotSupported", host)


def test_to_origin_form_rewrites_only_absolute_targets() -> None:
    scope: Scope = {
        "type": "http",
        "path": "http://cn-hangzhou.fnf.aliyuncs.com/",
        "raw_path": b"http://cn-hangzhou.fnf.aliyuncs.com/",
        "query_string": b"Action=ListFlows",
    }
    rewritten = to_origin_form(scope)
    assert (rewritten["path"], rewritten["raw_path"]) == ("/", b"/")
    assert rewritten["query_string"] == b"Action=ListFlows"
    assert scope["path"] == "http://cn-hangzhou.fnf.aliyuncs.com/"  # the original is untouched

    whole = to_origin_form({"type": "http", "path": "HTTP://h:80/a%20b?x=1", "query_string": b""})
    assert (whole["path"], whole["raw_path"], whole["query_string"]) == (
        "/a b",
        b"/a%20b",
        b"x=1",
    )
    bare = to_origin_form({"type": "http", "path": "http://h", "raw_path": b"http://h"})
    assert bare["path"] == "/"
    origin: Scope = {"type": "http", "path": "/", "raw_path": b"/", "query_string": b""}
    assert to_origin_form(origin) is origin


async def test_middleware_passes_other_scopes_through() -> None:
    seen: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> dict[str, Any]:
        return {}

    async def send(message: Any) -> None:
        return None

    middleware = AbsoluteFormMiddleware(inner)
    lifespan: Scope = {"type": "lifespan", "path": "http://x/"}
    await middleware(lifespan, receive, send)
    await middleware({"type": "http", "path": "http://x/y", "query_string": b""}, receive, send)
    assert seen[0] is lifespan
    assert seen[1]["path"] == "/y"


# ---------------------------------------------------------------------------------------------
# Signature primitives


def test_string_to_sign_matches_a_captured_legacy_request() -> None:
    """StartExecution as the legacy SDK sent it (query + form), with the StringToSign that
    the reference capture verified."""
    signed = {
        "Version": "2019-03-15",
        "Action": "StartExecution",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "Timestamp": "2026-11-23T05:27:52Z",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureType": "",
        "SignatureVersion": "1.0",
        "SignatureNonce": "6bcaa826c3de7b074873c4a996abd4e0",
        "AccessKeyId": "testAK",
        "FlowName": "my_flow",
        "ExecutionName": "exec-2",
        "Input": '{"hello": "world & more"}',
    }
    assert string_to_sign("POST", signed) == (
        "POST&%2F&AccessKeyId%3DtestAK%26Action%3DStartExecution%26ExecutionName%3Dexec-2"
        "%26FlowName%3Dmy_flow%26Format%3DJSON%26Input%3D%257B%2522hello%2522%253A%2520%2522"
        "world%2520%2526%2520more%2522%257D%26RegionId%3Dcn-hangzhou%26SignatureMethod%3D"
        "HMAC-SHA1%26SignatureNonce%3D6bcaa826c3de7b074873c4a996abd4e0%26SignatureType%3D"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2026-11-23T05%253A27%253A52Z"
        "%26Version%3D2019-03-15"
    )


def signed_call(now: datetime, **extra: str) -> RpcCall:
    signed = {
        "Action": "ListFlows",
        "Version": "2019-03-15",
        "AccessKeyId": AK,
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SignatureNonce": "n-1",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        **extra,
    }
    signature = sign(string_to_sign("GET", signed), SECRET)
    return RpcCall("ListFlows", "2019-03-15", {}, signed, signature, AK)


def test_verify_checks_in_order_and_remembers_nonces_only_when_valid() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    keys = AccessKeys({AK: SECRET})
    call = signed_call(now)
    nonces = NonceCache()

    forged = RpcCall(call.action, call.version, {}, call.signed, "AAAA", AK)
    with pytest.raises(FnFError) as raised:
        verify(forged, "GET", keys, now, nonces=nonces)
    assert (raised.value.code, raised.value.status) == ("SignatureNotMatch", 403)
    assert len(nonces) == 0

    assert verify(call, "GET", keys, now, nonces=nonces) == AK
    with pytest.raises(FnFError, match="SignatureNonceUsed"):
        verify(call, "GET", keys, now, nonces=nonces)
    # Once its Timestamp has left the window the nonce is forgotten (the request is stale).
    later = now + timedelta(minutes=16)
    with pytest.raises(FnFError, match="RequestTimeTooSkewed"):
        verify(call, "GET", keys, later, nonces=nonces)

    with pytest.raises(FnFError, match="SignatureNotMatch"):
        verify(call, "POST", keys, now)  # the method is signed
    assert verify(call, "GET", AccessKeys(), now, allow_unsigned=True) is None

    bad_method = signed_call(now, SignatureMethod="HMAC-SHA256")
    with pytest.raises(FnFError, match="InvalidArgument"):
        verify(bad_method, "GET", keys, now)
    bad_time = signed_call(now, Timestamp="2026-01-01 12:00:00")
    with pytest.raises(FnFError, match="InvalidArgument: Timestamp"):
        verify(bad_time, "GET", keys, now)
    no_nonce = signed_call(now, SignatureNonce="")
    with pytest.raises(FnFError, match="'SignatureNonce'"):
        verify(no_nonce, "GET", keys, now)
    unsigned = RpcCall("ListFlows", "2019-03-15", {}, {}, None, None)
    with pytest.raises(FnFError, match="'Signature'"):
        verify(unsigned, "GET", keys, now)


def test_signature_checker_uses_the_wall_clock_and_env_settings() -> None:
    checker = SignatureChecker(AccessKeys({AK: SECRET}))
    assert checker.verify(signed_call(datetime.now(UTC)), "GET") == AK
    assert SignatureChecker.from_env({"FNF_ALLOW_UNSIGNED": "TRUE"}).allow_unsigned
    assert not allow_unsigned_from_env({})
    with pytest.raises(ValueError, match="FNF_ALLOW_UNSIGNED"):
        allow_unsigned_from_env({"FNF_ALLOW_UNSIGNED": "maybe"})


def test_parse_timestamp() -> None:
    assert parse_timestamp("2026-11-23T05:27:52Z") == datetime(2026, 11, 23, 5, 27, 52, tzinfo=UTC)
    assert parse_timestamp("2026-11-23T05:27:52.123Z").second == 52
    for bad in ("2026-11-23T05:27:52", "2026-13-01T00:00:00Z", "yesterday"):
        with pytest.raises(FnFError, match="InvalidArgument"):
            parse_timestamp(bad)


def test_nonce_cache_is_bounded_and_expires() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cache = NonceCache(max_entries=3)
    for n in range(5):
        assert cache.remember(AK, f"n{n}", now + timedelta(minutes=15), now)
    assert len(cache) == 3
    assert cache.remember(AK, "n0", now + timedelta(minutes=15), now)  # evicted: accepted
    assert not cache.remember(AK, "n4", now + timedelta(minutes=15), now)
    assert cache.remember("otherAK", "n4", now + timedelta(minutes=15), now)
    later = now + timedelta(minutes=16)
    assert cache.remember(AK, "n4", later + timedelta(minutes=15), later)


def test_access_keys_from_env_and_file(tmp_path: Path) -> None:
    keys = AccessKeys.from_env({"FNF_ACCESS_KEYS": " a:s1 , b:s:2,, "})
    assert (keys.secret_for("a"), keys.secret_for("b"), keys.secret_for("c")) == ("s1", "s:2", None)
    assert "s1" not in repr(keys) and "a" in keys and len(keys) == 2

    json_file = tmp_path / "keys.json"
    json_file.write_text('{"a": "from-file", "c": "s3"}')
    yaml_file = tmp_path / "keys.yaml"
    yaml_file.write_text("d: s4\n")
    merged = AccessKeys.from_env(
        {"FNF_ACCESS_KEYS": "a:s1", "FNF_ACCESS_KEYS_FILE": str(json_file)}
    )
    assert (merged.secret_for("a"), merged.secret_for("c")) == ("from-file", "s3")
    assert AccessKeys.from_file(yaml_file).secret_for("d") == "s4"
    assert len(AccessKeys.from_env({})) == 0

    with pytest.raises(ValueError, match="id:secret"):
        AccessKeys.parse("just-an-id")
    yaml_file.write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        AccessKeys.from_file(yaml_file)


# ---------------------------------------------------------------------------------------------
# Errors and responses


def test_error_codes_carry_fnf_statuses() -> None:
    expected = {
        "InvalidArgument": 400,
        "MissingRequiredParams": 400,
        "ActionNotSupported": 400,
        "APIVersionNotSupported": 400,
        "EntityTooLarge": 400,
        "SignatureNotMatch": 403,
        "InvalidAccessKeyID": 403,
        "RequestTimeTooSkewed": 403,
        "SignatureNonceUsed": 400,
        "FlowNotExists": 404,
        "FlowAlreadyExists": 409,
        "ExecutionNotExists": 404,
        "ExecutionAlreadyExists": 400,
        "ExecutionAlreadyCompleted": 400,
        "TaskAlreadyCompleted": 400,
        "TaskInvalidState": 409,
        "ScheduleNotExists": 404,
        "ScheduleAlreadyExists": 409,
        "ConcurrentUpdateError": 409,
        "PreconditionFailed": 412,
        "ResourceThrottled": 429,
        "InternalServerError": 500,
    }
    assert {code: status_for(code) for code in expected} == expected
    assert FnFError("FlowNotExists", "gone").status == 404


def test_fnf_error_refuses_codes_the_sdks_mishandle() -> None:
    with pytest.raises(ValueError, match="SignatureNotMatch"):
        FnFError("SignatureDoesNotMatch", "no colon here", 400)
    with pytest.raises(ValueError, match="unknown"):
        FnFError("MadeUpCode", "x")
    with pytest.raises(ValueError, match="4xx or 5xx"):
        FnFError("InvalidArgument", "x", 302)
    assert FnFError("MadeUpCode", "x", 418).status == 418


def test_error_body_and_responses() -> None:
    error = task_already_completed("tok-done")
    assert error_body(error, "RID", "host") == {
        "RequestId": "RID",
        "HostId": "host",
        "Code": "TaskAlreadyCompleted",
        "Message": "Task tok-done has already completed.",
    }
    response = error_response(error, "RID", "host")
    assert response.status_code == 400
    assert response.media_type == "application/json"
    assert json.loads(bytes(response.body))["Code"] == "TaskAlreadyCompleted"

    success = ok({"Name": "n", "RequestId": "stale"}, "RID")
    assert json.loads(bytes(success.body)) == {"Name": "n", "RequestId": "RID"}
    assert REQUEST_ID.fullmatch(new_request_id())


# ---------------------------------------------------------------------------------------------
# Parameter readers


def invalid(code: str = "InvalidArgument") -> Any:
    return pytest.raises(FnFError, match=f"^{code}: ")


def test_string_readers() -> None:
    params = {"A": "x", "Blank": "", "Long": "y" * 11}
    assert required_str(params, "A") == "x"
    with invalid("MissingRequiredParams"):
        required_str(params, "Blank")
    with pytest.raises(FnFError, match="'Missing' must be specified"):
        required_str(params, "Missing")
    with pytest.raises(FnFError, match="Long is longer than 10"):
        required_str(params, "Long", max_len=10)
    assert optional_str(params, "Missing") is None
    assert optional_str(params, "Blank", default="d") == "d"


def test_int_and_bool_readers() -> None:
    params = {"N": "42", "Neg": "-1", "Word": "4x", "Float": "1.5", "T": "True", "F": "FALSE"}
    assert optional_int(params, "N", 1, 100) == 42
    assert optional_int(params, "Missing", 1, 100) is None
    assert optional_int(params, "Missing", 1, 100, default=10) == 10
    for name in ("Neg", "Word", "Float"):
        with pytest.raises(FnFError, match=f"InvalidArgument: {name} must"):
            optional_int(params, name, 0, 100)
    assert optional_bool(params, "T") is True
    assert optional_bool(params, "F") is False
    assert optional_bool(params, "Missing", default=False) is False
    with pytest.raises(FnFError, match="N must be true or false, got '42'"):
        optional_bool(params, "N")


def test_json_object_param() -> None:
    params = {"Good": '{"a": [1]}', "Broken": '{"a":', "List": "[1]", "Deep": "[" * 100_000}
    assert json_object_param(params, "Good") == {"a": [1]}
    assert json_object_param(params, "Missing") is None
    with pytest.raises(FnFError, match=r"Broken is not valid JSON: .* line 1 column 6"):
        json_object_param(params, "Broken")
    with pytest.raises(FnFError, match="List must be a JSON object, got a JSON array"):
        json_object_param(params, "List")
    with invalid():
        json_object_param(params, "Deep")


@pytest.mark.parametrize("name", ["a", "_x", "my_flow-1", "A" * 128])
def test_valid_names(name: str) -> None:
    assert validate_name("FlowName", name, names.FLOW) == name
    assert required_name({"FlowName": name}, "FlowName", names.FLOW) == name


@pytest.mark.parametrize("name", ["1abc", "-a", "a b", "a.b", "ü", "A" * 129])
def test_invalid_names(name: str) -> None:
    with pytest.raises(FnFError, match=r"InvalidArgument: FlowName .* is invalid"):
        validate_name("FlowName", name, names.FLOW)
    assert optional_name({}, "FlowName", names.FLOW) is None


def test_access_key_files_that_cannot_be_read_are_value_errors(tmp_path: Path) -> None:
    """Bytes that are not UTF-8, a folder and an integer past Python's conversion limit are
    ValueErrors naming the file (`fnf api` turns them into one line), not other exceptions."""
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe keys")
    digits = tmp_path / "digits.yaml"
    digits.write_text("a: " + "9" * 5000 + "\n")
    for path, message in (
        (binary, "binary.yaml cannot be read: 'utf-8' codec"),
        (digits, "digits.yaml cannot be read: Exceeds the limit"),
        (tmp_path, "cannot read"),
    ):
        with pytest.raises(ValueError, match=message):
            AccessKeys.from_file(path)
