"""One authentication policy for every HTTP route of the facade, installed around the whole app.

The policy runs before routing, so a route added later is signed-only without anyone
remembering to protect it; only the paths in PUBLIC_PATHS are open, and that set is a
conscious, tested decision. Each request is checked by the scheme its path speaks:

    /                    FnF RPC signature v1 (`api.protocol.signature`): the official SDKs
    /queues, /topics...  MNS's `Authorization: MNS id:sig` (`api.mns.auth`): the MNS SDK
    everything else      `FNF-HMAC-SHA256` headers (`api.protocol.header_signature`): the
                         JSON form `/actions/<Action>`, curl, `fnf call`, any future route
    /console/...         the web console's session cookie (`api.console.session`), set by
                         its login page from an AccessKey pair; /console/login and the
                         console's static assets (no data) are open
    PUBLIC_PATHS, /docs/ nothing: the API's description (/docs, /openapi.json) holds no data;
    /mns/certificates/   nor does the public certificate MNS pushes are signed with

All three share one AccessKey table and the FnF schemes share one nonce cache, backed (in
`fnf api`) by a durable nonce ledger that every API process shares and that outlives restarts
(`api.store.nonces`), so a captured request is refused by any process for its whole window.
Errors are the scheme's own: FnF's JSON body and codes (MissingRequiredHeader,
InvalidAccessKeyID, RequestTimeTooSkewed, SignatureNotMatch, SignatureNonceUsed, and
ServiceUnavailable when the ledger cannot be reached) or MNS's XML. Everything is accepted
unsigned only when FNF_ALLOW_UNSIGNED is true.

Checking the signature needs the body, so the policy reads it (capped: a stranger cannot make
the facade buffer more than one request's limit) and hands the same bytes on to the route.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console.session import COOKIE, ConsoleSessions
from api.mns.auth import MnsAuthenticator, canonical_resource
from api.mns.signing import CERTIFICATE_ROOT
from api.mns.wire import MnsApiError
from api.mns.wire import error_response as mns_error_response
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import (
    FnFError,
    entity_too_large,
    invalid_argument,
    service_unavailable,
    signature_nonce_used,
)
from api.protocol.header_signature import HeaderSignatureChecker
from api.protocol.nonces import NonceCache, NonceLedger, NonceLedgerUnavailable, UsedNonce
from api.protocol.responses import error_response, host_id, new_request_id
from api.protocol.rpc import DEFAULT_MAX_REQUEST_BYTES, read_rpc_params
from api.protocol.signature import SignatureChecker

logger = logging.getLogger(__name__)

SIGNER: Final = "fnf.access_key_id"
"""The scope key under which the policy leaves the AccessKey ID a request was signed with
(absent for public paths and unsigned use), so the API serves it in that key's namespace
(api/tenancy.py)."""


def signer_of(scope: Scope) -> str | None:
    """The AccessKey ID that signed this request, as the policy verified it."""
    signer = scope.get(SIGNER)
    return signer if isinstance(signer, str) else None


PUBLIC_PATHS: Final = frozenset({"/docs", "/openapi.json", "/redoc"})
PUBLIC_PREFIXES: Final = ("/docs/", CERTIFICATE_ROOT)
"""Open to everyone: FastAPI's description of the API and the pages that show it (no flow,
execution or message data). Whatever the docs page needs (its oauth2 redirect, locally served
script and style assets) lives under /docs/, which therefore holds documentation only. The
JSON form's "Try it out" buttons on /docs still need signed calls. Under /mns/certificates/
is the certificate MNS HTTP pushes are signed with: a public key, which the subscribers that
verify pushes fetch without any AccessKey (`api.mns.signing`)."""

RPC_PATH: Final = "/"
CONSOLE_ROOT: Final = "/console"
CONSOLE_OPEN: Final = frozenset({"/console/login"})
CONSOLE_OPEN_PREFIXES: Final = ("/console/static/",)
"""The login page and the console's scripts and styles: everything else under /console needs
the session cookie."""
MNS_ROOTS: Final = ("/queues", "/topics")
MAX_MNS_REQUEST_BYTES: Final = 4 * 65_536
"""MNS's largest message body (64 KiB) with room for the XML around it; the MNS routes cap
their bodies at the same size."""


class Scheme(Enum):
    PUBLIC = "public"
    RPC = "rpc"
    MNS = "mns"
    HEADERS = "headers"
    CONSOLE = "console"


def scheme_for(path: str) -> Scheme:
    """Which signature a path must carry; any path not named here needs the FNF headers."""
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return Scheme.PUBLIC
    if path == RPC_PATH:
        return Scheme.RPC
    if path == CONSOLE_ROOT or path.startswith(f"{CONSOLE_ROOT}/"):
        return Scheme.CONSOLE
    if any(path == root or path.startswith(f"{root}/") for root in MNS_ROOTS):
        return Scheme.MNS
    return Scheme.HEADERS


def startup_warning(keys: AccessKeys, allow_unsigned: bool, host: str) -> str | None:
    """What `fnf api` should tell its operator about the policy it is about to enforce."""
    if allow_unsigned and host not in ("127.0.0.1", "localhost", "::1"):
        return (
            f"FNF_ALLOW_UNSIGNED is on and the API listens on {host}: anyone who reaches "
            "that interface can call every action."
        )
    if not allow_unsigned and len(keys) == 0:
        return (
            "no AccessKey configured (FNF_ACCESS_KEYS / FNF_ACCESS_KEYS_FILE): every call "
            "will be refused; set one, or FNF_ALLOW_UNSIGNED=true for local use."
        )
    return None


class BodyTooLarge(Exception):
    pass


@dataclass
class AuthPolicy:
    """The facade's keys, the opt-out and the nonces both FnF schemes share; `verify` raises
    the scheme's own error (FnFError or MnsApiError). Without a `ledger` nonces are
    remembered by this process only (tests of the policy itself)."""

    keys: AccessKeys
    allow_unsigned: bool = False
    nonces: NonceCache = field(default_factory=NonceCache)
    ledger: NonceLedger | None = None

    def __post_init__(self) -> None:
        self.rpc = SignatureChecker(self.keys, nonces=self.nonces)
        self.headers = HeaderSignatureChecker(self.keys, self.nonces)
        self.mns = MnsAuthenticator(self.keys)
        self.console = ConsoleSessions(self.keys)

    async def verify(self, scheme: Scheme, request: Request, body: bytes) -> str | None:
        """The AccessKey ID the request was signed with (None: nothing to check)."""
        used: UsedNonce | None = None
        if scheme is Scheme.RPC:
            used = self.rpc.accept(await read_rpc_params(request), request.method)
        elif scheme is Scheme.MNS:
            headers = dict(request.headers.items())
            return self.mns.verify(request.method, headers, _resource(request.scope), body)
        elif scheme is Scheme.HEADERS:
            headers = dict(request.headers.items())
            used = self.headers.accept(request.method, _resource(request.scope), headers, body)
        if used is None:
            return None
        await self._record(used)
        return used.access_key_id

    async def _record(self, used: UsedNonce) -> None:
        """The durable check, after the in-memory cache accepted the nonce: only the ledger
        knows what other processes, or this one before a restart, have seen."""
        if self.ledger is None:
            return
        try:
            fresh = await self.ledger.record(used, datetime.now(UTC))
        except NonceLedgerUnavailable as error:
            self.nonces.forget(used.access_key_id, used.nonce)  # not served: may come again
            logger.warning("signature nonce not recorded: %s", error)
            unreachable = "the signature nonce store (Temporal) is unreachable"
            raise service_unavailable(unreachable) from None
        if not fresh:
            raise signature_nonce_used(used.nonce)


class AuthPolicyMiddleware:
    """Pure ASGI middleware: every HTTP request passes `AuthPolicy` before any route sees it."""

    def __init__(self, app: ASGIApp, policy: AuthPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self.policy.allow_unsigned:
            await send({"type": "websocket.close", "code": 1008})  # no route speaks websocket
            return
        if scope["type"] == "http" and scheme_for(scope["path"]) is Scheme.CONSOLE:
            await self._console(scope, receive, send)
            return
        if scope["type"] != "http" or self.policy.allow_unsigned:
            await self.app(scope, receive, send)
            return
        scheme = scheme_for(scope["path"])
        if scheme is Scheme.PUBLIC:
            await self.app(scope, receive, send)
            return
        limit = MAX_MNS_REQUEST_BYTES if scheme is Scheme.MNS else DEFAULT_MAX_REQUEST_BYTES
        response = None
        try:
            body = await _read_body(scope, receive, limit)
            signer = await self.policy.verify(scheme, Request(scope, _replay(body, receive)), body)
            if signer is not None:
                scope = {**scope, SIGNER: signer}
        except BodyTooLarge:
            response = _refusal(scheme, scope, too_large(scheme, limit))
        except (FnFError, MnsApiError) as error:
            response = _refusal(scheme, scope, error)
        except Exception:  # a hostile header must never turn into a 5xx or a crash
            logger.exception("authentication of %s %s failed", scope["method"], scope["path"])
            unreadable = invalid_argument("The request's authentication cannot be read.")
            response = _refusal(scheme, scope, unreadable)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _console(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A console page passes with a valid session cookie (its session is handed to the
        route in `scope["state"]`); without one a GET goes to the login page and anything
        else is refused. The local-only mode has one session for everybody."""
        path = scope["path"]
        state = scope.setdefault("state", {})
        if self.policy.allow_unsigned:
            state["console_session"] = self.policy.console.local()
        elif path in CONSOLE_OPEN or path.startswith(CONSOLE_OPEN_PREFIXES):
            state["console_session"] = None
        else:
            session = self.policy.console.verify(Request(scope).cookies.get(COOKIE))
            if session is None:
                await _console_refusal(scope)(scope, receive, send)
                return
            state["console_session"] = session
        await self.app(scope, receive, send)


def _console_refusal(scope: Scope) -> Response:
    if scope["method"] in ("GET", "HEAD"):
        query_string = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + (f"?{query_string}" if query_string else "")
        query = urlencode({"next": target})
        return Response(status_code=303, headers={"Location": f"{CONSOLE_ROOT}/login?{query}"})
    return Response(
        "Not signed in to the console (or the session expired): sign in again at /console/login.",
        status_code=403,
        media_type="text/plain",
    )


def too_large(scheme: Scheme, limit: int) -> FnFError | MnsApiError:
    if scheme is Scheme.MNS:
        return MnsApiError(400, "InvalidArgument", f"The request is larger than {limit} bytes.")
    return entity_too_large(limit)


def _refusal(scheme: Scheme, scope: Scope, error: FnFError | MnsApiError) -> Response:
    request = Request(scope)
    request_id = new_request_id()
    if scheme is Scheme.MNS:
        if not isinstance(error, MnsApiError):
            error = MnsApiError(400, "InvalidArgument", str(error))
        where = f"{scope.get('scheme', 'http')}://{host_id(request)}"
        return mns_error_response(error, request_id, where)
    if not isinstance(error, FnFError):
        error = invalid_argument(error.message)
    return error_response(error, request_id, host_id(request))


def _resource(scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    return canonical_resource(raw_path, scope.get("query_string", b""))


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, refused as soon as it is known to exceed `limit` bytes (query included,
    as the RPC reader counts it)."""
    budget = limit - len(scope.get("query_string", b""))
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.strip().isdigit() and int(value) > budget:
            raise BodyTooLarge
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if len(body) > budget:
            raise BodyTooLarge
        if not message.get("more_body", False):
            break
    return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the already-read body once, then the client's own events
    (so a long poll still learns of a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
