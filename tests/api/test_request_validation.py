"""No 5xx for a client's mistake: every parameter of every action is validated into FnF's
error codes, in the RPC form and the JSON form alike, and every error is FnF's error body.

Most calls go through the real app in-process (ASGI through httpx) against the session's
Temporal dev server with real workers; a few go through a real `fnf api` subprocess (sizes,
signed RPC calls, /docs assets).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.client import Client

from api.actions import ACTIONS, ApiContext
from api.app import create_app
from api.protocol.access_keys import AccessKeys
from api.protocol.signature import sign, string_to_sign
from api.requests import REQUEST_MODELS
from api.services.executions import ExecutionService
from api.services.schedules import ScheduleService
from api.store.flows import FlowStore
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer
from tests.api.fuzz_calls import (
    API_VERSION,
    PASS_FLOW,
    Call,
    Existing,
    calls,
    deep,
    fnf_error_shape,
)
from tests.helpers.api_workers import serve_api
from worker.settings import Settings

CALL_SECONDS = 30


@dataclass
class InProcess:
    http: httpx.AsyncClient
    flow: str
    execution: str

    @property
    def existing(self) -> Existing:
        return Existing(self.flow, self.execution)

    async def send(self, call: Call) -> httpx.Response:
        method, path, headers, body = call.request()
        return await asyncio.wait_for(
            self.http.request(method, path, headers=headers, content=body), CALL_SECONDS
        )

    async def json(self, action: str, params: dict[str, Any]) -> httpx.Response:
        return await self.send(Call(action, params, "json"))

    async def rpc(self, action: str, params: dict[str, Any]) -> httpx.Response:
        return await self.send(Call(action, params, "rpc-get"))


@pytest_asyncio.fixture(scope="module")
async def app(dev_server_address: str) -> AsyncIterator[InProcess]:
    tag = uuid.uuid4().hex[:6]
    client = await Client.connect(dev_server_address)
    settings = Settings(
        temporal_address=dev_server_address,
        task_queue=f"valid-{tag}",
        api_task_queue=f"valid-api-{tag}",
    )
    store = FlowStore(client, settings.api_task_queue)
    executions = ExecutionService(client, store, settings.task_queue)
    schedules = ScheduleService(client, store, settings.api_task_queue)
    context = ApiContext(client, store, executions, schedules, settings.region)

    async def provide(access_key_id: str | None) -> ApiContext:
        return context

    async with AsyncExitStack() as stack:
        await serve_api(client, settings, store, stack, executions, mns=[])
        asgi = create_app(provide, AccessKeys({}), allow_unsigned=True)
        transport = httpx.ASGITransport(app=asgi)
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://fnf.test")
        )
        flow = f"valid_{tag}"
        created = await http.post(
            "/actions/CreateFlow", json={"Name": flow, "Definition": PASS_FLOW}
        )
        assert created.status_code == 200, created.text
        started = await http.post(
            "/actions/StartExecution", json={"FlowName": flow, "ExecutionName": "e1"}
        )
        assert started.status_code == 200, started.text
        described = await http.post(
            "/actions/DescribeExecution",
            json={"FlowName": flow, "ExecutionName": "e1", "WaitTimeSeconds": 20},
        )
        assert described.json()["Status"] == "Succeeded", described.text
        for action, params in [
            ("PublishFlowVersion", {"FlowName": flow}),
            ("CreateFlowAlias", {"FlowName": flow, "Name": "a1", "RoutingConfigurations": [
                {"Version": "1", "Weight": 100}]}),
            ("CreateSchedule", {"FlowName": flow, "ScheduleName": "s1",
                                "CronExpression": "0 0 1 1 *", "Enable": False}),
        ]:  # fmt: skip
            made = await http.post(f"/actions/{action}", json=params)
            assert made.status_code == 200, made.text
        yield InProcess(http, flow, "e1")
        await http.post("/actions/DeleteFlow", json={"Name": flow})


def assert_fnf_answer(response: httpx.Response, call: object) -> None:
    assert response.status_code < 500, (call, response.status_code, response.text[:500])
    body = response.json()
    if response.status_code >= 400:
        assert fnf_error_shape(body), (call, body)
    else:
        assert isinstance(body.get("RequestId"), str), (call, body)


# Every action, both forms, random and boundary parameters.

FUZZED = sorted(ACTIONS)


@settings(
    max_examples=150,  # most calls reach Temporal, on the session dev server
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_action_answers_5xx_to_random_calls(app: InProcess, data: st.DataObject) -> None:
    call = data.draw(calls(app.existing, FUZZED))
    assert_fnf_answer(await app.send(call), call)


def test_every_action_has_a_request_model() -> None:
    assert set(ACTIONS) <= set(REQUEST_MODELS)


# Random FDL documents as the JSON shapes an API client sends.

STEP_TYPES = ["pass", "task", "choice", "wait", "succeed", "fail", "parallel", "foreach", 7]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.sampled_from(["\ud800", "a\udfffb"]),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=2),
)
KEYS = [
    "goto", "end", "resourceArn", "inputMappings", "outputMappings",
    "choices", "default", "condition", "steps", "branches", "iterationMapping",
    "retry", "catch", "errors", "seconds", "duration", "timestamp", "serviceParams",
    "pattern", "target", "source", "collection", "item", "index", "maxConcurrency",
]  # fmt: skip


def fdl_value(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return ODD
    return st.one_of(ODD, st.lists(fdl_step(depth - 1), max_size=3), fdl_step(depth - 1))


def fdl_step(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": st.one_of(st.sampled_from(["A", "B"]), ODD), "type": st.sampled_from(STEP_TYPES)},
        optional={key: st.deferred(lambda d=depth: fdl_value(d)) for key in KEYS},
    )


@st.composite
def fdl_documents(draw: st.DrawFn) -> Any:
    document = {
        "version": draw(st.sampled_from(["v1", 1, None, {"v": 1}])),
        "type": draw(st.sampled_from(["flow", ["flow"], None])),
        "steps": draw(st.one_of(st.lists(fdl_step(2), max_size=4), ODD)),
    }
    return draw(st.one_of(st.just(document), fdl_value(1)))


@settings(
    max_examples=100,  # a valid document starts a flow's entity workflow on Temporal
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=fdl_documents(), as_text=st.booleans())
async def test_random_fdl_shapes_to_create_flow_never_5xx(
    app: InProcess, document: Any, as_text: bool
) -> None:
    definition = json.dumps(document) if as_text else document
    call = Call(
        "CreateFlow", {"Name": f"fdl_{uuid.uuid4().hex[:8]}", "Definition": definition}, "json"
    )
    assert_fnf_answer(await app.send(call), call)


# The reported cases and their variants.


@pytest.mark.parametrize("form", ["json", "rpc-get", "rpc-post"])
async def test_list_executions_status_starting_is_an_empty_list(app: InProcess, form: str) -> None:
    params = {"FlowName": app.flow, "Status": "Starting"}
    response = await app.send(Call("ListExecutions", params, form))
    assert response.status_code == 200, response.text
    assert response.json()["Executions"] == []
    for status in ("Running", "Succeeded", "Stopped", "Failed", "TimedOut"):
        listed = await app.send(Call("ListExecutions", {**params, "Status": status}, form))
        assert listed.status_code == 200, listed.text
    bad = await app.send(Call("ListExecutions", {**params, "Status": "starting"}, form))
    assert (bad.status_code, bad.json()["Code"]) == (400, "InvalidArgument")


@pytest.mark.parametrize(
    ("action", "extra", "highest"),
    [
        ("ListExecutions", {}, 100),
        ("ListFlows", {}, 1000),
        ("GetExecutionHistory", {"ExecutionName": "e1"}, 1000),
        ("ListSchedules", {}, 1000),
        ("ListFlowVersions", {}, 1000),
        ("ListFlowAliases", {}, 1000),
    ],
)
@pytest.mark.parametrize("form", ["json", "rpc-get"])
async def test_limits_are_the_documented_ranges(
    app: InProcess, action: str, extra: dict[str, str], highest: int, form: str
) -> None:
    params = {**extra} if action == "ListFlows" else {"FlowName": app.flow, **extra}
    for limit in (1, highest, str(highest)):
        answer = await app.send(Call(action, {**params, "Limit": limit}, form))
        assert answer.status_code == 200, (limit, answer.text)
    for limit in (0, highest + 1, -1, "ten", "1.5", 2**64):
        answer = await app.send(Call(action, {**params, "Limit": limit}, form))
        assert (answer.status_code, answer.json()["Code"]) == (400, "InvalidArgument"), limit
        assert "Limit" in answer.json()["Message"]


async def test_curl_form_content_type_gets_fnf_answers(app: InProcess) -> None:
    """`curl -d '{...}'` sends application/x-www-form-urlencoded; `-d 'a=b'` form pairs."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    as_json = await app.http.post(
        "/actions/DescribeFlow", content=json.dumps({"Name": app.flow}), headers=form
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["Name"] == app.flow
    pairs = await app.http.post("/actions/DescribeFlow", content=f"Name={app.flow}", headers=form)
    assert pairs.status_code == 200, pairs.text
    for content, headers, code in [
        ("Name=", form, "MissingRequiredParams"),
        ("{not json", form, "InvalidArgument"),
        ("[1, 2]", {"content-type": "application/json"}, "InvalidArgument"),
        ('{"Name": {"a": 1}}', {"content-type": "application/json"}, "InvalidArgument"),
        (b"\xff\xfe", {"content-type": "application/json"}, "InvalidArgument"),
        ("<a/>", {"content-type": "application/xml"}, "UnsupportedMediaType"),
    ]:
        answer = await app.http.post("/actions/DescribeFlow", content=content, headers=headers)
        assert answer.status_code in (400, 415), (content, answer.text)
        assert fnf_error_shape(answer.json()) and answer.json()["Code"] == code, answer.text


async def test_framework_refusals_are_fnf_errors(app: InProcess) -> None:
    unknown = await app.http.post("/actions/NoSuchAction", json={})
    assert (unknown.status_code, unknown.json()["Code"]) == (400, "ActionNotSupported")
    wrong_method = await app.http.get("/actions/DescribeFlow")
    assert wrong_method.status_code == 405 and fnf_error_shape(wrong_method.json())


HOURLY = {"ScheduleName": "s", "CronExpression": "@hourly"}
LONG_NEGATIVE = '{"a": -' + "1" * 1001 + "}"
BAD_WEIGHT = '[{"Version": "1", "Weight": "x"}]'
THREE_ROUTES = json.dumps([{"Version": str(v), "Weight": 30} for v in (1, 2, 3)])
TWICE = '[{"Version": "1", "Weight": 50}, {"Version": "1", "Weight": 50}]'
ALL_ZERO = '[{"Version": "1", "Weight": 0}]'
NOT_A_TOKEN = base64.urlsafe_b64encode(b"v1#flow#execution#2#not-a-secret").decode()


@pytest.mark.parametrize("form", ["json", "rpc-post"])
async def test_bad_json_parameters_are_invalid_argument(app: InProcess, form: str) -> None:
    cases = [
        ("StartExecution", {"Input": deep(500)}, "nests deeper"),
        ("StartExecution", {"Input": '{"a": "\\ud800"}'}, "surrogate"),
        ("StartExecution", {"Input": "[1]"}, "JSON object"),
        ("StartExecution", {"Input": "NaN"}, "(NaN)"),
        ("StartExecution", {"Input": '{"a": NaN}'}, "cannot express (NaN)"),
        ("StartExecution", {"Input": '{"a": [-Infinity]}'}, "cannot express (-Infinity)"),
        ("StartExecution", {"Input": '{"a": 1e999}'}, "cannot express (inf)"),
        ("StartExecution", {"Input": '{"a": ' + "9" * 1001 + "}"}, "1000 digits"),
        ("CreateSchedule", {**HOURLY, "Payload": '{"a": NaN}'}, "cannot express"),
        ("ReportTaskSucceeded", {"TaskToken": "t", "Output": LONG_NEGATIVE}, "1000 digits"),
        ("StartExecution", {"ExecutionName": "a\ud800"}, "surrogate"),
        ("StartSyncExecution", {"Input": deep(500)}, "nests deeper"),
        ("CreateSchedule", {"ScheduleName": "s", "CronExpression": "@hourly", "Payload": "x"}, "J"),
        ("ReportTaskSucceeded", {"TaskToken": "t", "Output": deep(200)}, "nests deeper"),
        ("UpdateFlowAlias", {"Name": "a", "RoutingConfigurations": BAD_WEIGHT}, "Weight"),
        ("CreateFlowAlias", {"Name": "a9", "RoutingConfigurations": THREE_ROUTES}, "one or two"),
        ("UpdateFlowAlias", {"Name": "a1", "RoutingConfigurations": TWICE}, "twice"),
        ("CreateFlowAlias", {"Name": "a9", "RoutingConfigurations": ALL_ZERO}, "above 0"),
        ("CreateFlowAlias", {"Name": "a9", "RoutingConfigurations": "[]"}, "one or two"),
        ("StartExecution", {"CallbackFnFTaskToken": "zzz"}, "CallbackFnFTaskToken: "),
        ("StartExecution", {"CallbackFnFTaskToken": NOT_A_TOKEN}, "unknown format"),
        ("UpdateFlow", {"Name": app.flow, "Description": "\udfff"}, "surrogate"),
        ("CreateFlow", {"Name": "n\ud800", "Definition": PASS_FLOW}, "surrogate"),
    ]  # fmt: skip
    for action, params, said in cases:
        full = {"FlowName": app.flow, **params}
        answer = await app.send(Call(action, full, form))
        assert answer.status_code == 400, (action, params, answer.text)
        message = answer.json()["Message"]
        if form != "json" and said == "surrogate":  # a raw one is no UTF-8: the form is refused
            assert "surrogate" in message or "UTF-8" in message, message
            said = ""
        assert answer.json()["Code"] == "InvalidArgument" and said in message, message


async def test_input_depth_boundary(app: InProcess) -> None:
    """64 levels run end to end; 65 are refused. Deeper client data used to reach Temporal's
    payload converter, whose recursive dataclass conversion of the FlowRun ran out of stack
    (a RecursionError answered as 500) at a few hundred levels."""
    started = await app.json(
        "StartExecution", {"FlowName": app.flow, "ExecutionName": "deep", "Input": deep(64)}
    )
    assert started.status_code == 200, started.text
    done = await app.json(
        "DescribeExecution", {"FlowName": app.flow, "ExecutionName": "deep", "WaitTimeSeconds": 20}
    )
    assert done.json()["Status"] == "Succeeded", done.text
    assert json.loads(done.json()["Input"]) == json.loads(deep(64))
    for form in ("json", "rpc-post"):
        refused = await app.send(
            Call("StartExecution", {"FlowName": app.flow, "Input": deep(65)}, form)
        )
        assert (refused.status_code, refused.json()["Code"]) == (400, "InvalidArgument")


async def test_docs_list_request_models(app: InProcess) -> None:
    schema = (await app.http.get("/openapi.json")).json()
    body = schema["paths"]["/actions/ListExecutions"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("ListExecutionsRequest")
    listed = schema["components"]["schemas"]["ListExecutionsRequest"]
    assert listed["required"] == ["FlowName"]
    assert listed["properties"]["Limit"]["anyOf"][0]["maximum"] == 100


# Through the real `fnf api` subprocess (signed RPC, sizes, /docs assets).


def signed_form(action: str, params: dict[str, str]) -> dict[str, str]:
    signed = {
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "AccessKeyId": ACCESS_KEY_ID,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **params,
    }
    return {**signed, "Signature": sign(string_to_sign("POST", signed), ACCESS_KEY_SECRET)}


def test_oversized_requests_get_entity_too_large(api_server: ApiServer) -> None:
    base = f"http://{api_server.endpoint}"
    for size in (3 * 1024 * 1024, 20 * 1024 * 1024):
        text = json.dumps({"a": "x" * size})
        for path, kwargs in [
            ("/actions/StartExecution", {"json": {"FlowName": "f", "Input": text}}),
            ("/", {"data": signed_form("StartExecution", {"FlowName": "f", "Input": text})}),
        ]:
            answer = httpx.post(base + path, timeout=60, **kwargs)  # type: ignore[arg-type]
            assert answer.status_code == 400, (size, path, answer.text[:300])
            assert answer.json()["Code"] == "EntityTooLarge", answer.text


def test_signed_rpc_calls_with_bad_parameters_are_fnf_errors(api_server: ApiServer) -> None:
    base = f"http://{api_server.endpoint}/"
    for action, params, code in [
        ("ListExecutions", {"FlowName": "f", "Limit": "101"}, "InvalidArgument"),
        ("ListExecutions", {"FlowName": "f", "Status": "Starting"}, "FlowNotExists"),
        ("ListFlows", {"Limit": "1001"}, "InvalidArgument"),
        ("StartExecution", {"FlowName": "f", "Input": deep(500)}, "InvalidArgument"),
        ("DescribeExecution", {"FlowName": "f"}, "MissingRequiredParams"),
    ]:
        answer = httpx.post(base, data=signed_form(action, params), timeout=CALL_SECONDS)
        assert 400 <= answer.status_code < 500, (action, answer.text)
        assert fnf_error_shape(answer.json()) and answer.json()["Code"] == code, answer.text
    listed = httpx.post(base, data=signed_form("ListFlows", {"Limit": "1000"}), timeout=30)
    assert listed.status_code == 200, listed.text


def test_docs_work_offline(api_server: ApiServer) -> None:
    """The page names only local assets, and they are served."""
    base = f"http://{api_server.endpoint}"
    page = httpx.get(base + "/docs", timeout=10)
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs/static/{asset}" in page.text
        served = httpx.get(f"{base}/docs/static/{asset}", timeout=10)
        assert served.status_code == 200 and len(served.content) > 10_000
    redoc = httpx.get(base + "/redoc", timeout=10)
    assert redoc.status_code == 200 and "cdn." not in redoc.text
