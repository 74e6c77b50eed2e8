"""The FnF API facade: FastAPI app that answers the FnF RPC protocol and plain JSON.

    GET|POST /?Action=StartExecution&...     what the official SDKs send (signed, RPC v1)
    POST /actions/StartExecution {json}      the same action for curl users (documented at /docs),
                                             signed with FNF-HMAC-SHA256 headers

Every route, these and any added to the app later (the MNS router included), is behind one
authentication policy installed around the whole app (`api.auth_policy`).

Both forms read their parameters into the action's typed request model (api/requests), so a
parameter is checked the same way whichever form carried it, before any handler runs. Every
answer carries a RequestId; every error is FnF's JSON error body with FnF's status, never an
HTML page, FastAPI's own 422 body or a bare 500. `/docs` serves Swagger UI from the
fastapi-offline package's bundled assets, so it works without internet.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from api.actions import ACTIONS, ApiContext, Params
from api.auth_policy import CONSOLE_ROOT, AuthPolicy, AuthPolicyMiddleware, signer_of
from api.console.routes import ConsoleSettings, console_error_page, console_router, mount_static
from api.protocol.absolute_form import AbsoluteFormMiddleware
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import (
    FnFError,
    action_not_supported,
    error_body,
    internal_server_error,
    invalid_argument,
)
from api.protocol.json_form import read_json_params
from api.protocol.nonces import NonceLedger
from api.protocol.regions import request_region
from api.protocol.responses import new_request_id
from api.protocol.rpc import read_rpc_params
from api.protocol.temporary import temporary_failure
from api.requests import REQUEST_MODELS, parse_request

API_VERSION = "2019-03-15"
HOST_ID = "fnf-temporal"
DOCS_ASSETS = "/docs/static"
"""Where Swagger UI's and ReDoc's scripts and styles are served from (fastapi-offline)."""

logger = logging.getLogger(__name__)

ContextProvider = Callable[[str | None], Awaitable[ApiContext]]
"""The services for a request signed by the given AccessKey ID (None: unsigned); one
namespace's services per team when the API serves several (api/tenancy.py)."""
RegionalProvider = Callable[[str | None, str | None], Awaitable[ApiContext]]
"""The same, also by the region the request names (api/protocol/regions.py; None: none)."""


def create_app(
    context: ContextProvider,
    access_keys: AccessKeys,
    *,
    allow_unsigned: bool = False,
    nonce_ledger: NonceLedger | None = None,
    console: ConsoleSettings | None = None,
    regional: RegionalProvider | None = None,
) -> FastAPI:
    """`context` gives each request's services by the AccessKey that signed it (connected
    lazily, so the app starts without Temporal).

    Every request passes the authentication policy before routing: unsigned calls are
    accepted only with `allow_unsigned` (FNF_ALLOW_UNSIGNED=true); signature nonces are
    recorded in `nonce_ledger` (`fnf api`: Temporal), or only in memory without one. The web
    console (`api.console`) is served under /console, behind the same policy. With
    `regional`, the FnF actions are served by the signer's services in the request's region
    (`fnf api`); the console keeps `context`."""
    services = _Services(context, regional)
    app = FastAPIOffline(
        title="fnf-temporal API",
        description="Alibaba Cloud Serverless Workflow (FnF 2019-03-15) actions on Temporal.",
        version=API_VERSION,
        static_url=DOCS_ASSETS,  # under /docs/: public, like the page (api.auth_policy)
    )
    # The last added runs first: targets are made origin-form before the policy reads paths.
    policy = AuthPolicy(access_keys, allow_unsigned, ledger=nonce_ledger)
    app.add_middleware(AuthPolicyMiddleware, policy)
    app.add_middleware(AbsoluteFormMiddleware)  # the legacy SDK through HTTP_PROXY

    @app.api_route("/", methods=["GET", "POST"], include_in_schema=False)
    async def rpc(request: Request) -> JSONResponse:
        request_id = new_request_id()
        try:
            call = await read_rpc_params(request)  # signature checked by the policy
            region = request_region(request.headers.get("host"), call.region_id)
            body = await _run(services, call.action, call.params, signer_of(request.scope), region)
        except FnFError as error:
            return _error(error, request_id)
        except Exception:
            logger.exception("RPC call failed")
            return _error(internal_server_error(), request_id)
        return JSONResponse({"RequestId": request_id, **body})

    for action in ACTIONS:
        _add_json_route(app, services, action)
    app.include_router(console_router(context, policy.console, console or ConsoleSettings()))
    mount_static(app)
    _answer_framework_errors_as_fnf(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


@dataclass(frozen=True)
class _Services:
    context: ContextProvider
    regional: RegionalProvider | None

    async def of(self, signer: str | None, region: str | None) -> ApiContext:
        if self.regional is None:
            return await self.context(signer)
        return await self.regional(signer, region)


def _add_json_route(app: FastAPI, services: _Services, action: str) -> None:
    async def json_action(request: Request) -> JSONResponse:
        request_id = new_request_id()
        try:
            params = await read_json_params(request)
            region = request_region(request.headers.get("host"), None)
            body = await _run(services, action, params, signer_of(request.scope), region)
        except FnFError as error:
            return _error(error, request_id)
        except Exception:
            logger.exception("JSON call to %s failed", action)
            return _error(internal_server_error(), request_id)
        return JSONResponse({"RequestId": request_id, **body})

    doc = (ACTIONS[action].__doc__ or "").strip()
    app.post(
        f"/actions/{action}",
        name=action,
        summary=action,
        description=doc or f"The FnF {action} action; parameters as in Alibaba's API reference.",
        openapi_extra={"requestBody": _request_body(action)},
    )(json_action)


async def _run(
    services: _Services,
    action: str,
    raw: dict[str, Any],
    signer: str | None,
    region: str | None,
) -> dict[str, Any]:
    """Validate `raw` against the action's request model, then run its handler with the
    services of the signer's namespace (in the request's region)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise action_not_supported(action)
    params = parse_request(action, raw)
    try:
        return await handler(await services.of(signer, region), Params(params))
    except FnFError:
        raise
    except Exception as error:
        temporary = temporary_failure(error)
        if temporary is not None:
            logger.warning("action %s: %s", action, temporary.message)
            raise temporary from None
        logger.exception("action %s failed", action)
        raise internal_server_error() from None


def _request_body(action: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{action}Request"}
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus each action's request model under `<Action>Request`."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for action, model in REQUEST_MODELS.items():
            if action in ACTIONS:
                components[f"{action}Request"] = model.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
        app.openapi_schema = schema
    return app.openapi_schema


def _answer_framework_errors_as_fnf(app: FastAPI) -> None:
    """What FastAPI itself refuses (an unknown /actions/ route, a GET where POST belongs) in
    FnF's error body too; other routes (MNS) keep their own error format."""

    async def on_http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        path = request.url.path
        if path == CONSOLE_ROOT or path.startswith(f"{CONSOLE_ROOT}/"):
            return console_error_page(request, error.status_code, str(error.detail))
        if path != "/" and not path.startswith("/actions/"):
            return await http_exception_handler(request, error)
        if path.startswith("/actions/") and error.status_code == 404:
            fnf = action_not_supported(path.removeprefix("/actions/"))
        else:
            fnf = FnFError(
                "InvalidArgument",
                f"{request.method} {path}: {error.detail}",
                status=error.status_code if error.status_code >= 400 else 400,
            )
        return _error(fnf, new_request_id())

    async def on_validation_error(request: Request, error: Exception) -> Response:
        return _error(invalid_argument(str(error)), new_request_id())

    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def _error(error: FnFError, request_id: str) -> JSONResponse:
    """FnF's error body; a message quoting a caller's broken text (a lone surrogate) is
    escaped rather than failing to encode, which would turn a 400 into a 500."""
    body = error_body(error, request_id, HOST_ID)
    safe = {key: value.encode("utf-8", "backslashreplace").decode() for key, value in body.items()}
    return JSONResponse(safe, status_code=error.status)
