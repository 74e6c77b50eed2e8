"""Reading the JSON form of an action (`POST /actions/<Action>`): one object of parameters.

What curl users send, and how each is read:

* `curl --json '{...}'` or `-H 'Content-Type: application/json' -d '{...}'`: a JSON object;
* `curl -d '{...}'` (curl's default content type, application/x-www-form-urlencoded, on a JSON
  text): the JSON object, as the README's examples send it;
* `curl -d 'Name=saga&Limit=5'`: form pairs, as the RPC form's body;
* no body: no parameters.

A parameter named twice (twice in the body, or in the query string and the body) with
different values is InvalidArgument, as in the RPC form (rpc.merge_pairs); the same value
twice is accepted.

The body is capped like the RPC form's (rpc.read_capped_body): a declared Content-Length over
the limit is refused before anything is read, a chunked body as soon as it passes the limit.
Every refusal is FnF's error (EntityTooLarge, InvalidArgument, UnsupportedMediaType).
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.requests import Request

from api.protocol.errors import invalid_argument, unsupported_media_type
from api.protocol.rpc import (
    DEFAULT_MAX_REQUEST_BYTES,
    FORM_MEDIA_TYPE,
    merge_pairs,
    parse_pairs,
    read_capped_body,
)

JSON_MEDIA_TYPES: Final = frozenset({"application/json", "text/json", "text/plain", ""})


async def read_json_params(
    request: Request, *, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> dict[str, Any]:
    """The action's parameters from the JSON form's body (and its query string, if any)."""
    query = request.scope.get("query_string", b"")
    body = await read_capped_body(request, max_bytes - len(query), max_bytes)
    params: dict[str, Any] = dict(merge_pairs(parse_pairs(query, "query string")))
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not body.strip():
        return params
    if media == FORM_MEDIA_TYPE and not body.lstrip().startswith(b"{"):
        params.update(merge_pairs(parse_pairs(body, "form body")))
    elif media in JSON_MEDIA_TYPES or media == FORM_MEDIA_TYPE or media.endswith("+json"):
        for name, value in _json_object(body).items():
            if name in params and params[name] != _query_text(value):
                raise _given_twice(name)
            params[name] = value
    else:
        raise unsupported_media_type(media)
    return params


class _LastObject:
    """An `object_pairs_hook` that builds plain dicts and keeps the members of the object it
    built last: the top level, which JSON closes after everything inside it. So the body's
    parameters, duplicates included, can be checked like the RPC form's pairs."""

    def __init__(self) -> None:
        self.members: list[tuple[str, Any]] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.members = pairs
        return dict(pairs)


def _given_twice(name: str) -> Exception:
    return invalid_argument(f"Parameter {name} is given more than once, with different values.")


def _query_text(value: Any) -> Any:
    """How a body value would be spelled in the query string, to compare the two."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _json_object(body: bytes) -> dict[str, Any]:
    last = _LastObject()
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=last)
    except UnicodeDecodeError:
        raise invalid_argument("The body is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise invalid_argument(
            f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise invalid_argument("The body nests too deeply.") from None
    if not isinstance(value, dict):
        raise invalid_argument("The body must be a JSON object of the action's parameters.")
    seen: dict[str, Any] = {}
    for name, member in last.members:
        if name in seen and seen[name] != member:
            raise _given_twice(name)  # as the RPC form refuses `Name=a&Name=b`
        seen[name] = member
    return value
