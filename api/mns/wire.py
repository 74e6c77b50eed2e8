"""MNS's REST/XML wire format (2015-06-06) as `aliyun-mns-sdk` reads and writes it.

The SDK is strict about answers, and lenient failures turn into confusing ones:

* a success answer lacking one of the fields the SDK expects (ReceiveMessage needs all nine)
  raises `MNSClientNetworkException('RespDataDamaged')`, not the operation's result;
* an error answer must be `<Error>` XML with all of Code, Message, RequestId and HostId, or the
  SDK raises RespDataDamaged instead of `MNSServerException(type=Code)`, and workers that branch
  on `e.type` (MessageNotExist means "poll again") break;
* the request id is read from the exact, lower-case header key `x-mns-request-id`.

So every answer here is built by `xml_response` or `error_response`, never by the framework.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final
from xml.etree import ElementTree

from starlette.responses import Response

from translator.names import QUEUE, SUBSCRIPTION, TOPIC, NameGrammar

MNS_VERSION: Final = "2015-06-06"
XMLNS: Final = "http://mns.aliyuncs.com/doc/v1/"
CONTENT_TYPE: Final = "text/xml;charset=utf-8"
XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>'
REQUEST_ID_HEADER: Final = "x-mns-request-id"
VERSION_HEADER: Final = "x-mns-version"

Fields = Sequence[tuple[str, str | int]]


class MnsApiError(Exception):
    """An MNS error answer: `code` goes to the SDK's `MNSServerException.type`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def message_not_exist() -> MnsApiError:
    return MnsApiError(404, "MessageNotExist", "Message not exist.")


def queue_not_exist(name: str) -> MnsApiError:
    return MnsApiError(404, "QueueNotExist", f"The queue name you provided is not exist: {name}.")


def topic_not_exist(name: str) -> MnsApiError:
    return MnsApiError(404, "TopicNotExist", f"The topic name you provided is not exist: {name}.")


def queue_already_exist(name: str) -> MnsApiError:
    return MnsApiError(
        409,
        "QueueAlreadyExist",
        f"The queue you want to create is already exist, with other attributes: {name}.",
    )


def topic_already_exist(name: str) -> MnsApiError:
    return MnsApiError(
        409,
        "TopicAlreadyExist",
        f"The topic you want to create is already exist, with other attributes: {name}.",
    )


def subscription_not_exist(topic: str, name: str) -> MnsApiError:
    return MnsApiError(
        404,
        "SubscriptionNotExist",
        f"The subscription you provided is not exist: {name} (topic {topic}).",
    )


def subscription_already_exist(name: str) -> MnsApiError:
    return MnsApiError(
        409,
        "SubscriptionAlreadyExist",
        f"The subscription you want to create is already exist, with other attributes: {name}.",
    )


NAME_ERROR_CODES: Final = {
    QUEUE.kind: ("InvalidQueueName", "QueueNameLengthError"),
    TOPIC.kind: ("TopicNameInvalid", "TopicNameLengthError"),
    SUBSCRIPTION.kind: ("SubscriptionNameInvalid", "SubscriptionNameLengthError"),
}
"""(bad characters, bad length) codes per name kind. MNS's error-code table lists
InvalidQueueName and QueueNameLengthError (400) for any request whose queue name breaks the
naming rule; the topic and subscription codes are the ones Alibaba's MNS SDKs decode
(MNSErrorCode in the .NET SDK, the code table of aliyun-mns-go-sdk)."""


def check_name(grammar: NameGrammar, name: str) -> None:
    """Every operation that names a queue, topic or subscription refuses a malformed name with
    400 and the code above before anything is looked up: such a name can never exist, and
    saying "not exist" would hide the real mistake. The message quotes at most 200 characters
    of the name."""
    if grammar.is_valid(name):
        return
    invalid, length = NAME_ERROR_CODES[grammar.kind]
    code = length if not 0 < len(name) <= grammar.max_length else invalid
    raise MnsApiError(400, code, grammar.explain(name))


def receipt_handle_error(handle: str) -> MnsApiError:
    return MnsApiError(
        400, "ReceiptHandleError", f"The receipt handle you provide is not valid: {handle}."
    )


def missing_receipt_handle() -> MnsApiError:
    return MnsApiError(400, "MissingReceiptHandle", "ReceiptHandle is required.")


def missing_visibility_timeout() -> MnsApiError:
    return MnsApiError(400, "MissingVisibilityTimeout", "VisibilityTimeout is required.")


def invalid_argument(message: str) -> MnsApiError:
    return MnsApiError(400, "InvalidArgument", message)


def malformed_xml(detail: str) -> MnsApiError:
    return MnsApiError(400, "MalformedXML", f"The XML you provided was not well-formed: {detail}")


def internal_error() -> MnsApiError:
    return MnsApiError(500, "InternalError", "The service met an internal error; try again.")


def service_unavailable(reason: str) -> MnsApiError:
    """503 ServiceUnavailable, Alibaba Cloud's server error "The request has failed due to a
    temporary failure of the server" (MNS error codes): the SDK raises it as
    `MNSServerException(type="ServiceUnavailable")`, which callers may retry."""
    return MnsApiError(
        503,
        "ServiceUnavailable",
        f"The request has failed due to a temporary failure of the server: {reason}",
    )


def _escape(text: str) -> str:
    """XML text escaping that round-trips exactly: `\\r` as a reference, or parsers drop it."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def xml_document(root: str, fields: Fields) -> bytes:
    """`<root xmlns=MNS>` with one child element per field, in the given order."""
    children = "".join(f"<{name}>{_escape(str(value))}</{name}>" for name, value in fields)
    return f'{XML_DECLARATION}<{root} xmlns="{XMLNS}">{children}</{root}>'.encode()


def xml_list_document(root: str, item: str, items: Sequence[Fields]) -> bytes:
    """`<Messages><Message>..</Message>*</Messages>` for the batch operations."""
    inner = "".join(
        f"<{item}>"
        + "".join(f"<{name}>{_escape(str(value))}</{name}>" for name, value in fields)
        + f"</{item}>"
        for fields in items
    )
    return f'{XML_DECLARATION}<{root} xmlns="{XMLNS}">{inner}</{root}>'.encode()


def xml_nested_list_document(
    root: str, item: str, items: Sequence[Fields], tail: Fields = ()
) -> bytes:
    """Like `xml_list_document`, with plain fields after the items (ListQueue's NextMarker)."""
    inner = "".join(
        f"<{item}>"
        + "".join(f"<{name}>{_escape(str(value))}</{name}>" for name, value in fields)
        + f"</{item}>"
        for fields in items
    )
    after = "".join(f"<{name}>{_escape(str(value))}</{name}>" for name, value in tail)
    return f'{XML_DECLARATION}<{root} xmlns="{XMLNS}">{inner}{after}</{root}>'.encode()


def headers(request_id: str) -> dict[str, str]:
    """The headers every answer carries (Starlette sends header names in lower case)."""
    return {REQUEST_ID_HEADER: request_id, VERSION_HEADER: MNS_VERSION}


def xml_response(status: int, content: bytes, request_id: str) -> Response:
    return Response(content, status, headers=headers(request_id), media_type=CONTENT_TYPE)


def empty_response(status: int, request_id: str, location: str = "") -> Response:
    """204 for DeleteMessage (no body, no content type); 201 for CreateQueue, CreateTopic and
    Subscribe, whose URL the SDK reads from the `Location` header."""
    extra = {"location": location} if location else {}
    return Response(status_code=status, headers=headers(request_id) | extra)


def error_document(error: MnsApiError, request_id: str, host_id: str) -> bytes:
    """MNS's `<Error>` with the four fields the SDK requires."""
    return xml_document(
        "Error",
        [
            ("Code", error.code),
            ("Message", error.message),
            ("RequestId", request_id),
            ("HostId", host_id),
        ],
    )


def error_response(error: MnsApiError, request_id: str, host_id: str) -> Response:
    return xml_response(error.status, error_document(error, request_id, host_id), request_id)


def parse_fields(content: bytes, root_name: str) -> dict[str, str]:
    """The child texts of a `<root_name>` body; an empty body is no fields (CreateQueue with
    every attribute left to its default)."""
    if not content.strip():
        return {}
    root = _parse_root(content, root_name)
    return {_local_name(child.tag): (child.text or "").strip() for child in root}


def parse_items(content: bytes, root_name: str, item: str) -> list[dict[str, str]]:
    """`<Messages><Message>..</Message>*</Messages>`: each item's child texts, verbatim."""
    root = _parse_root(content, root_name)
    items = []
    for child in root:
        if _local_name(child.tag) != item:
            raise malformed_xml(f"<{_local_name(child.tag)}> inside <{root_name}>, not <{item}>")
        items.append({_local_name(field.tag): field.text or "" for field in child})
    return items


def parse_texts(content: bytes, root_name: str, item: str) -> list[str]:
    """`<ReceiptHandles><ReceiptHandle>h</ReceiptHandle>*</ReceiptHandles>`."""
    root = _parse_root(content, root_name)
    texts = []
    for child in root:
        if _local_name(child.tag) != item:
            raise malformed_xml(f"<{_local_name(child.tag)}> inside <{root_name}>, not <{item}>")
        texts.append((child.text or "").strip())
    return texts


def _parse_root(content: bytes, root_name: str) -> ElementTree.Element:
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise malformed_xml(str(error)) from None
    if _local_name(root.tag) != root_name:
        raise malformed_xml(f"the root element is <{_local_name(root.tag)}>, not <{root_name}>")
    return root


def parse_message(content: bytes) -> dict[str, str]:
    """The child texts of a `<Message>` request body, namespace or not, kept verbatim.

    MessageBody is not stripped and not base64-decoded: MNS stores what was sent (a Queue with
    the SDK's default `encoding=True` sends base64 and decodes it itself on receipt).
    """
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise malformed_xml(str(error)) from None
    if _local_name(root.tag) != "Message":
        raise malformed_xml(f"the root element is <{_local_name(root.tag)}>, not <Message>")
    return {_local_name(child.tag): child.text or "" for child in root}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def mns_int(name: str, raw: str) -> int:
    """The one reading of an MNS integer parameter (a query parameter, a header, an XML
    element): optional sign and ASCII digits, as MNS's documented integer parameters are
    written. Python's `int()` also takes "1_000" and non-ASCII digits ("\u0663"), which no
    MNS client sends and which must be refused like any other non-integer."""
    text = raw.strip()
    if _INTEGER.fullmatch(text) is None:
        raise invalid_argument(f"{name} must be an integer, got {raw[:50]!r}.")
    return int(text)


_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,1000}", re.ASCII)
"""Any number of digits up to 1000 (Python converts up to 4300): 2**70 is an integer out of
the documented range, and is refused as such by the caller's range check."""
