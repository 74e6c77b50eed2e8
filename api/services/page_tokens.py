"""NextToken for the lists Temporal pages (ListExecutions, ListFlows, ListSchedules).

Temporal's page token is opaque bytes, and a visibility store may answer a malformed one with an
internal error (the dev server says "something went wrong" after the client's retries). So the
API hands out URL-safe base64 of a short SHA-256 check followed by Temporal's token, and takes
back only text whose check matches: anything else is the caller's mistake, InvalidArgument,
and never reaches Temporal. (A token crafted with a valid check is refused where the list is
fetched, see `refused_token`.)

The check also covers the list's scope: its namespace and visibility query (which name the
flow, the status, the name prefix and the time bounds). Temporal's token is a bare cursor
(a close time, start time and run id) that it applies to whatever query comes with it, so a
token from another flow's list, another filter or another action would silently skip or
repeat items. A token is good only for the list that issued it, as the FnF API documents
NextToken: "the token returned by the previous call" of the same query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Protocol

from temporalio.service import RPCError, RPCStatusCode

from api.services.failures import ServiceError, invalid_argument

CHECK_BYTES = 8


def encode_page_token(token: bytes | None, scope: str) -> str | None:
    """The NextToken for Temporal's `token` of the list named by `scope` (see `list_scope`)."""
    if not token:
        return None
    return base64.urlsafe_b64encode(_check(token, scope) + token).decode()


def decode_page_token(text: str | None, scope: str) -> bytes | None:
    """Temporal's token inside a NextToken issued for the list `scope`, or InvalidArgument;
    None for no token."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        raise not_valid(text) from None
    check, token = raw[:CHECK_BYTES], raw[CHECK_BYTES:]
    if not token or check != _check(token, scope):
        raise not_valid(text)
    return token


class PageIterator(Protocol):
    """What the workflow and schedule list iterators of temporalio share."""

    async def fetch_next_page(self, *, page_size: int | None = None) -> None: ...


async def fetch_first_page(iterator: PageIterator, limit: int, text: str | None) -> None:
    """Fetch the page `text` asked for; Temporal refusing its token is the caller's
    InvalidArgument, any other failure propagates."""
    try:
        await iterator.fetch_next_page(page_size=limit)
    except RPCError as error:
        if (refusal := refused_token(error, text)) is None:
            raise
        raise refusal from None


def refused_token(error: RPCError, text: str | None) -> ServiceError | None:
    """The InvalidArgument to answer when Temporal refused a list because of its page token."""
    if text and error.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNKNOWN):
        return not_valid(text)
    return None


def not_valid(text: str) -> ServiceError:
    return invalid_argument(f"NextToken '{text}' is not valid")


def list_scope(namespace: str, query: str) -> str:
    """What a NextToken is bound to: the namespace and the visibility query of its list."""
    return f"{namespace}\n{query}"


def _check(token: bytes, scope: str) -> bytes:
    return hashlib.sha256(scope.encode() + b"\0" + token).digest()[:CHECK_BYTES]
