"""FnFMnsRegistry: the one workflow that knows which MNS queues, topics and subscriptions exist.

Temporal is the project's only durable store, so the names MNS's management calls create
(CreateQueue, CreateTopic, Subscribe) live in one long-lived workflow, changed by Updates
(durable once they return, as MNS promises for a 201) and read by Queries (ListQueue,
ListTopic, ListSubscriptionByTopic, GetTopicAttributes, and the subscriptions a PublishMessage
fans out to). A queue's messages and attributes stay in its own FnFMnsQueue workflow; the
registry keeps only its name and creation time, for listing.

Its id names the task queue of the API that runs it (`fnf-mns-registry:<task queue>`): one
registry per deployment, served by that deployment's workers, so two deployments sharing a
namespace never wait on each other's worker.

It also keeps the deployment's push signing key pair (`api.mns.signing`): proposed once by an
API process, kept for good, so every process and restart signs pushes with the same key. The
private key is kept sealed (`api.mns.sealing`): its history, continue-as-new input and Query
results hold only ciphertext and the public certificate. A key an older version kept in clear
is replaced once (`replace_signing_key`), and the run then continues as new so the open run no
longer carries it.

Times are the caller's `now_ms`, recorded in history with the Update, so replay is exact. The
run continues as new after `operations_per_run` Updates, carrying the whole state.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

REGISTRY_WORKFLOW = "FnFMnsRegistry"
REGISTRY_ID_PREFIX = "fnf-mns-registry:"
DEFAULT_OPERATIONS_PER_RUN = 500
MIN_RUN_LIFETIME = timedelta(seconds=2)

CREATED = "created"
EXISTS = "exists"
CONFLICT = "conflict"
MISSING = "missing"
TOPIC_MISSING = "topic-missing"
DONE = "done"

DEFAULT_TOPIC_MESSAGE_SIZE = 65_536
DEFAULT_NOTIFY_STRATEGY = "BACKOFF_RETRY"
DEFAULT_CONTENT_FORMAT = "XML"


def registry_id(task_queue: str) -> str:
    return f"{REGISTRY_ID_PREFIX}{task_queue}"


@dataclass
class QueueEntry:
    name: str
    create_time: int


@dataclass
class TopicEntry:
    name: str
    create_time: int
    last_modify_time: int
    maximum_message_size: int = DEFAULT_TOPIC_MESSAGE_SIZE
    logging_enabled: bool = False


@dataclass
class SubscriptionEntry:
    topic: str
    name: str
    endpoint: str
    create_time: int
    last_modify_time: int
    filter_tag: str = ""
    notify_strategy: str = DEFAULT_NOTIFY_STRATEGY
    notify_content_format: str = DEFAULT_CONTENT_FORMAT


@dataclass
class SigningKeyRecord:
    """The key pair HTTP pushes are signed with (`api.mns.signing`), made outside workflow code
    (key generation needs the OS random source) and adopted here once: the certificate's PEM
    and the private key sealed (`api.mns.sealing`). `private_key_pem` is the clear key of
    records older versions made; new records leave it empty."""

    private_key_pem: str = ""
    certificate_pem: str = ""
    sealed_private_key: str = ""

    @property
    def in_clear(self) -> bool:
        return bool(self.private_key_pem)


@dataclass
class SigningKeyReplacement:
    """Replace the key whose certificate is `replaces_certificate_pem` with `proposal`: a key
    kept in clear, or (`unopenable`) a sealed one whose sealing key the deployment lost;
    racing processes all end with the first replacement."""

    replaces_certificate_pem: str
    proposal: SigningKeyRecord
    unopenable: bool = False


@dataclass
class RegistryState:
    queues: dict[str, QueueEntry] = field(default_factory=dict)
    topics: dict[str, TopicEntry] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, SubscriptionEntry]] = field(default_factory=dict)
    operations_per_run: int = DEFAULT_OPERATIONS_PER_RUN
    signing_key: SigningKeyRecord | None = None


@dataclass
class PageRequest:
    """A listing page: names starting with `prefix`, after `marker` (exclusive), `limit` long."""

    prefix: str = ""
    marker: str = ""
    limit: int = 1000
    topic: str = ""


@dataclass
class Page:
    """`found` is False only for the subscriptions of a topic that does not exist."""

    names: list[str]
    next_marker: str = ""
    found: bool = True


@dataclass
class TopicChange:
    """CreateTopic (all fields) or SetTopicAttributes (None: leave as it is)."""

    name: str
    now_ms: int
    maximum_message_size: int | None = None
    logging_enabled: bool | None = None


@dataclass
class TopicResult:
    outcome: str
    topic: TopicEntry | None = None


@dataclass
class SubscriptionChange:
    """SetSubscriptionAttributes: only NotifyStrategy may change (MNS's rule)."""

    topic: str
    name: str
    now_ms: int
    notify_strategy: str


@dataclass
class SubscriptionResult:
    outcome: str
    subscription: SubscriptionEntry | None = None


@dataclass
class NameRequest:
    name: str
    topic: str = ""
    now_ms: int = 0


@workflow.defn(name=REGISTRY_WORKFLOW)
class FnFMnsRegistry:
    @workflow.init
    def __init__(self, state: RegistryState) -> None:
        self._state = state
        self._operations = 0
        self._shed_clear_key = False

    @workflow.run
    async def run(self, state: RegistryState) -> None:
        await workflow.wait_condition(
            lambda: (
                self._operations >= self._state.operations_per_run
                or workflow.info().is_continue_as_new_suggested()
                or self._shed_clear_key
            )
        )
        age = workflow.now() - workflow.info().start_time
        if age < MIN_RUN_LIFETIME:
            await workflow.sleep(MIN_RUN_LIFETIME - age)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._state)

    # -- queues (names only: the queue's own workflow holds the rest) --------------------

    @workflow.update(
        name="register_queue",
        description="internal, for the MNS facade of fnf api: a queue is created (CreateQueue "
        "or first use).",
    )
    def register_queue(self, request: NameRequest) -> str:
        self._operations += 1
        if request.name in self._state.queues:
            return EXISTS
        self._state.queues[request.name] = QueueEntry(request.name, request.now_ms)
        return CREATED

    @workflow.update(
        name="remove_queue",
        description="internal, for the MNS facade of fnf api: DeleteQueue.",
    )
    def remove_queue(self, request: NameRequest) -> str:
        self._operations += 1
        return DONE if self._state.queues.pop(request.name, None) is not None else MISSING

    @workflow.query(
        name="queue",
        description="internal, for the MNS facade of fnf api: a queue's registry entry.",
    )
    def queue(self, name: str) -> QueueEntry | None:
        return self._state.queues.get(name)

    @workflow.query(
        name="queues_page",
        description="internal, for the MNS facade of fnf api: ListQueue, a page.",
    )
    def queues_page(self, request: PageRequest) -> Page:
        return _page(self._state.queues, request)

    # -- topics -------------------------------------------------------------------------

    @workflow.update(
        name="create_topic",
        description="internal, for the MNS facade of fnf api: CreateTopic.",
    )
    def create_topic(self, change: TopicChange) -> TopicResult:
        """CREATED, or EXISTS with the topic as it is (the caller compares attributes)."""
        self._operations += 1
        known = self._state.topics.get(change.name)
        if known is not None:
            return TopicResult(EXISTS, known)
        topic = TopicEntry(change.name, change.now_ms, change.now_ms)
        _apply(topic, change)
        self._state.topics[change.name] = topic
        return TopicResult(CREATED, topic)

    @workflow.update(
        name="set_topic",
        description="internal, for the MNS facade of fnf api: SetTopicAttributes.",
    )
    def set_topic(self, change: TopicChange) -> TopicResult:
        self._operations += 1
        topic = self._state.topics.get(change.name)
        if topic is None:
            return TopicResult(MISSING)
        _apply(topic, change)
        topic.last_modify_time = change.now_ms
        return TopicResult(DONE, topic)

    @workflow.update(
        name="delete_topic",
        description="internal, for the MNS facade of fnf api: DeleteTopic and its subscriptions.",
    )
    def delete_topic(self, request: NameRequest) -> str:
        """Deleting a topic deletes its subscriptions, as MNS does."""
        self._operations += 1
        self._state.subscriptions.pop(request.name, None)
        return DONE if self._state.topics.pop(request.name, None) is not None else MISSING

    @workflow.query(
        name="topic",
        description="internal, for the MNS facade of fnf api: a topic's registry entry.",
    )
    def topic(self, name: str) -> TopicEntry | None:
        return self._state.topics.get(name)

    @workflow.query(
        name="topics_page",
        description="internal, for the MNS facade of fnf api: ListTopic, a page.",
    )
    def topics_page(self, request: PageRequest) -> Page:
        return _page(self._state.topics, request)

    # -- subscriptions ------------------------------------------------------------------

    @workflow.update(
        name="subscribe",
        description="internal, for the MNS facade of fnf api: Subscribe.",
    )
    def subscribe(self, subscription: SubscriptionEntry) -> SubscriptionResult:
        """CREATED; EXISTS when the same subscription is there already; CONFLICT when one of
        that name has other attributes; TOPIC_MISSING."""
        self._operations += 1
        if subscription.topic not in self._state.topics:
            return SubscriptionResult(TOPIC_MISSING)
        of_topic = self._state.subscriptions.setdefault(subscription.topic, {})
        known = of_topic.get(subscription.name)
        if known is not None:
            same = _subscription_key(known) == _subscription_key(subscription)
            return SubscriptionResult(EXISTS if same else CONFLICT, known)
        of_topic[subscription.name] = subscription
        return SubscriptionResult(CREATED, subscription)

    @workflow.update(
        name="set_subscription",
        description="internal, for the MNS facade of fnf api: SetSubscriptionAttributes.",
    )
    def set_subscription(self, change: SubscriptionChange) -> SubscriptionResult:
        self._operations += 1
        if change.topic not in self._state.topics:
            return SubscriptionResult(TOPIC_MISSING)
        known = self._state.subscriptions.get(change.topic, {}).get(change.name)
        if known is None:
            return SubscriptionResult(MISSING)
        known.notify_strategy = change.notify_strategy
        known.last_modify_time = change.now_ms
        return SubscriptionResult(DONE, known)

    @workflow.update(
        name="unsubscribe",
        description="internal, for the MNS facade of fnf api: Unsubscribe.",
    )
    def unsubscribe(self, request: NameRequest) -> str:
        self._operations += 1
        if request.topic not in self._state.topics:
            return TOPIC_MISSING
        of_topic = self._state.subscriptions.get(request.topic, {})
        return DONE if of_topic.pop(request.name, None) is not None else MISSING

    @workflow.query(
        name="subscription",
        description="internal, for the MNS facade of fnf api: GetSubscriptionAttributes.",
    )
    def subscription(self, topic: str, name: str) -> SubscriptionResult:
        if topic not in self._state.topics:
            return SubscriptionResult(TOPIC_MISSING)
        known = self._state.subscriptions.get(topic, {}).get(name)
        return SubscriptionResult(MISSING if known is None else DONE, known)

    @workflow.query(
        name="subscriptions_page",
        description="internal, for the MNS facade of fnf api: ListSubscriptionByTopic, a page.",
    )
    def subscriptions_page(self, request: PageRequest) -> Page:
        if request.topic not in self._state.topics:
            return Page([], found=False)
        return _page(self._state.subscriptions.get(request.topic, {}), request)

    # -- the push signing key ---------------------------------------------------------------

    @workflow.update(
        name="adopt_signing_key",
        description="internal, for the MNS facade of fnf api: keep the first push signing key "
        "proposed (sealed; see the README).",
    )
    def adopt_signing_key(self, proposal: SigningKeyRecord) -> SigningKeyRecord:
        """The first key proposed is kept for good; every later proposal gets that one, so
        racing API processes of one deployment all sign with the same key."""
        if self._state.signing_key is None:
            self._operations += 1
            self._state.signing_key = proposal
        return self._state.signing_key

    @workflow.update(
        name="replace_signing_key",
        description="internal, for the MNS facade of fnf api: FNF_MNS_REPLACE_SIGNING_KEY, a "
        "new push signing key.",
    )
    def replace_signing_key(self, replacement: SigningKeyReplacement) -> SigningKeyRecord:
        """Rotation of a key kept in clear by an older version, or of a sealed key no process
        can open any more (asked for explicitly: FNF_MNS_REPLACE_SIGNING_KEY); the first
        replacement wins, later ones name a certificate no longer kept and get the kept record.
        After a clear key the run continues as new, so that key stays only in closed runs
        (until the namespace's retention removes them); its certificate is no longer served."""
        known = self._state.signing_key
        replaced = (  # False when another process replaced it first
            known is not None
            and (known.in_clear or replacement.unopenable)
            and known.certificate_pem == replacement.replaces_certificate_pem
        )
        if known is None or replaced:
            self._operations += 1
            self._state.signing_key = replacement.proposal
            self._shed_clear_key = self._shed_clear_key or (known is not None and known.in_clear)
        return self._state.signing_key or replacement.proposal

    @workflow.query(
        name="signing_key",
        description="internal, for the MNS facade of fnf api: the sealed push signing key and "
        "its certificate.",
    )
    def signing_key(self) -> SigningKeyRecord | None:
        return self._state.signing_key

    @workflow.query(
        name="subscribers",
        description="internal, for the MNS facade of fnf api: the subscriptions "
        "PublishMessage fans out to.",
    )
    def subscribers(self, topic: str) -> list[SubscriptionEntry]:
        """What PublishMessage fans out to, in name order."""
        of_topic = self._state.subscriptions.get(topic, {})
        return [of_topic[name] for name in sorted(of_topic)]


def _apply(topic: TopicEntry, change: TopicChange) -> None:
    if change.maximum_message_size is not None:
        topic.maximum_message_size = change.maximum_message_size
    if change.logging_enabled is not None:
        topic.logging_enabled = change.logging_enabled


def _subscription_key(entry: SubscriptionEntry) -> tuple[str, str, str, str]:
    return (entry.endpoint, entry.filter_tag, entry.notify_strategy, entry.notify_content_format)


def _page(entries: Mapping[str, object], request: PageRequest) -> Page:
    """Names in order; the marker is the last name returned (opaque to the SDK)."""
    names = sorted(
        name
        for name in entries
        if name.startswith(request.prefix) and (not request.marker or name > request.marker)
    )
    page = names[: request.limit]
    more = len(names) > request.limit
    return Page(page, page[-1] if more and page else "")
