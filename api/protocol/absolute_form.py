"""Accept absolute-form request targets, so the legacy SDK can reach the facade as a proxy.

The legacy SDK (aliyun-python-sdk-core) honours `HTTP_PROXY`, and FnF requests default to
plain http. Pointing `HTTP_PROXY` at the facade therefore redirects an unchanged program,
but a client talking to a proxy sends the full URL as the request target:

    POST http://cn-hangzhou.fnf.aliyuncs.com/?Action=StartExecution&... HTTP/1.1

Depending on the HTTP parser, the ASGI `path` then is the whole URL, which matches no route
(FastAPI answers 404 `{"detail":"Not Found"}`). This middleware rewrites such a target to
origin-form (`/` plus the query) before routing. Nothing else changes: the `Host` header
still names the Alibaba endpoint, which is harmless because FnF signatures do not cover the
host or the path.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

_ABSOLUTE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def to_origin_form(scope: Scope) -> Scope:
    """A copy of an HTTP scope with an absolute-form target made origin-form; else `scope`."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
    target = raw.decode("latin-1")
    if not _ABSOLUTE.match(target):
        return scope
    parts = urlsplit(target)
    path = parts.path or "/"
    rewritten = dict(scope)
    rewritten["raw_path"] = path.encode("latin-1")
    rewritten["path"] = unquote(path)
    if parts.query and not scope.get("query_string"):
        rewritten["query_string"] = parts.query.encode("latin-1")
    return rewritten


class AbsoluteFormMiddleware:
    """Pure ASGI middleware wrapping the whole app; non-HTTP scopes pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = to_origin_form(scope)
        await self.app(scope, receive, send)
