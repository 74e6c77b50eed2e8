"""Reading the JSON form of an action (`POST /actions/<Action>`): one object of parameters.

What curl users send, and how each is read:

* `curl --json '{...}'` or `-H 'Content-Type: application/json' -d '{...}'`: a JSON object;
* `curl -d '{...}'` (curl's default content type, application/x-www-form-urlencoded, on a JSON
  text): the JSON object, as the README's examples send it;
* `curl -d 'Name=saga&Limit=5'`: form pairs, as the RPC form's body;
* no body: no parameters.

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
        params.update(_json_object(body))
    else:
        raise unsupported_media_type(media)
    return params


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
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
    return value
