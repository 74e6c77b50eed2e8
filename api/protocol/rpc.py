"""Reading an FnF RPC request: one flat set of string parameters from query and form body.

FnF speaks Alibaba's RPC (POP) style. Every call goes to path `/`; `Action`, `Version` and
the signing parameters travel in the query string; a GET action puts its own parameters in
the query string too, a POST action puts them in an `application/x-www-form-urlencoded` body
(except `TaskToken` of ReportTask*, which stays in the query). The signature covers the union
of both, so the server must merge them the same way the SDKs do before anything else:

* values are decoded (`%XX` as UTF-8, and `+` as space as in any form encoding);
* blank values are kept, because the legacy SDK sends and signs an empty `SignatureType=`;
* a name given twice with different values is refused: the SDKs never do that, and silently
  picking one would let the signed value differ from the one acted on.

Requests are capped in size (query plus body, 1 MiB by default) so a client cannot make the
facade buffer an arbitrary body; an oversized one gets FnF's `EntityTooLarge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import Request

from api.protocol.errors import (
    api_version_not_supported,
    entity_too_large,
    invalid_argument,
    missing_required_params,
    unsupported_media_type,
)
from api.protocol.params import (
    json_object_param,
    optional_bool,
    optional_int,
    optional_name,
    optional_str,
    required_name,
    required_str,
    validate_name,
)

API_VERSION: Final = "2019-03-15"
DEFAULT_MAX_REQUEST_BYTES: Final = 1024 * 1024
MAX_PARAMS: Final = 1000
FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"

COMMON_PARAMS: Final = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "RegionId",
        "Timestamp",
        "SignatureMethod",
        "SignatureType",
        "SignatureVersion",
        "SignatureNonce",
        "AccessKeyId",
        "Signature",
        "SecurityToken",
    }
)
"""Parameters every RPC call carries for dispatch and signing, as opposed to the action's own.
`SecurityToken` comes with STS credentials; it is signed but otherwise ignored."""


@dataclass(frozen=True)
class RpcCall:
    """One parsed RPC request.

    `params` holds the action's own parameters (everything outside COMMON_PARAMS); `signed`
    holds every parameter the signature covers (all of them except `Signature`).
    """

    action: str
    version: str
    params: dict[str, str]
    signed: dict[str, str]
    signature: str | None
    access_key_id: str | None

    @property
    def region_id(self) -> str | None:
        """Sent by the legacy SDK only; the tea SDK does not send it."""
        return self.signed.get("RegionId")

    @property
    def timestamp(self) -> str | None:
        return self.signed.get("Timestamp")

    @property
    def nonce(self) -> str | None:
        return self.signed.get("SignatureNonce")


async def read_rpc_params(
    request: Request,
    *,
    max_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    api_version: str | None = API_VERSION,
) -> RpcCall:
    """Merge the query string and form body of `request` into an RpcCall.

    Raises FnFError: EntityTooLarge above `max_bytes`, UnsupportedMediaType for a non-form
    body, InvalidArgument for undecodable or repeated parameters, MissingRequiredParams for
    an absent `Action` or `Version`, and APIVersionNotSupported when `Version` differs from
    `api_version` (pass None to accept any version).
    """
    query = request.scope.get("query_string", b"")
    body = await read_capped_body(request, max_bytes - len(query), max_bytes)
    pairs = parse_pairs(query, "query string")
    if body:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() != FORM_MEDIA_TYPE:
            raise unsupported_media_type(content_type)
        pairs += parse_pairs(body, "form body")
    merged = merge_pairs(pairs)

    action = merged.get("Action", "")
    if action == "":
        raise missing_required_params("Action")
    version = merged.get("Version", "")
    if version == "":
        raise missing_required_params("Version")
    if api_version is not None and version != api_version:
        raise api_version_not_supported(version)

    signature = merged.pop("Signature", None)
    return RpcCall(
        action=action,
        version=version,
        params={k: v for k, v in merged.items() if k not in COMMON_PARAMS},
        signed=merged,
        signature=signature or None,
        access_key_id=merged.get("AccessKeyId") or None,
    )


async def read_capped_body(request: Request, budget: int, max_bytes: int) -> bytes:
    """The body, refusing it as soon as it is known to exceed `budget` bytes.

    A declared Content-Length is checked before reading anything; the stream is counted as
    it arrives too, since a chunked body declares no length.
    """
    if budget < 0:
        raise entity_too_large(max_bytes)
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.strip().isascii() and declared.strip().isdigit()):
            raise invalid_argument(f"Content-Length '{declared}' is not a number.")
        if int(declared) > budget:
            raise entity_too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > budget:
            raise entity_too_large(max_bytes)
    return bytes(body)


def parse_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_PARAMS,
        )
    except UnicodeDecodeError:
        raise invalid_argument(f"The {where} is not valid UTF-8 once decoded.") from None
    except ValueError:
        raise invalid_argument(f"The {where} has more than {MAX_PARAMS} parameters.") from None


def merge_pairs(pairs: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in pairs:
        if merged.get(name, value) != value:
            raise invalid_argument(
                f"Parameter {name} is given more than once, with different values."
            )
        merged[name] = value
    return merged


__all__ = [
    "API_VERSION",
    "COMMON_PARAMS",
    "DEFAULT_MAX_REQUEST_BYTES",
    "FORM_MEDIA_TYPE",
    "RpcCall",
    "json_object_param",
    "merge_pairs",
    "optional_bool",
    "optional_int",
    "optional_name",
    "optional_str",
    "parse_pairs",
    "read_capped_body",
    "read_rpc_params",
    "required_name",
    "required_str",
    "validate_name",
]
