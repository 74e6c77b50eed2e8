"""FnF's JSON answers: a success object with `RequestId`, or the four-field error object.

Every answer is JSON, errors included. Both SDKs parse error bodies as JSON to find `Code`:
an HTML or plain-text error (a framework's default 404 page, a bare "Internal Server Error")
turns into `SDK.UnknownServerError` in the legacy SDK and into an exception without `code`
or `status_code` in the tea SDK, which breaks every caller that branches on the code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.protocol.errors import FnFError, error_body

REQUEST_ID_HEADER: Final = "x-acs-request-id"
DEFAULT_HOST_ID: Final = "fnf.localhost"


def new_request_id() -> str:
    """An uppercase UUID, the shape of Alibaba's request IDs (`A5C7AF80-...`)."""
    return str(uuid.uuid4()).upper()


def host_id(request: Request) -> str:
    """The `HostId` FnF reports: the host the client addressed, without the port."""
    host = request.headers.get("host", "").strip()
    host = host.split("://", 1)[-1].rstrip("/")  # the tea SDK may send `http://host:port`
    if host.startswith("["):  # IPv6 literal: keep the brackets, drop the port
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host else DEFAULT_HOST_ID


def ok(body: Mapping[str, Any], request_id: str) -> JSONResponse:
    """200 with the action's PascalCase result fields plus `RequestId`."""
    return JSONResponse(
        {**body, "RequestId": request_id},
        status_code=200,
        headers={REQUEST_ID_HEADER: request_id},
    )


def error_response(error: FnFError, request_id: str, host_id: str) -> JSONResponse:
    """The error's status with FnF's `{"RequestId","HostId","Code","Message"}` body."""
    return JSONResponse(
        error_body(error, request_id, host_id),
        status_code=error.status,
        headers={REQUEST_ID_HEADER: request_id},
    )
