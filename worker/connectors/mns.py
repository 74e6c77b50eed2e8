"""MNS client: SendMessage (queues) and PublishMessage (topics) over MNS's REST/XML protocol.

Task steps with `resourceArn: acs:mns:::/queues/<q>/messages` or `acs:mns:::/topics/<t>/messages`
send through here, to Alibaba MNS itself or to any server speaking its protocol. The bytes on the
wire are those of the official aliyun-mns-sdk (version 2015-06-06): the same XML, the same
`content-md5` (base64 of the hex digest, not of the raw digest) and the same `MNS id:signature`
authorization, so either kind of server accepts them. `sign` and `string_to_sign` are public so
that a server can verify requests with the very code that signs them.

Every failure is an `MnsError` whose `name` is what a flow's retry/catch match on:
`MNS.<Code>` from MNS's error XML (`MNS.QueueNotExist`), `MNS.InvalidArgument` for values MNS
would refuse (checked before sending), `MNS.NetworkError` when no answer came, and
`MNS.InternalError`/`MNS.InvalidResponse` for answers that are not MNS XML.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx

from translator.json_values import json_text
from translator.names import QUEUE, TOPIC, NameGrammar
from worker.functions.errors import truncate_cause

MNS_VERSION = "2015-06-06"
XMLNS = "http://mns.aliyuncs.com/doc/v1/"
CONTENT_TYPE = "text/xml;charset=UTF-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

MNS_INVALID_ARGUMENT = "MNS.InvalidArgument"
MNS_INVALID_RESPONSE = "MNS.InvalidResponse"
MNS_INTERNAL_ERROR = "MNS.InternalError"
MNS_NETWORK_ERROR = "MNS.NetworkError"

MIN_PRIORITY, MAX_PRIORITY = 1, 16
MAX_DELAY_SECONDS = 7 * 24 * 3600
MAX_TAG_CHARS = 16
"""MNS's own limits; the SDK refuses the same values before sending."""

ERROR_BODY_CHARS = 512
"""How much of an answer that is not MNS XML goes into the cause: enough to recognise it."""

_XML_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class MnsCredentials:
    """An AccessKey pair, plus the STS token when the pair is temporary."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


class MnsError(Exception):
    """An MNS call failed with FnF error `name` (what retry/catch match) and `cause` (text)."""

    def __init__(self, name: str, cause: str) -> None:
        cause = truncate_cause(cause)
        super().__init__(f"{name}: {cause}")
        self.name = name
        self.cause = cause

    def __reduce__(self) -> tuple[type[MnsError], tuple[str, str]]:
        # Exceptions with a custom __init__ do not pickle by default; keep them portable.
        return (MnsError, (self.name, self.cause))


def content_md5(body: bytes) -> str:
    """The `content-md5` header MNS wants: base64 of the lower-case HEX md5, not of the digest."""
    return base64.b64encode(hashlib.md5(body).hexdigest().encode("ascii")).decode("ascii")


def string_to_sign(
    method: str,
    content_md5: str,
    content_type: str,
    date: str,
    mns_headers: dict[str, str],
    resource: str,
) -> str:
    """MNS's StringToSign. `mns_headers` may hold any headers: only `x-mns-*` ones are signed.

    `resource` is the request URI exactly as sent (path, and `?query` if any).
    """
    signed = sorted(
        (name.lower(), value)
        for name, value in mns_headers.items()
        if name.lower().startswith("x-mns-")
    )
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in signed)
    return f"{method}\n{content_md5}\n{content_type}\n{date}\n{canonical_headers}{resource}"


def sign(
    secret: str,
    method: str,
    content_md5: str,
    content_type: str,
    date: str,
    mns_headers: dict[str, str],
    resource: str,
) -> str:
    """base64(HMAC-SHA1(secret, StringToSign)): the part after `MNS <AccessKeyId>:`."""
    text = string_to_sign(method, content_md5, content_type, date, mns_headers, resource)
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class MnsClient:
    """Sends to one MNS endpoint (`https://<account>.mns.<region>.aliyuncs.com` or alike)."""

    def __init__(
        self,
        endpoint: str,
        credentials: MnsCredentials,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._endpoint = _checked_endpoint(endpoint)
        self._credentials = credentials
        self._client = http_client
        self._owns_client = http_client is None
        self._timeout = timeout

    async def send_message(
        self,
        queue: str,
        body: str,
        *,
        priority: int | None = None,
        delay_seconds: int | None = None,
    ) -> dict[str, str]:
        """SendMessage; returns {"MessageId", "MessageBodyMD5", "RequestId"}."""
        _check_name(QUEUE, queue)
        _check_body(body)
        elements = [_element("MessageBody", body)]
        if delay_seconds is not None:
            _check_int("DelaySeconds", delay_seconds, 0, MAX_DELAY_SECONDS)
            elements.append(_element("DelaySeconds", str(delay_seconds)))
        if priority is not None:
            _check_int("Priority", priority, MIN_PRIORITY, MAX_PRIORITY)
            elements.append(_element("Priority", str(priority)))
        return await self._post(f"/queues/{queue}/messages", _message_xml(elements))

    async def publish_message(
        self,
        topic: str,
        body: str,
        *,
        tag: str | None = None,
        attributes: dict[str, Any] | str | None = None,
    ) -> dict[str, str]:
        """PublishMessage; returns {"MessageId", "MessageBodyMD5", "RequestId"}.

        `attributes` is FnF's MessageAttributes: an object such as `{"DirectMail": {...}}`
        becomes one child element per key holding the value's JSON text, as the SDK sends it; a
        string holding such an object is read the same way, and any other string is sent as is.
        """
        _check_name(TOPIC, topic)
        _check_body(body)
        elements = [_element("MessageBody", body)]
        if tag:
            _check_tag(tag)
            elements.append(_element("MessageTag", tag))
        if attributes:  # the SDK leaves out empty attributes too
            elements.append(_attributes_element(attributes))
        return await self._post(f"/topics/{topic}/messages", _message_xml(elements))

    async def aclose(self) -> None:
        """Close the HTTP client if this MnsClient created it; a given one belongs to its giver."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def _post(self, path: str, body: bytes) -> dict[str, str]:
        request = self._signed_request(self._endpoint + path, body)
        try:
            response = await self._http().send(request)
        except httpx.HTTPError as exc:
            raise MnsError(
                MNS_NETWORK_ERROR,
                f"POST {request.url} to MNS endpoint {self._endpoint} failed: "
                f"{type(exc).__name__}: {exc}",
            ) from exc
        if not response.is_success:
            raise _error_of(response)
        return _result_of(response)

    def _signed_request(self, url: str, body: bytes) -> httpx.Request:
        """The request with its signature computed over the headers it will really carry."""
        headers = {
            "date": formatdate(usegmt=True),
            "x-mns-version": MNS_VERSION,
            "content-type": CONTENT_TYPE,
            "content-md5": content_md5(body),
        }
        token = self._credentials.security_token
        if token:
            headers["security-token"] = token
        request = self._http().build_request(
            "POST", url, content=body, headers=headers, timeout=self._timeout
        )
        signature = sign(
            self._credentials.access_key_secret,
            request.method,
            headers["content-md5"],
            CONTENT_TYPE,
            headers["date"],
            dict(request.headers),
            request.url.raw_path.decode("ascii"),
        )
        request.headers["Authorization"] = f"MNS {self._credentials.access_key_id}:{signature}"
        return request


def _checked_endpoint(endpoint: str) -> str:
    """The endpoint without trailing slashes; ValueError if it is not an http(s) base URL."""
    stripped = endpoint.strip().rstrip("/")
    parts = urlsplit(stripped)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"MNS endpoint must start with http:// or https:// and name a host, got {endpoint!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"MNS endpoint must not have a query or fragment, got {endpoint!r}")
    return stripped


def _check_name(grammar: NameGrammar, name: str) -> None:
    """Queue and topic names go into the URL path: only names of the grammar, which hold nothing
    that could change the path."""
    if not grammar.is_valid(name):
        raise MnsError(MNS_INVALID_ARGUMENT, grammar.explain(name))


def _check_body(body: str) -> None:
    if not body:
        raise MnsError(MNS_INVALID_ARGUMENT, "MessageBody must not be empty")


def _check_int(element: str, value: int, low: int, high: int) -> None:
    # bool is an int to Python but not to MNS; neither is a float that slipped through.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MnsError(
            MNS_INVALID_ARGUMENT,
            f"{element} must be an integer in {low}..{high}, got {json_text(value)}",
        )


def _check_tag(tag: str) -> None:
    if len(tag) > MAX_TAG_CHARS:
        raise MnsError(
            MNS_INVALID_ARGUMENT,
            f"MessageTag must be at most {MAX_TAG_CHARS} characters: {json_text(tag)}",
        )


def _escape(text: str) -> str:
    """XML-escape text as the SDK's minidom does: & < " > (the quote too, unlike ElementTree)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace(">", "&gt;")
    )


def _element(tag: str, text: str) -> str:
    return f"<{tag}>{_escape(text)}</{tag}>"


def _message_xml(elements: list[str]) -> bytes:
    content = "".join(elements)
    return f'{XML_DECLARATION}<Message xmlns="{XMLNS}">{content}</Message>'.encode()


def _attributes_element(attributes: dict[str, Any] | str) -> str:
    """<MessageAttributes>: <Key>JSON</Key> per key of an object, else the string as text."""
    if isinstance(attributes, str):
        parsed = _json_object(attributes)
        if parsed is None:
            return _element("MessageAttributes", attributes)
        attributes = parsed
    children = []
    for key, value in attributes.items():
        if not _XML_TAG.fullmatch(key):
            raise MnsError(MNS_INVALID_ARGUMENT, f"Invalid MessageAttributes key {json_text(key)}")
        text = value if isinstance(value, str) else _compact_json(value)
        children.append(_element(key, text))
    return f"<MessageAttributes>{''.join(children)}</MessageAttributes>"


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _compact_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise MnsError(MNS_INVALID_ARGUMENT, f"MessageAttributes is not JSON: {exc}") from exc


def _fields(content: bytes, root: str) -> dict[str, str] | None:
    """The child texts of an MNS XML answer whose root is `root`, namespace or not; else None."""
    try:
        element = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    if _local_name(element.tag) != root:
        return None
    return {_local_name(child.tag): (child.text or "").strip() for child in element}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _request_id(response: httpx.Response) -> str:
    return str(response.headers.get("x-mns-request-id", ""))


def _result_of(response: httpx.Response) -> dict[str, str]:
    fields = _fields(response.content, "Message")
    if not fields or not fields.get("MessageId"):
        raise MnsError(
            MNS_INVALID_RESPONSE,
            f"HTTP {response.status_code} from {response.request.url} has no MessageId: "
            f"{_excerpt(response)}",
        )
    return {
        "MessageId": fields["MessageId"],
        "MessageBodyMD5": fields.get("MessageBodyMD5", ""),
        "RequestId": _request_id(response),
    }


def _error_of(response: httpx.Response) -> MnsError:
    """`MNS.<Code>` from MNS's error XML; otherwise a name chosen by the status."""
    fields = _fields(response.content, "Error")
    if fields and fields.get("Code"):
        cause = {
            "Code": fields["Code"],
            "Message": fields.get("Message", ""),
            "RequestId": fields.get("RequestId") or _request_id(response),
        }
        return MnsError(f"MNS.{fields['Code']}", json.dumps(cause, separators=(",", ":")))
    name = MNS_INTERNAL_ERROR if response.status_code >= 500 else MNS_INVALID_RESPONSE
    return MnsError(
        name,
        f"HTTP {response.status_code} from {response.request.url}: {_excerpt(response)}",
    )


def _excerpt(response: httpx.Response) -> str:
    return response.text[:ERROR_BODY_CHARS]
