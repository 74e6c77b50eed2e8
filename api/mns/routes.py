"""The MNS REST routes (queues and topics) that `aliyun-mns-sdk` 1.3.0 and FnF's MNS tasks call.

    POST   /queues/<q>/messages                                SendMessage             201
    POST   /queues/<q>/messages  (a <Messages> body)           BatchSendMessage        201 | 400
    GET    /queues/<q>/messages[?waitseconds=N]                ReceiveMessage          200 | 404
    GET    /queues/<q>/messages?numOfMessages=N[&waitseconds]  BatchReceiveMessage     200 | 404
    GET    /queues/<q>/messages?peekonly=true[&numOfMessages]  Peek(Batch)Message      200 | 404
    DELETE /queues/<q>/messages?ReceiptHandle=h                DeleteMessage           204
    DELETE /queues/<q>/messages  (a <ReceiptHandles> body)     BatchDeleteMessage      204 | 404
    PUT    /queues/<q>/messages?ReceiptHandle=h&VisibilityTimeout=n
                                                               ChangeMessageVisibility 200
    POST   /topics/<t>/messages                                PublishMessage          201

plus queue management (`api.mns.queue_routes`) and topics and subscriptions
(`api.mns.topic_routes`).

The router goes into the FnF API's app (`app.include_router`), so one port serves both
protocols: the FnF RPC calls are all on `/`, the MNS ones under `/queues` and `/topics`, and
one AccessKey table signs both. Queues are still created on first use, so a well-formed queue
name never gets QueueNotExist from a message operation, and a malformed one gets MNS's 400
naming error (`check_name`); every other path under `/queues` or `/topics` is answered with an
MNS error (InvalidRequestURL), never with the framework's JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.mns.auth import MnsAuthenticator, canonical_resource
from api.mns.batch import (
    MAX_BATCH,
    batch_delete,
    batch_send,
    int_param,
    is_batch,
    raise_for_send,
    send_request,
)
from api.mns.certificate_route import add_certificate_route
from api.mns.listing import base_url
from api.mns.queue_entity import (
    DEFAULT_OPERATIONS_PER_RUN,
    MESSAGE_NOT_EXIST,
    QUEUE_DEFAULT,
    RECEIPT_HANDLE_ERROR,
    QueueMessage,
)
from api.mns.queue_routes import add_queue_routes
from api.mns.queues import ClientProvider, QueueService
from api.mns.registry import Registry
from api.mns.sealing import SealingKey
from api.mns.settings import MAX_VISIBILITY_TIMEOUT, MnsSettings
from api.mns.signing import SigningKeys
from api.mns.tenants import RequestNamespace, TenantClient
from api.mns.topic_routes import FanOut, add_topic_routes
from api.mns.wire import (
    Fields,
    MnsApiError,
    check_name,
    empty_response,
    error_response,
    internal_error,
    invalid_argument,
    message_not_exist,
    missing_receipt_handle,
    missing_visibility_timeout,
    parse_message,
    receipt_handle_error,
    service_unavailable,
    xml_document,
    xml_list_document,
    xml_response,
)
from api.protocol.access_keys import AccessKeys
from api.protocol.responses import host_id, new_request_id
from api.protocol.temporary import temporary_reason
from translator.names import QUEUE, TOPIC

logger = logging.getLogger(__name__)

MAX_WAIT_SECONDS: Final = 30
"""MNS documents waitseconds as 0..30 (ReceiveMessage); a longer wait is refused with
InvalidArgument, as every other out-of-range integer parameter is, rather than capped."""

MAX_REQUEST_BYTES: Final = 4 * 65_536
"""Four times MNS's largest message (or batch): XML escaping may grow a body that much."""

ALL_METHODS: Final = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

Operation = Callable[[bytes, str], Awaitable[Response]]


def mns_router(
    client_provider: ClientProvider,
    access_keys: AccessKeys,
    allow_unsigned: bool,
    task_queue: str,
    *,
    settings: MnsSettings | None = None,
    operations_per_run: int = DEFAULT_OPERATIONS_PER_RUN,
    tenant_client: TenantClient | None = None,
    signing_keys: SigningKeys | None = None,
) -> APIRouter:
    """The MNS routes. `task_queue` is where a worker runs `mns_workflows()` (the API's own,
    in every namespace served); `settings` default to the environment
    (`MnsSettings.from_env`). With `tenant_client`, each request is served in the namespace of
    the AccessKey that signed it (`api.mns.tenants`); `client_provider` is the API's own
    namespace, which keeps the push signing key (`signing_keys`, by default read from there
    and sealed with a key of this process only: `fnf api` passes the deployment's).
    """
    config = settings if settings is not None else MnsSettings.from_env()
    namespace = RequestNamespace(client_provider, tenant_client)
    keys = signing_keys or SigningKeys(
        Registry(client_provider, task_queue), SealingKey.ephemeral()
    )
    registry = Registry(namespace.client, task_queue)
    queues = QueueService(
        namespace.client,
        task_queue,
        operations_per_run=operations_per_run,
        registry=registry,
        visibility_timeout=config.visibility_timeout,
    )
    auth = MnsAuthenticator(access_keys, allow_unsigned=allow_unsigned)
    fan_out = FanOut(registry, queues, config, namespace.client, task_queue)
    router = APIRouter(tags=["MNS"])

    async def answer(request: Request, operation: Operation) -> Response:
        """Authenticate, run, and turn every failure into MNS's error XML."""
        request_id = new_request_id()
        try:
            body = await _read_body(request)
            scope = request.scope
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
            resource = canonical_resource(raw_path, scope.get("query_string", b""))
            signer = auth.verify(request.method, dict(request.headers.items()), resource, body)
            with namespace.signed_by(signer):
                return await operation(body, request_id)
        except MnsApiError as error:
            return error_response(error, request_id, _host_id(request))
        except Exception as error:
            reason = temporary_reason(error)
            if reason is not None:
                logger.warning("MNS %s %s: %s", request.method, request.url.path, reason)
                unavailable = service_unavailable(reason)
                return error_response(unavailable, request_id, _host_id(request))
            logger.exception("MNS %s %s failed", request.method, request.url.path)
            return error_response(internal_error(), request_id, _host_id(request))

    @router.post("/queues/{queue}/messages", summary="SendMessage")
    async def send_message(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            if is_batch(body):
                return await batch_send(queues, queue, body, request_id)
            request = send_request(parse_message(body))
            sent = await queues.send(
                queue,
                request.body,
                priority=request.priority,
                delay_seconds=request.delay_seconds,
            )
            raise_for_send(queue, sent)
            content = xml_document(
                "Message", [("MessageId", sent.message_id), ("MessageBodyMD5", sent.body_md5)]
            )
            return xml_response(201, content, request_id)

        return await answer(request, operation)

    @router.get("/queues/{queue}/messages", summary="ReceiveMessage and PeekMessage")
    async def receive_message(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            query = request.query_params
            batch = query.get("numOfMessages")
            count = 1 if batch is None else int_param("numOfMessages", batch, 1, MAX_BATCH)
            if query.get("peekonly", "").lower() == "true":
                peeked = await queues.peek(queue, count)
                if not peeked:
                    raise message_not_exist()
                return _messages_response(peeked, _peeked_fields, batch is not None, request_id)
            wait = query.get("waitseconds")
            if wait is None:
                info = await queues.info(queue)  # the queue's PollingWaitSeconds
                seconds = info.attributes.polling_wait_seconds if info is not None else 0
            else:
                seconds = int_param("waitseconds", wait, 0, MAX_WAIT_SECONDS)
            received = await queues.receive(
                queue,
                wait_seconds=seconds,
                visibility_timeout=QUEUE_DEFAULT,
                max_messages=count,
                disconnected=request.is_disconnected,
            )
            if not received:
                raise message_not_exist()
            return _messages_response(received, _received_fields, batch is not None, request_id)

        return await answer(request, operation)

    @router.delete("/queues/{queue}/messages", summary="DeleteMessage")
    async def delete_message(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            handle = request.query_params.get("ReceiptHandle") or ""
            if not handle and body.strip():
                return await batch_delete(queues, queue, body, request_id)
            if not handle:
                raise missing_receipt_handle()
            _raise_for(await queues.delete(queue, handle), handle)
            return empty_response(204, request_id)

        return await answer(request, operation)

    @router.put("/queues/{queue}/messages", summary="ChangeMessageVisibility")
    async def change_message_visibility(queue: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(QUEUE, queue)
            handle = request.query_params.get("ReceiptHandle") or ""
            if not handle:
                raise missing_receipt_handle()
            raw_timeout = request.query_params.get("VisibilityTimeout")
            if raw_timeout is None or raw_timeout == "":
                raise missing_visibility_timeout()
            seconds = int_param("VisibilityTimeout", raw_timeout, 0, MAX_VISIBILITY_TIMEOUT)
            changed = await queues.change_visibility(queue, handle, seconds)
            _raise_for(changed.outcome, handle)
            content = xml_document(
                "ChangeVisibility",
                [
                    ("ReceiptHandle", changed.receipt_handle),
                    ("NextVisibleTime", changed.next_visible_time),
                ],
            )
            return xml_response(200, content, request_id)

        return await answer(request, operation)

    @router.post("/topics/{topic}/messages", summary="PublishMessage")
    async def publish_message(topic: str, request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            check_name(TOPIC, topic)
            fields = parse_message(body)
            published = await fan_out.publish(topic, fields, request_id, base_url(request))
            content = xml_document(
                "Message",
                [("MessageId", published.message_id), ("MessageBodyMD5", published.body_md5)],
            )
            return xml_response(201, content, request_id)

        return await answer(request, operation)

    add_queue_routes(router, answer, queues)
    add_topic_routes(router, answer, registry, fan_out)
    add_certificate_route(router, keys)

    @router.api_route("/queues/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    @router.api_route("/topics/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    async def unsupported(request: Request) -> Response:
        async def operation(body: bytes, request_id: str) -> Response:
            raise MnsApiError(
                400,
                "InvalidRequestURL",
                f"{request.method} {request.url.path} is not an MNS operation this facade serves.",
            )

        return await answer(request, operation)

    return router


async def _read_body(request: Request) -> bytes:
    """The body, refused past MAX_REQUEST_BYTES instead of read whole into memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise invalid_argument(f"The request body is larger than {MAX_REQUEST_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _host_id(request: Request) -> str:
    return f"{request.url.scheme}://{host_id(request)}"


def _raise_for(outcome: str, handle: str) -> None:
    if outcome == RECEIPT_HANDLE_ERROR:
        raise receipt_handle_error(handle)
    if outcome == MESSAGE_NOT_EXIST:
        raise message_not_exist()


def _received_fields(message: QueueMessage) -> Fields:
    """The nine fields the SDK requires of a received message, handle exactly as stored."""
    return [
        ("MessageId", message.message_id),
        ("ReceiptHandle", message.receipt_handle),
        ("MessageBodyMD5", message.body_md5),
        ("MessageBody", message.body),
        ("EnqueueTime", message.enqueue_time),
        ("NextVisibleTime", message.next_visible_time),
        ("FirstDequeueTime", message.first_dequeue_time),
        ("DequeueCount", message.dequeue_count),
        ("Priority", message.priority),
    ]


def _peeked_fields(message: QueueMessage) -> Fields:
    """A peeked message has no handle and no NextVisibleTime: peeking hides nothing."""
    return [
        ("MessageId", message.message_id),
        ("MessageBodyMD5", message.body_md5),
        ("MessageBody", message.body),
        ("EnqueueTime", message.enqueue_time),
        ("FirstDequeueTime", message.first_dequeue_time),
        ("DequeueCount", message.dequeue_count),
        ("Priority", message.priority),
    ]


def _messages_response(
    messages: Sequence[QueueMessage],
    fields: Callable[[QueueMessage], Fields],
    batch: bool,
    request_id: str,
) -> Response:
    if batch:
        content = xml_list_document("Messages", "Message", [fields(m) for m in messages])
    else:
        content = xml_document("Message", fields(messages[0]))
    return xml_response(200, content, request_id)
