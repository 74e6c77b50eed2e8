"""MNS's listing calls (ListQueue, ListTopic, ListSubscriptionByTopic): the paging headers in,
the `<Queues><Queue><QueueURL>..` document out.

MNS reads `x-mns-prefix`, `x-mns-marker` (the NextMarker of the page before) and
`x-mns-ret-number` (1-1000, default 1000) from the request headers, and answers NextMarker
only when more names follow. Names are listed in byte order; the marker is the last name of
the page, so a page stays right when names are created or deleted between two calls.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request
from starlette.responses import Response

from api.mns.registry_entity import Page, PageRequest
from api.mns.wire import invalid_argument, mns_int, xml_nested_list_document, xml_response
from translator.names import NameGrammar

MAX_RET_NUMBER: Final = 1000


def page_request(request: Request, grammar: NameGrammar, topic: str = "") -> PageRequest:
    headers = request.headers
    prefix = headers.get("x-mns-prefix", "")
    marker = headers.get("x-mns-marker", "")
    raw = headers.get("x-mns-ret-number", "").strip()
    if not grammar.may_start(prefix):
        raise invalid_argument(f"x-mns-prefix {prefix!r} cannot start a {grammar.kind} name.")
    if raw:
        limit = mns_int("x-mns-ret-number", raw)
        if not 1 <= limit <= MAX_RET_NUMBER:
            raise invalid_argument(f"x-mns-ret-number must be 1..{MAX_RET_NUMBER}, got {limit}.")
    else:
        limit = MAX_RET_NUMBER
    if marker and not grammar.is_valid(marker):
        raise invalid_argument(f"x-mns-marker {marker!r} is not a marker this service gave.")
    return PageRequest(prefix, marker, limit, topic)


def page_response(
    root: str, item: str, url_field: str, base: str, page: Page, request_id: str
) -> Response:
    items = [[(url_field, f"{base}{name}")] for name in page.names]
    tail = [("NextMarker", page.next_marker)] if page.next_marker else []
    content = xml_nested_list_document(root, item, items, tail)
    return xml_response(200, content, request_id)


def base_url(request: Request) -> str:
    """`http://host:port` as the client addressed us (the URLs MNS answers are absolute)."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"
