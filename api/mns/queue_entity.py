"""FnFMnsQueue: one long-lived workflow per MNS queue, holding the queue's messages.

Temporal is the project's only durable store, so a queue is a workflow (id
`fnf-mns-queue:<name>`) and every change to it is a Temporal Update: an Update is synchronous
for the caller (the SDK's SendMessage gets its MessageId back) and durable once it returns (it
is in the workflow's history), which is what MNS promises for a 201 or a 204.

Reads that change nothing (is anything visible yet? how deep is the queue?) are Queries, so the
facade's long polling costs no history: it queries every ~150 ms and sends a `receive` Update
only when the query says a message is visible.

Time is the caller's `now_ms` (the facade's clock at the request), or `workflow.now()` when the
caller passes 0. Either way it is recorded in history, so replay sees the same times and mints
the same ids (`workflow.uuid4()`).

Receipt handles are `<MessageId><16 hex>`: URL-safe (the SDK does not URL-encode them) and they
name their message, so a stale handle can be told apart from a vanished message, as MNS does:
ReceiptHandleError for an unknown, superseded or expired handle of a message that is still
there; MessageNotExist once the message itself is gone.

The run continues as new after `operations_per_run` Updates (or when Temporal suggests it),
carrying the messages, so the history of each run stays short.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from translator.names import QUEUE

QUEUE_WORKFLOW = "FnFMnsQueue"
QUEUE_ID_PREFIX = "fnf-mns-queue:"

DEFAULT_PRIORITY = 8
MIN_PRIORITY, MAX_PRIORITY = 1, 16
DEFAULT_OPERATIONS_PER_RUN = 500
MIN_RUN_LIFETIME = timedelta(seconds=2)
"""A run continues as new no sooner than this after it started. Temporal holds back the first
workflow task of a run that follows its predecessor's start by less than
`history.workflowIdReuseMinimalInterval` (1 s by default); on a busy queue that continued as
new every few hundred milliseconds, most Updates and Queries waited up to a second for it.
(An Update that races the hand-over itself is still retried by the client after ~1 s; that
is one reason to continue as new only every `DEFAULT_OPERATIONS_PER_RUN` Updates.)"""

RETENTION_MS = 345_600_000
"""MNS's default MessageRetentionPeriod (4 days): older messages are dropped, as MNS does."""

MAX_QUEUE_BYTES = 1_000_000
"""The state travels as one payload when the run continues as new, and Temporal refuses
payloads over 2 MB; sends that would grow a queue past this many bytes are refused."""

MESSAGE_OVERHEAD_BYTES = 256
"""What a message costs in the state besides its body (ids, times, field names)."""

HANDLE_NONCE_CHARS = 16
MESSAGE_ID_CHARS = 32

OK = "ok"
RECEIPT_HANDLE_ERROR = "ReceiptHandleError"
MESSAGE_NOT_EXIST = "MessageNotExist"
QUEUE_FULL = "QueueFull"
MESSAGE_TOO_LARGE = "MessageTooLarge"

QUEUE_DEFAULT = -1
"""A SendRequest's `delay_seconds` or a ReceiveRequest's `visibility_timeout` of -1: use the
queue's attribute (DelaySeconds, VisibilityTimeout), as MNS does when a call leaves it out."""


def queue_workflow_id(queue: str) -> str:
    """`fnf-mns-queue:<name>`: MNS names hold neither `:` nor `/` (translator/names.py), so ids
    cannot clash with each other, with flows' or with executions'."""
    return f"{QUEUE_ID_PREFIX}{QUEUE.check(queue)}"


def body_md5(body: str) -> str:
    """MessageBodyMD5: the upper-case hex MD5 of the stored body text (UTF-8)."""
    return hashlib.md5(body.encode("utf-8")).hexdigest().upper()


@dataclass
class QueueMessage:
    """One message, with MNS's fields; times are epoch milliseconds, 0 for "not yet"."""

    message_id: str
    body: str
    body_md5: str
    enqueue_time: int
    next_visible_time: int
    priority: int
    sequence: int
    first_dequeue_time: int = 0
    dequeue_count: int = 0
    receipt_handle: str = ""


@dataclass
class QueueAttributes:
    """MNS's queue attributes (CreateQueue, SetQueueAttributes, GetQueueAttributes); seconds
    and bytes as MNS counts them, times in epoch milliseconds."""

    visibility_timeout: int = 30
    delay_seconds: int = 0
    maximum_message_size: int = 65_536
    message_retention_period: int = RETENTION_MS // 1000
    polling_wait_seconds: int = 0
    logging_enabled: bool = False
    create_time: int = 0
    last_modify_time: int = 0


@dataclass
class AttributesChange:
    """SetQueueAttributes: None leaves an attribute as it is."""

    now_ms: int = 0
    visibility_timeout: int | None = None
    delay_seconds: int | None = None
    maximum_message_size: int | None = None
    message_retention_period: int | None = None
    polling_wait_seconds: int | None = None
    logging_enabled: bool | None = None


@dataclass
class QueueInfo:
    """GetQueueAttributes: the attributes and the counts MNS reports beside them."""

    attributes: QueueAttributes
    active_messages: int
    inactive_messages: int
    delay_messages: int


@dataclass
class QueueState:
    """What one run hands to the next: the messages and the counter that orders them.

    `attributes` is None in runs started before queues had attributes: MNS's defaults."""

    name: str
    messages: list[QueueMessage] = field(default_factory=list)
    next_sequence: int = 0
    operations_per_run: int = DEFAULT_OPERATIONS_PER_RUN
    attributes: QueueAttributes | None = None


@dataclass
class SendRequest:
    body: str
    priority: int = DEFAULT_PRIORITY
    delay_seconds: int = 0
    now_ms: int = 0


@dataclass
class SendResult:
    """`outcome` is OK or QUEUE_FULL; the ids are empty unless OK."""

    outcome: str
    message_id: str = ""
    body_md5: str = ""


@dataclass
class ReceiveRequest:
    visibility_timeout: int
    now_ms: int = 0
    max_messages: int = 1


@dataclass
class HandleRequest:
    """DeleteMessage (`visibility_timeout` unused) or ChangeMessageVisibility."""

    receipt_handle: str
    now_ms: int = 0
    visibility_timeout: int = 0


@dataclass
class VisibilityResult:
    """`outcome` is OK, RECEIPT_HANDLE_ERROR or MESSAGE_NOT_EXIST; the rest only for OK."""

    outcome: str
    receipt_handle: str = ""
    next_visible_time: int = 0


@dataclass
class QueueDepth:
    """Counts for tests and operators: visible now, and hidden (received or delayed)."""

    visible: int
    hidden: int


@workflow.defn(name=QUEUE_WORKFLOW)
class FnFMnsQueue:
    @workflow.init
    def __init__(self, state: QueueState) -> None:
        # Built in init, so Updates that arrive with the start find the messages in place.
        self._state = state
        self._operations = 0
        self._attributes = state.attributes if state.attributes is not None else QueueAttributes()

    @workflow.run
    async def run(self, state: QueueState) -> None:
        await workflow.wait_condition(
            lambda: (
                self._operations >= self._state.operations_per_run
                or workflow.info().is_continue_as_new_suggested()
            )
        )
        age = workflow.now() - workflow.info().start_time
        if age < MIN_RUN_LIFETIME:
            await workflow.sleep(MIN_RUN_LIFETIME - age)  # Updates are still served meanwhile
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._state)

    @workflow.update(
        name="send",
        description="internal, for the MNS facade of fnf api: SendMessage to this queue.",
    )
    def send(self, request: SendRequest) -> SendResult:
        return self._send(request)

    def _send(self, request: SendRequest) -> SendResult:
        now = self._now(request.now_ms)
        self._operation(now)
        if len(request.body.encode("utf-8")) > self._attributes.maximum_message_size:
            return SendResult(MESSAGE_TOO_LARGE)
        if self._stored_bytes() + _cost(request.body) > MAX_QUEUE_BYTES:
            return SendResult(QUEUE_FULL)
        delay = request.delay_seconds
        if delay == QUEUE_DEFAULT:
            delay = self._attributes.delay_seconds
        message = QueueMessage(
            message_id=workflow.uuid4().hex.upper(),
            body=request.body,
            body_md5=body_md5(request.body),
            enqueue_time=now,
            next_visible_time=now + delay * 1000,
            priority=request.priority,
            sequence=self._state.next_sequence,
        )
        self._state.next_sequence += 1
        self._state.messages.append(message)
        return SendResult(OK, message.message_id, message.body_md5)

    @workflow.update(
        name="send_batch",
        description="internal, for the MNS facade of fnf api: BatchSendMessage to this queue.",
    )
    def send_batch(self, requests: list[SendRequest]) -> list[SendResult]:
        """BatchSendMessage: each message as `send` would take it, in the order given."""
        return [self._send(request) for request in requests]

    @workflow.update(
        name="delete_batch",
        description="internal, for the MNS facade of fnf api: BatchDeleteMessage by receipt "
        "handles.",
    )
    def delete_batch(self, requests: list[HandleRequest]) -> list[str]:
        """BatchDeleteMessage: each handle's outcome, as `delete` would give it."""
        return [self._delete(request) for request in requests]

    @workflow.update(
        name="receive",
        description="internal, for the MNS facade of fnf api: ReceiveMessage, the next "
        "visible message, hidden for the visibility timeout.",
    )
    def receive(self, request: ReceiveRequest) -> QueueMessage | None:
        """The first visible message by (priority, enqueue order), hidden for the visibility
        timeout under a new receipt handle; None when nothing is visible."""
        received = self._receive(request)
        return received[0] if received else None

    @workflow.update(
        name="receive_batch",
        description="internal, for the MNS facade of fnf api: BatchReceiveMessage.",
    )
    def receive_batch(self, request: ReceiveRequest) -> list[QueueMessage]:
        """Up to `max_messages` visible messages, in the order `receive` would give them."""
        return self._receive(request)

    @workflow.update(
        name="delete",
        description="internal, for the MNS facade of fnf api: DeleteMessage by receipt handle.",
    )
    def delete(self, request: HandleRequest) -> str:
        return self._delete(request)

    def _delete(self, request: HandleRequest) -> str:
        now = self._now(request.now_ms)
        self._operation(now)
        message, outcome = self._by_handle(request.receipt_handle, now)
        if message is not None:
            self._state.messages.remove(message)
        return outcome

    @workflow.update(
        name="change_visibility",
        description="internal, for the MNS facade of fnf api: ChangeMessageVisibility by "
        "receipt handle.",
    )
    def change_visibility(self, request: HandleRequest) -> VisibilityResult:
        """Hide the message for `visibility_timeout` seconds from now; the old handle dies."""
        now = self._now(request.now_ms)
        self._operation(now)
        message, outcome = self._by_handle(request.receipt_handle, now)
        if message is None:
            return VisibilityResult(outcome)
        message.next_visible_time = now + request.visibility_timeout * 1000
        message.receipt_handle = self._new_handle(message)
        return VisibilityResult(OK, message.receipt_handle, message.next_visible_time)

    @workflow.update(
        name="set_attributes",
        description="internal, for the MNS facade of fnf api: SetQueueAttributes (and "
        "CreateQueue).",
    )
    def set_attributes(self, change: AttributesChange) -> QueueAttributes:
        """SetQueueAttributes (and CreateQueue of a queue already started by a send)."""
        now = self._now(change.now_ms)
        self._operation(now)
        attributes = self._attributes
        for name in (
            "visibility_timeout",
            "delay_seconds",
            "maximum_message_size",
            "message_retention_period",
            "polling_wait_seconds",
            "logging_enabled",
        ):
            value = getattr(change, name)
            if value is not None:
                setattr(attributes, name, value)
        if not attributes.create_time:
            attributes.create_time = now
        attributes.last_modify_time = now
        self._state.attributes = attributes
        return attributes

    @workflow.query(
        name="info",
        description="internal, for the MNS facade of fnf api: GetQueueAttributes at a time in "
        "ms since the epoch.",
    )
    def info(self, now_ms: int) -> QueueInfo:
        live = [m for m in self._state.messages if not self._expired(m, now_ms)]
        active = sum(1 for m in live if m.next_visible_time <= now_ms)
        delayed = sum(1 for m in live if m.next_visible_time > now_ms and not m.dequeue_count)
        return QueueInfo(self._attributes, active, len(live) - active - delayed, delayed)

    @workflow.query(
        name="earliest_visible_time",
        description="internal, for the MNS facade of fnf api: when the next message becomes "
        "visible (a long poll's wake-up).",
    )
    def earliest_visible_time(self, now_ms: int) -> int | None:
        """When the next message becomes visible (maybe already); None for an empty queue."""
        return min(
            (m.next_visible_time for m in self._state.messages if not self._expired(m, now_ms)),
            default=None,
        )

    @workflow.query(
        name="peek",
        description="internal, for the MNS facade of fnf api: PeekMessage.",
    )
    def peek(self, now_ms: int, max_messages: int) -> list[QueueMessage]:
        """PeekMessage: the messages `receive` would give, changing nothing."""
        return self._visible(now_ms)[:max_messages]

    @workflow.query(
        name="depth",
        description="internal, for the MNS facade of fnf api: how many messages are visible "
        "and hidden.",
    )
    def depth(self, now_ms: int) -> QueueDepth:
        visible = len(self._visible(now_ms))
        return QueueDepth(visible, len(self._state.messages) - visible)

    def _receive(self, request: ReceiveRequest) -> list[QueueMessage]:
        now = self._now(request.now_ms)
        self._operation(now)
        received = self._visible(now)[: request.max_messages]
        timeout = request.visibility_timeout
        if timeout == QUEUE_DEFAULT:
            timeout = self._attributes.visibility_timeout
        for message in received:
            message.dequeue_count += 1
            if not message.first_dequeue_time:
                message.first_dequeue_time = now
            message.next_visible_time = now + timeout * 1000
            message.receipt_handle = self._new_handle(message)
        return received

    def _visible(self, now: int) -> list[QueueMessage]:
        visible = [
            m
            for m in self._state.messages
            if m.next_visible_time <= now and not self._expired(m, now)
        ]
        return sorted(visible, key=lambda m: (m.priority, m.sequence))

    def _by_handle(self, handle: str, now: int) -> tuple[QueueMessage | None, str]:
        """The message `handle` currently names, or None and why not."""
        if len(handle) != MESSAGE_ID_CHARS + HANDLE_NONCE_CHARS or not _is_upper_hex(handle):
            return None, RECEIPT_HANDLE_ERROR
        message_id = handle[:MESSAGE_ID_CHARS]
        message = next((m for m in self._state.messages if m.message_id == message_id), None)
        if message is None:
            return None, MESSAGE_NOT_EXIST
        if message.receipt_handle != handle or message.next_visible_time <= now:
            return None, RECEIPT_HANDLE_ERROR  # superseded by a later receive, or expired
        return message, OK

    def _new_handle(self, message: QueueMessage) -> str:
        return message.message_id + workflow.uuid4().hex[:HANDLE_NONCE_CHARS].upper()

    def _operation(self, now: int) -> None:
        """Count the Update towards continue-as-new, and drop messages past retention."""
        self._operations += 1
        self._state.messages = [m for m in self._state.messages if not self._expired(m, now)]

    def _stored_bytes(self) -> int:
        return sum(_cost(m.body) for m in self._state.messages)

    def _expired(self, message: QueueMessage, now: int) -> bool:
        """Past the queue's MessageRetentionPeriod (MNS's default: 4 days)."""
        return message.enqueue_time + self._attributes.message_retention_period * 1000 <= now

    @staticmethod
    def _now(now_ms: int) -> int:
        return now_ms if now_ms > 0 else int(workflow.now().timestamp() * 1000)


def _is_upper_hex(text: str) -> bool:
    return all(c in "0123456789ABCDEF" for c in text)


def _cost(body: str) -> int:
    return len(body.encode("utf-8")) + MESSAGE_OVERHEAD_BYTES
