"""HTTP endpoint functions and API actions against a real local HTTP server: no mocks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import pytest_asyncio

from translator.resources import parse_action, parse_resource_arn
from worker.functions import FunctionError, FunctionRegistry, FunctionRuntime, Invocation

CUSTOM_ERROR = {"errorType": "BookHotelError", "errorMessage": "no rooms left"}
THROTTLED = {"ErrorCode": "ResourceThrottled", "ErrorMessage": "Reserved resource exhausted"}
ACTION_ERROR = {"RequestId": "r-1", "Code": "InvalidImageURL", "Message": "cannot fetch image"}

# path -> (status, extra headers, body)
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/custom-error": (500, {}, json.dumps(CUSTOM_ERROR).encode()),
    "/throttled": (429, {}, json.dumps(THROTTLED).encode()),
    "/unhandled": (
        200,
        {"x-fc-error-type": "UnhandledInvocationError"},
        json.dumps(CUSTOM_ERROR).encode(),
    ),
    "/text": (200, {}, b"plain words"),
    "/no-content": (204, {}, b""),
    "/429": (429, {}, b"slow down"),
    "/404": (404, {}, b"no such thing"),
    "/400": (400, {}, b"bad input"),
    "/403": (403, {}, b""),
    "/500": (500, {}, b"it broke"),
    "/503": (503, {}, b"down for maintenance"),
    "/huge-error": (500, {}, b"x" * 10000),
    "/action-error": (400, {}, json.dumps(ACTION_ERROR).encode()),
}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/echo":
            self.reply(200, {}, body)
        elif self.path == "/inspect":
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.reply(200, {}, json.dumps({"headers": headers, "body": body.decode()}).encode())
        elif self.path == "/slow":
            time.sleep(1.5)
            self.reply(200, {}, b"{}")
        else:
            self.reply(*ROUTES[self.path])

    def reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on /slow


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest_asyncio.fixture
async def runtime(base_url: str) -> AsyncIterator[FunctionRuntime]:
    functions: dict[str, Any] = {
        f"web/{function_name(path)}": {"url": f"{base_url}{path}"} for path in [*ROUTES, "/echo"]
    }
    functions["web/inspect"] = {"url": f"{base_url}/inspect", "headers": {"X-Token": "abc"}}
    functions["web/slow"] = {"url": f"{base_url}/slow", "timeout": 0.3}
    functions["web/patient"] = {"url": f"{base_url}/slow", "timeout": 10}
    functions["web/unreachable"] = {"url": f"http://127.0.0.1:{closed_port()}/x"}
    actions = {
        "ocr:RecognizeIdentityCard": {"url": f"{base_url}/echo"},
        "ocr:Fail": {"url": f"{base_url}/action-error"},
        "ocr:Busy": {"url": f"{base_url}/503"},
        "ocr:Slow": {"url": f"{base_url}/slow", "timeout": 0.3},
        "ocr:Gone": {"url": f"http://127.0.0.1:{closed_port()}/x"},
    }
    registry = FunctionRegistry.from_mapping({"functions": functions, "actions": actions})
    functions_runtime = FunctionRuntime(registry)
    try:
        yield functions_runtime
    finally:
        await functions_runtime.aclose()


def function_name(path: str) -> str:
    """`/custom-error` -> `custom_error`, `/429` -> `status_429` (names start with a letter)."""
    name = path.strip("/").replace("-", "_")
    return f"status_{name}" if name[0].isdigit() else name


def fc(function: str) -> Any:
    return parse_resource_arn(f"acs:fc:::services/web/functions/{function}")


async def failure(runtime: FunctionRuntime, resource: Any, **invocation: Any) -> FunctionError:
    with pytest.raises(FunctionError) as raised:
        await runtime.invoke(resource, b"{}", Invocation(**invocation))
    return raised.value


async def test_a_2xx_json_body_is_the_output(runtime: FunctionRuntime) -> None:
    event = {"video": "a.mp4", "segments": [1, 2]}
    assert await runtime.invoke(fc("echo"), json.dumps(event).encode(), Invocation()) == event


async def test_the_request_carries_the_event_and_call_facts(runtime: FunctionRuntime) -> None:
    invocation = Invocation(
        request_id="req-9", flow="video", execution="run-1", step="Split", attempt=2
    )
    seen = await runtime.invoke(fc("inspect"), b'{"a": 1}', invocation)
    assert seen["body"] == '{"a": 1}'
    headers = seen["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-fc-request-id"] == "req-9"
    assert (headers["x-fnf-flow"], headers["x-fnf-execution"]) == ("video", "run-1")
    assert (headers["x-fnf-step"], headers["x-fnf-attempt"]) == ("Split", "2")
    assert headers["x-token"] == "abc"


async def test_a_non_json_body_is_returned_as_text(runtime: FunctionRuntime) -> None:
    assert await runtime.invoke(fc("text"), b"{}", Invocation()) == "plain words"
    assert await runtime.invoke(fc("no_content"), b"{}", Invocation()) is None


@pytest.mark.parametrize(
    ("function", "name", "cause"),
    [
        ("custom_error", "BookHotelError", json.dumps(CUSTOM_ERROR)),
        ("unhandled", "BookHotelError", json.dumps(CUSTOM_ERROR)),
        ("throttled", "FC.ResourceThrottled", json.dumps(THROTTLED)),
        ("status_429", "FC.ResourceExhausted", "slow down"),
        ("status_404", "FC.FunctionNotFound", "no such thing"),
        ("status_400", "FC.InvalidArgument", "bad input"),
        ("status_403", "FC.InvalidArgument", "HTTP 403 Forbidden from POST "),
        ("status_500", "FC.InternalServerError", "it broke"),
        ("status_503", "FC.InternalServerError", "down for maintenance"),
    ],
)
async def test_failures_map_to_fc_error_names(
    runtime: FunctionRuntime, function: str, name: str, cause: str
) -> None:
    error = await failure(runtime, fc(function))
    assert error.name == name
    assert error.cause.startswith(cause)


async def test_a_long_error_body_is_truncated(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, fc("huge_error"))
    assert len(error.cause) == 4096
    assert error.cause.endswith("...(truncated)")


async def test_an_unreachable_endpoint_is_internal_server_error(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, fc("unreachable"))
    assert error.name == "FC.InternalServerError"
    assert error.cause.startswith("POST http://127.0.0.1:")
    assert "ConnectError" in error.cause


async def test_a_slow_endpoint_times_out(runtime: FunctionRuntime) -> None:
    started = time.monotonic()
    error = await failure(runtime, fc("slow"))
    assert time.monotonic() - started < 1.2
    assert (error.name, error.cause) == (
        "FC.Unknown",
        '{"errorMessage":"Function timed out after 0.3 seconds"}',
    )


async def test_a_shorter_task_timeout_is_fnf_task_timeout(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, fc("patient"), timeout=0.2)
    assert (error.name, error.cause) == ("FnF.TaskTimeout", "Task timed out after 0.2 seconds")


async def test_an_action_returns_the_api_response(runtime: FunctionRuntime) -> None:
    action = parse_action("ocr:RecognizeIdentityCard")
    assert await runtime.invoke(action, b'{"ImageURL": "x"}', Invocation()) == {"ImageURL": "x"}


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("ocr:Fail", "ocr.InvalidImageURL"),
        ("ocr:Busy", "ocr.ServiceUnavailable"),
        ("ocr:Slow", "ocr.ServiceTimeout"),
        ("ocr:Gone", "ocr.ServiceUnavailable"),
        ("ocr:Missing", "ocr.InvalidAction.NotFound"),
    ],
)
async def test_action_failures_are_prefixed_with_the_service(
    runtime: FunctionRuntime, action: str, name: str
) -> None:
    assert (await failure(runtime, parse_action(action))).name == name
