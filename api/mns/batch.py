"""SendMessage's and DeleteMessage's checks, and their batch forms with MNS's partial answers.

BatchSendMessage (POST /queues/<q>/messages with `<Messages>`) takes up to 16 messages of at
most 64 KB together. Each message is checked on its own: the good ones are stored, in the
order given, and when any message fails the answer lists every message in order, a stored one
with MessageId and MessageBodyMD5, a refused one with ErrorCode and ErrorMessage, which is the
list the SDK's `BatchSendMessageDecoder.decodeError` reads into `MNSServerException.sub_errors`.

BatchDeleteMessage (DELETE /queues/<q>/messages with `<ReceiptHandles>`) deletes each handle it
can and answers 204 when all went; otherwise 404 with `<Errors><Error>` naming each failed
handle with its ErrorCode (ReceiptHandleError, MessageNotExist) and ErrorMessage, the list the
SDK's `BatchDeleteMessageDecoder` reads.

The facade answers a partial failure with 400 (BatchSendMessage) and 404 (BatchDeleteMessage):
the failures it can have are the client's (a bad priority, a stale handle), never its own.
"""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

from api.mns.queue_entity import (
    DEFAULT_PRIORITY,
    MAX_PRIORITY,
    MESSAGE_NOT_EXIST,
    MESSAGE_TOO_LARGE,
    MIN_PRIORITY,
    OK,
    QUEUE_DEFAULT,
    QUEUE_FULL,
    SendRequest,
    SendResult,
)
from api.mns.queues import QueueService
from api.mns.wire import (
    Fields,
    MnsApiError,
    empty_response,
    invalid_argument,
    mns_int,
    parse_items,
    parse_texts,
    xml_list_document,
    xml_response,
)
from translator.json_values import JsonValueError, check_text

MAX_BODY_BYTES: Final = 65_536
"""MNS's largest message body, and the largest batch of them."""

MAX_DELAY_SECONDS: Final = 604_800
MAX_BATCH: Final = 16


def is_batch(body: bytes) -> bool:
    """A `<Messages>` body (BatchSendMessage) rather than a `<Message>` one."""
    head = body[:512].lstrip()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    return head.startswith(b"<Messages")


def message_body(fields: dict[str, str], limit: int = MAX_BODY_BYTES) -> str:
    """A message's MessageBody, checked at the door like every value that enters the engine
    (translator/json_values.py's text check): valid Unicode text of 1 to `limit` bytes of
    UTF-8, else MNS's InvalidArgument. The XML parser already refuses a lone surrogate (XML 1.0
    section 2.2 leaves surrogates out of its characters); checked here too, so such a body is
    never stored and never measured with an encoding error."""
    text = fields.get("MessageBody")
    if text is None:
        raise invalid_argument("The message has no MessageBody.")
    try:
        check_text(text, "MessageBody")
    except JsonValueError as refused:
        raise invalid_argument(str(refused)) from None
    size = len(text.encode("utf-8"))
    if not 1 <= size <= limit:
        raise invalid_argument(
            f"The length of MessageBody should be between 1 and {limit} bytes, got {size}."
        )
    return text


def send_request(fields: dict[str, str]) -> SendRequest:
    """One `<Message>` checked as MNS checks it; DelaySeconds left out means the queue's."""
    text = message_body(fields)
    priority = _int_field(fields, "Priority", DEFAULT_PRIORITY, MIN_PRIORITY, MAX_PRIORITY)
    delay = _int_field(fields, "DelaySeconds", QUEUE_DEFAULT, 0, MAX_DELAY_SECONDS)
    return SendRequest(text, priority, delay)


def send_error(queue: str, result: SendResult) -> MnsApiError | None:
    if result.outcome == QUEUE_FULL:
        return MnsApiError(
            400,
            QUEUE_FULL,
            f"Queue {queue} holds as many bytes as this facade keeps per queue; "
            "delete messages first.",
        )
    if result.outcome == MESSAGE_TOO_LARGE:
        return invalid_argument(
            f"The message body is larger than the MaximumMessageSize of queue {queue}."
        )
    return None


def raise_for_send(queue: str, result: SendResult) -> None:
    error = send_error(queue, result)
    if error is not None:
        raise error


async def batch_send(queues: QueueService, queue: str, body: bytes, request_id: str) -> Response:
    items = parse_items(body, "Messages", "Message")
    if not 1 <= len(items) <= MAX_BATCH:
        raise invalid_argument(f"A batch holds 1 to {MAX_BATCH} messages, got {len(items)}.")
    total = sum(len(item.get("MessageBody", "").encode("utf-8")) for item in items)
    if total > MAX_BODY_BYTES:
        raise invalid_argument(f"The messages of a batch total {total} bytes, over 65536.")
    checked: list[SendRequest | MnsApiError] = []
    for item in items:
        try:
            checked.append(send_request(item))
        except MnsApiError as refused:
            checked.append(refused)
    valid = [entry for entry in checked if isinstance(entry, SendRequest)]
    results = iter(await queues.send_batch(queue, valid) if valid else [])
    entries: list[Fields] = []
    failed = False
    for entry in checked:
        result: SendResult | None = None
        if isinstance(entry, MnsApiError):
            error: MnsApiError | None = entry
        else:
            result = next(results)
            error = send_error(queue, result)
        if error is not None:
            failed = True
            entries.append([("ErrorCode", error.code), ("ErrorMessage", error.message)])
        elif result is not None:
            entries.append([("MessageId", result.message_id), ("MessageBodyMD5", result.body_md5)])
    return _batch_send_response(entries, failed, request_id)


def _batch_send_response(entries: list[Fields], failed: bool, request_id: str) -> Response:
    content = xml_list_document("Messages", "Message", entries)
    return xml_response(400 if failed else 201, content, request_id)


async def batch_delete(queues: QueueService, queue: str, body: bytes, request_id: str) -> Response:
    handles = parse_texts(body, "ReceiptHandles", "ReceiptHandle")
    if not 1 <= len(handles) <= MAX_BATCH:
        raise invalid_argument(
            f"A batch holds 1 to {MAX_BATCH} receipt handles, got {len(handles)}."
        )
    outcomes = await queues.delete_batch(queue, handles)
    errors: list[Fields] = []
    for handle, outcome in zip(handles, outcomes, strict=True):
        if outcome == OK:
            continue
        message = (
            "Message not exist."
            if outcome == MESSAGE_NOT_EXIST
            else f"The receipt handle you provide is not valid: {handle}."
        )
        errors.append(
            [("ErrorCode", outcome), ("ErrorMessage", message), ("ReceiptHandle", handle)]
        )
    if not errors:
        return empty_response(204, request_id)
    return xml_response(404, xml_list_document("Errors", "Error", errors), request_id)


def _int_field(fields: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = fields.get(name)
    return default if raw is None else int_param(name, raw, low, high)


def int_param(name: str, raw: str, low: int, high: int | None) -> int:
    value = mns_int(name, raw)
    if value < low or (high is not None and value > high):
        limit = f"{low}..{high}" if high is not None else f"at least {low}"
        raise invalid_argument(f"{name} must be {limit}, got {value}.")
    return value
