"""MNS queue management: CreateQueue, SetQueueAttributes, GetQueueAttributes, DeleteQueue,
ListQueue (MNS API 2015-06-06, the queue operation pages; the SDK's `mns_client` is the
contract for what is sent and read).

    PUT    /queues/<q>                    CreateQueue           201 (Location) | 204 | 409
    PUT    /queues/<q>?metaoverride=true  SetQueueAttributes    204
    GET    /queues/<q>                    GetQueueAttributes    200
    DELETE /queues/<q>                    DeleteQueue           204
    GET    /queues                        ListQueue             200 (x-mns-prefix, x-mns-marker,
                                                                     x-mns-ret-number)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.mns.listing import base_url, page_request, page_response
from api.mns.queue_entity import AttributesChange, QueueAttributes, QueueInfo
from api.mns.queues import QueueService
from api.mns.settings import MAX_VISIBILITY_TIMEOUT
from api.mns.wire import (
    check_name,
    empty_response,
    invalid_argument,
    mns_int,
    parse_fields,
    queue_already_exist,
    queue_not_exist,
    xml_document,
    xml_response,
)
from translator.names import QUEUE

Operation = Callable[[bytes, str], Awaitable[Response]]
Answer = Callable[[Request, Operation], Awaitable[Response]]

ATTRIBUTE_RANGES: Final = {
    # MNS's CreateQueue parameter table: element -> (field, low, high)
    "VisibilityTimeout": ("visibility_timeout", 1, MAX_VISIBILITY_TIMEOUT),
    "DelaySeconds": ("delay_seconds", 0, 604_800),
    "MaximumMessageSize": ("maximum_message_size", 1_024, 65_536),
    "MessageRetentionPeriod": ("message_retention_period", 60, 604_800),
    "PollingWaitSeconds": ("polling_wait_seconds", 0, 30),
}


def add_queue_routes(router: APIRouter, answer: Answer, queues: QueueService) -> None:
    @router.get("/queues", summary="ListQueue")
    async def list_queue(request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            page = await queues.registry.queues_page(page_request(request, QUEUE))
            base = f"{base_url(request)}/queues/"
            return page_response("Queues", "Queue", "QueueURL", base, page, request_id)

        return await answer(request, operation)

    @router.put("/queues/{queue}", summary="CreateQueue and SetQueueAttributes")
    async def put_queue(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            change = parse_attributes(body)
            if request.query_params.get("metaoverride", "").lower() == "true":
                if await queues.info(queue) is None:
                    raise queue_not_exist(queue)
                await queues.set_attributes(queue, change)
                return empty_response(204, request_id)
            wanted = QueueAttributes(visibility_timeout=queues.visibility_timeout)
            _apply(wanted, change)
            location = f"{base_url(request)}/queues/{queue}"  # the SDK reads it on 204 too
            if await queues.create(queue, wanted):
                return empty_response(201, request_id, location)
            info = await queues.info(queue)
            if info is not None and not _same(info.attributes, change):
                raise queue_already_exist(queue)
            return empty_response(204, request_id, location)

        return await answer(request, operation)

    @router.get("/queues/{queue}", summary="GetQueueAttributes")
    async def get_queue(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            info = await queues.info(queue)
            if info is None:
                raise queue_not_exist(queue)
            return xml_response(200, _attributes_document(queue, info), request_id)

        return await answer(request, operation)

    @router.delete("/queues/{queue}", summary="DeleteQueue")
    async def delete_queue(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            if not await queues.delete_queue(queue):
                raise queue_not_exist(queue)
            return empty_response(204, request_id)

        return await answer(request, operation)


def parse_attributes(body: bytes) -> AttributesChange:
    """A `<Queue>` body as a change: only the elements given, each checked against its range."""
    given = parse_fields(body, "Queue")
    change = AttributesChange()
    for element, (name, low, high) in ATTRIBUTE_RANGES.items():
        raw = given.pop(element, None)
        if raw is not None:
            setattr(change, name, _int_in(element, raw, low, high))
    logging = given.pop("LoggingEnabled", None)
    if logging is not None:
        if logging.lower() not in ("true", "false"):
            raise invalid_argument(f"LoggingEnabled must be True or False, got {logging!r}.")
        change.logging_enabled = logging.lower() == "true"
    if given:
        raise invalid_argument(f"Unknown queue attribute(s): {', '.join(sorted(given))}.")
    return change


def _int_in(element: str, raw: str, low: int, high: int) -> int:
    value = mns_int(element, raw)
    if not low <= value <= high:
        raise invalid_argument(f"The value of {element} should between {low} and {high}.")
    return value


def _apply(attributes: QueueAttributes, change: AttributesChange) -> None:
    for item in fields(QueueAttributes):
        value = getattr(change, item.name, None)
        if value is not None and item.name != "now_ms":
            setattr(attributes, item.name, value)


def _same(attributes: QueueAttributes, change: AttributesChange) -> bool:
    """CreateQueue of an existing queue is a no-op (204) unless it asks for other attributes
    (409 QueueAlreadyExist); attributes it leaves out do not count."""
    return all(
        getattr(change, item.name, None) in (None, getattr(attributes, item.name))
        for item in fields(QueueAttributes)
        if item.name not in ("create_time", "last_modify_time")
    )


def _attributes_document(queue: str, info: QueueInfo) -> bytes:
    """The twelve elements the SDK's GetQueueAttrDecoder requires; times in seconds."""
    attributes = info.attributes
    return xml_document(
        "Queue",
        [
            ("QueueName", queue),
            ("CreateTime", attributes.create_time // 1000),
            ("LastModifyTime", attributes.last_modify_time // 1000),
            ("DelaySeconds", attributes.delay_seconds),
            ("MaximumMessageSize", attributes.maximum_message_size),
            ("MessageRetentionPeriod", attributes.message_retention_period),
            ("VisibilityTimeout", attributes.visibility_timeout),
            ("PollingWaitSeconds", attributes.polling_wait_seconds),
            ("ActiveMessages", info.active_messages),
            ("InactiveMessages", info.inactive_messages),
            ("DelayMessages", info.delay_messages),
            ("LoggingEnabled", "True" if attributes.logging_enabled else "False"),
        ],
    )
