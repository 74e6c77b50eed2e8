"""Functions and API actions served by HTTP endpoints.

The event is POSTed as is; a 2xx JSON body is the output. Failures become the error names a flow
would see from FC (FDL spec 6.1): a body naming its error (`{"errorType": "BookHotelError", ...}`,
or FC's own `{"ErrorCode": "ResourceThrottled", ...}`) gives that name, otherwise the status
decides (429 FC.ResourceExhausted, 404 FC.FunctionNotFound, other 4xx FC.InvalidArgument,
5xx FC.InternalServerError). API actions use the `{service}.{Code}` names of FnF's action
integrations instead (`ocr.InternalError`). One pooled client serves every call: no connection
set-up per call.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from .errors import (
    FC_FUNCTION_NOT_FOUND,
    FC_INTERNAL_SERVER_ERROR,
    FC_INVALID_ARGUMENT,
    FC_RESOURCE_EXHAUSTED,
    FC_UNKNOWN,
    FNF_TASK_TIMEOUT,
    FunctionError,
    format_seconds,
    timed_out_cause,
    truncate_cause,
)
from .invocation import Invocation
from .registry import HttpAction, HttpFunction

MAX_CONNECTIONS = 1000
MAX_KEEPALIVE = 200


class HttpRuntime:
    """POSTs events to the registry's `url` entries."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client
        self._owns_client = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Timeouts are enforced around the whole call (asyncio.timeout), not per socket step.
            self._client = httpx.AsyncClient(
                timeout=None,
                limits=httpx.Limits(
                    max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE
                ),
            )
        return self._client

    async def invoke(
        self, target: HttpFunction | HttpAction, event: bytes, invocation: Invocation
    ) -> Any:
        """POST `event` to the endpoint; its JSON output, or FunctionError."""
        headers = {
            **target.headers,
            "Content-Type": "application/json",
            "x-fc-request-id": invocation.request_id,
            "x-fnf-flow": invocation.flow,
            "x-fnf-execution": invocation.execution,
            "x-fnf-step": invocation.step,
            "x-fnf-attempt": str(invocation.attempt),
        }
        if isinstance(target, HttpAction):
            headers["x-acs-action"] = target.action
        task_limited = invocation.timeout is not None and invocation.timeout < target.timeout
        limit = invocation.timeout if task_limited and invocation.timeout else target.timeout
        try:
            async with asyncio.timeout(limit):
                response = await self._http().post(target.url, content=event, headers=headers)
        except TimeoutError:
            if task_limited:
                raise FunctionError(
                    FNF_TASK_TIMEOUT, f"Task timed out after {format_seconds(limit)} seconds"
                ) from None
            raise _timed_out(target) from None
        except httpx.HTTPError as exc:
            raise _unreachable(target, exc) from None
        return _outcome(target, response)

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
        self._client = None


def _outcome(target: HttpFunction | HttpAction, response: httpx.Response) -> Any:
    body = response.content
    if response.is_success:
        function_error = response.headers.get("x-fc-error-type")
        if function_error and isinstance(target, HttpFunction):
            # FC's InvokeFunction answers 200 with this header when the function itself failed.
            name = _field(_json_object(body), "errorType") or FC_UNKNOWN
            raise FunctionError(name, _cause(response, target.url))
        return _output(body)
    if isinstance(target, HttpAction):
        name = _action_error_name(target.service, response.status_code, _json_object(body))
    else:
        name = _function_error_name(response.status_code, _json_object(body))
    raise FunctionError(name, _cause(response, target.url))


def _output(body: bytes) -> Any:
    """The JSON body; a body that is not JSON is returned as text for the caller to judge."""
    if not body.strip():
        return None
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _function_error_name(status: int, data: dict[str, Any] | None) -> str:
    error_type = _field(data, "errorType")
    if error_type:
        return error_type
    code = _field(data, "ErrorCode")
    if code:
        return code if code.startswith("FC.") else f"FC.{code}"
    if status == 429:
        return FC_RESOURCE_EXHAUSTED
    if status == 404:
        return FC_FUNCTION_NOT_FOUND
    if 400 <= status < 500:
        return FC_INVALID_ARGUMENT
    return FC_INTERNAL_SERVER_ERROR


def _action_error_name(service: str, status: int, data: dict[str, Any] | None) -> str:
    code = _field(data, "Code") or _field(data, "ErrorCode") or _field(data, "errorType")
    if not code:
        if status == 429:
            code = "Throttling"
        elif status == 404:
            code = "InvalidAction.NotFound"
        elif 400 <= status < 500:
            code = "InvalidParameter"
        elif status == 503:
            code = "ServiceUnavailable"
        else:
            code = "InternalError"
    return code if code.startswith(f"{service}.") else f"{service}.{code}"


def _timed_out(target: HttpFunction | HttpAction) -> FunctionError:
    if isinstance(target, HttpAction):
        return FunctionError(
            f"{target.service}.ServiceTimeout",
            f"{target.key} did not answer within {format_seconds(target.timeout)} seconds",
        )
    return FunctionError(FC_UNKNOWN, timed_out_cause(target.timeout))


def _unreachable(target: HttpFunction | HttpAction, exc: httpx.HTTPError) -> FunctionError:
    cause = truncate_cause(f"POST {target.url} failed: {type(exc).__name__}: {exc}")
    if isinstance(target, HttpAction):
        return FunctionError(f"{target.service}.ServiceUnavailable", cause)
    return FunctionError(FC_INTERNAL_SERVER_ERROR, cause)


def _cause(response: httpx.Response, url: str) -> str:
    text = response.content.decode("utf-8", "replace")
    if not text.strip():
        text = f"HTTP {response.status_code} {response.reason_phrase} from POST {url}"
    return truncate_cause(text)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _field(data: dict[str, Any] | None, name: str) -> str | None:
    value = data.get(name) if data else None
    return value if isinstance(value, str) and value else None
