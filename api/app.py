"""The FnF API facade: FastAPI app that answers the FnF RPC protocol and plain JSON.

    GET|POST /?Action=StartExecution&...     what the official SDKs send (signed, RPC v1)
    POST /actions/StartExecution {json}      the same action for curl users (documented at /docs),
                                             signed with FNF-HMAC-SHA256 headers

Every route, these and any added to the app later (the MNS router included), is behind one
authentication policy installed around the whole app (`api.auth_policy`).

Every answer carries a RequestId; every error is FnF's JSON error body with FnF's status, never
an HTML page or a bare 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from api.actions import ACTIONS, ApiContext, Params
from api.auth_policy import AuthPolicy, AuthPolicyMiddleware
from api.protocol.absolute_form import AbsoluteFormMiddleware
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import (
    FnFError,
    action_not_supported,
    error_body,
    internal_server_error,
    invalid_argument,
)
from api.protocol.responses import new_request_id
from api.protocol.rpc import read_rpc_params

API_VERSION = "2019-03-15"
HOST_ID = "fnf-temporal"

logger = logging.getLogger(__name__)

ContextProvider = Callable[[], Awaitable[ApiContext]]


def create_app(
    context: ContextProvider, access_keys: AccessKeys, *, allow_unsigned: bool = False
) -> FastAPI:
    """`context` gives the services (connected lazily, so the app starts without Temporal).

    Every request passes the authentication policy before routing: unsigned calls are
    accepted only with `allow_unsigned` (FNF_ALLOW_UNSIGNED=true)."""
    app = FastAPI(
        title="fnf-temporal API",
        description="Alibaba Cloud Serverless Workflow (FnF 2019-03-15) actions on Temporal.",
        version=API_VERSION,
    )
    # The last added runs first: targets are made origin-form before the policy reads paths.
    app.add_middleware(AuthPolicyMiddleware, AuthPolicy(access_keys, allow_unsigned))
    app.add_middleware(AbsoluteFormMiddleware)  # the legacy SDK through HTTP_PROXY

    @app.api_route("/", methods=["GET", "POST"], include_in_schema=False)
    async def rpc(request: Request) -> JSONResponse:
        request_id = new_request_id()
        try:
            call = await read_rpc_params(request)  # signature checked by the policy
            body = await _run(context, call.action, call.params)
        except FnFError as error:
            return _error(error, request_id)
        return JSONResponse({"RequestId": request_id, **body})

    for action in ACTIONS:
        _add_json_route(app, context, action)
    return app


def _add_json_route(app: FastAPI, context: ContextProvider, action: str) -> None:
    async def json_action(
        parameters: dict[str, Any] = Body(default_factory=dict),  # noqa: B008
    ) -> JSONResponse:
        request_id = new_request_id()
        try:
            params = {key: _as_text(value) for key, value in parameters.items()}
            body = await _run(context, action, params)
        except FnFError as error:
            return _error(error, request_id)
        return JSONResponse({"RequestId": request_id, **body})

    doc = (ACTIONS[action].__doc__ or "").strip()
    app.post(
        f"/actions/{action}",
        name=action,
        summary=action,
        description=doc or f"The FnF {action} action; parameters as in Alibaba's API reference.",
    )(json_action)


async def _run(context: ContextProvider, action: str, params: dict[str, str]) -> dict[str, Any]:
    handler = ACTIONS.get(action)
    if handler is None:
        raise action_not_supported(action)
    try:
        return await handler(await context(), Params(params))
    except FnFError:
        raise
    except Exception:
        logger.exception("action %s failed", action)
        raise internal_server_error() from None


def _as_text(value: Any) -> str:
    """JSON callers may send numbers, booleans and objects where the SDKs send strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    raise invalid_argument(f"unsupported parameter value {value!r}")


def _error(error: FnFError, request_id: str) -> JSONResponse:
    return JSONResponse(error_body(error, request_id, HOST_ID), status_code=error.status)
