"""The answer to a request whose head (request line and headers) is larger than the server
reads, in the protocol its path speaks.

The HTTP server reads a request's head whole before the app sees anything, so a head has a
bound (MAX_REQUEST_HEAD_BYTES) and the app never runs for one over it. Parameters belong in
the head only for GET-style calls: Alibaba's RPC protocol lets a client put any parameter in
the query string (`CommonRequest.add_query_param`), and a large `Input` sent that way is the
usual way to get here. The answer must still be one the client can read: FnF's JSON error for
the RPC and JSON-form paths, MNS's error XML under `/queues` and `/topics`, each saying which
part was too long and that parameters go in the body (a POST form body, or the JSON form's
body), where the 1 MiB request limit applies. RFC 9112 section 3 (a server that receives a
request line longer than it parses answers 414) and RFC 6585 section 5 (431 for header fields)
give the HTTP-level reason; FnF's own code for a request over its size limit is EntityTooLarge,
whose documented status is 400, and the status must stay FnF's for its code (api.protocol.errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from api.mns.wire import CONTENT_TYPE as MNS_CONTENT_TYPE
from api.mns.wire import MnsApiError, error_document
from api.mns.wire import headers as mns_headers
from api.protocol.errors import Code, FnFError, error_body
from api.protocol.responses import new_request_id
from api.protocol.rpc import DEFAULT_MAX_REQUEST_BYTES

MAX_REQUEST_HEAD_BYTES: Final = 64 * 1024
"""The most bytes of request line plus headers read before the head is refused (h11's
default is 16 KiB): room for GET calls with modest parameters, and a bound on what one
connection buffers before its request is known."""

HOST_ID: Final = "fnf-temporal"
MNS_PREFIXES: Final = (b"/queues", b"/topics")


@dataclass(frozen=True)
class HeadAnswer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def head_too_large(buffered: bytes, limit: int = MAX_REQUEST_HEAD_BYTES) -> HeadAnswer:
    """The answer to a request of which `buffered` (more than `limit` bytes) was read without
    finding the end of its head."""
    line_end = buffered.find(b"\n")
    if line_end < 0 or line_end >= limit:
        what = "The request line is"
    else:
        what = "The request line and headers together are"
    message = (
        f"{what} longer than the {limit} bytes this server reads before the body; send the "
        "action's parameters in the request body instead (a POST with an "
        "application/x-www-form-urlencoded body, or the JSON form), where requests of up to "
        f"{DEFAULT_MAX_REQUEST_BYTES} bytes are accepted."
    )
    if _path(buffered).startswith(MNS_PREFIXES):
        return _mns_answer(message)
    return _fnf_answer(message)


def _path(buffered: bytes) -> bytes:
    """The target's path, from as much of the request line as was read."""
    line = buffered.split(b"\n", 1)[0]
    parts = line.split(b" ", 2)
    target = parts[1] if len(parts) > 1 else b""
    return target.split(b"?", 1)[0]


def _fnf_answer(message: str) -> HeadAnswer:
    error = FnFError(Code.ENTITY_TOO_LARGE, message)
    body = json.dumps(error_body(error, new_request_id(), HOST_ID)).encode()
    return HeadAnswer(error.status, [(b"content-type", b"application/json")], body)


def _mns_answer(message: str) -> HeadAnswer:
    request_id = new_request_id()
    error = MnsApiError(400, "InvalidArgument", message)
    headers = [(b"content-type", MNS_CONTENT_TYPE.encode())] + [
        (name.encode(), value.encode()) for name, value in mns_headers(request_id).items()
    ]
    return HeadAnswer(error.status, headers, error_document(error, request_id, HOST_ID))
