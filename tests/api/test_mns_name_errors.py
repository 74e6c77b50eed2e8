"""A malformed queue, topic or subscription name is MNS's 400 naming error on every operation
that names it (InvalidQueueName / QueueNameLengthError, TopicNameInvalid /
TopicNameLengthError, SubscriptionNameInvalid / SubscriptionNameLengthError), never a 404
that says the thing does not exist. Through the official SDK where it sends the name, and
signed raw HTTP for the rest, against the facade on a real Temporal server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mns.queue import Message, QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

from tests.api.test_mns_facade import Facade, facade, server_error
from tests.api.test_mns_management import account, error_code, queue_endpoint, signed, unique

__all__ = ["facade"]

BAD_CHARACTERS = ["a_b", "bad.name", "-lead", "q%20x", "%C3%BC"]
"""Names that break the character rule (URL-encoded where a raw path needs it)."""
TOO_LONG = "x" * 257


def queue_operations(queue: Any) -> list[tuple[str, Callable[[], Any]]]:
    """Every SDK queue operation, each naming the queue in its path."""
    return [
        ("CreateQueue", lambda: queue.create(QueueMeta())),
        ("SetQueueAttributes", lambda: queue.set_attributes(QueueMeta())),
        ("GetQueueAttributes", queue.get_attributes),
        ("DeleteQueue", queue.delete),
        ("SendMessage", lambda: queue.send_message(Message("m"))),
        ("BatchSendMessage", lambda: queue.batch_send_message([Message("m"), Message("n")])),
        ("ReceiveMessage", lambda: queue.receive_message(0)),
        ("BatchReceiveMessage", lambda: queue.batch_receive_message(2, 0)),
        ("PeekMessage", queue.peek_message),
        ("BatchPeekMessage", lambda: queue.batch_peek_message(2)),
        ("DeleteMessage", lambda: queue.delete_message("handle")),
        ("BatchDeleteMessage", lambda: queue.batch_delete_message(["h1", "h2"])),
        ("ChangeMessageVisibility", lambda: queue.change_message_visibility("handle", 5)),
    ]


@pytest.mark.parametrize(
    ("name", "code"), [("a_b", "InvalidQueueName"), (TOO_LONG, "QueueNameLengthError")]
)
def test_every_queue_operation_refuses_a_malformed_name(
    facade: Facade, name: str, code: str
) -> None:
    queue = account(facade).get_queue(name)
    queue.set_encoding(False)
    for operation, call in queue_operations(queue):
        error = server_error(call)
        assert error.type == code, operation
        assert len(error.message) < 400, operation  # the name is quoted, cut to 200 characters


@pytest.mark.parametrize(
    ("name", "code"),
    [(name, "InvalidQueueName") for name in BAD_CHARACTERS] + [(TOO_LONG, "QueueNameLengthError")],
)
def test_raw_queue_paths_answer_400(facade: Facade, name: str, code: str) -> None:
    expected = (400, code)
    for method in ("GET", "PUT", "DELETE"):
        assert error_code(signed(facade, method, f"/queues/{name}")) == expected, method
    for method in ("GET", "POST", "DELETE", "PUT"):
        path = f"/queues/{name}/messages?ReceiptHandle=h&VisibilityTimeout=5"
        assert error_code(signed(facade, method, path)) == expected, method


def test_a_well_formed_queue_name_keeps_its_answers(facade: Facade) -> None:
    """The boundary: 256 characters is a name; a queue nobody created is still QueueNotExist
    for management, and message operations still create it on first use."""
    name = "q" + "x" * 255
    queue = account(facade).get_queue(name)
    queue.set_encoding(False)
    assert server_error(queue.get_attributes).type == "QueueNotExist"
    queue.send_message(Message("kept"))
    assert queue.receive_message(0).message_body == "kept"
    queue.delete()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("bad_topic", "TopicNameInvalid"),
        ("t.x", "TopicNameInvalid"),
        (TOO_LONG, "TopicNameLengthError"),
    ],
)
def test_every_topic_operation_refuses_a_malformed_name(
    facade: Facade, name: str, code: str
) -> None:
    topic = account(facade).get_topic(name)
    endpoint = SubscriptionMeta(queue_endpoint("q"))
    for operation, call in [
        ("CreateTopic", lambda: topic.create(TopicMeta())),
        ("SetTopicAttributes", lambda: topic.set_attributes(TopicMeta())),
        ("GetTopicAttributes", topic.get_attributes),
        ("DeleteTopic", topic.delete),
        ("PublishMessage", lambda: topic.publish_message(TopicMessage("m"))),
        ("ListSubscriptionByTopic", topic.list_subscription),
        ("Subscribe", lambda: topic.get_subscription("s").subscribe(endpoint)),
        ("GetSubscriptionAttributes", topic.get_subscription("s").get_attributes),
        ("Unsubscribe", topic.get_subscription("s").unsubscribe),
    ]:
        error = server_error(call)
        assert error.type == code, operation
    for method, path in [("GET", f"/topics/{name}"), ("POST", f"/topics/{name}/messages")]:
        assert error_code(signed(facade, method, path)) == (400, code), method


@pytest.mark.parametrize(
    ("name", "code"),
    [("bad_name", "SubscriptionNameInvalid"), (TOO_LONG, "SubscriptionNameLengthError")],
)
def test_every_subscription_operation_refuses_a_malformed_name(
    facade: Facade, name: str, code: str
) -> None:
    mns = account(facade)
    topic = mns.get_topic(unique("names"))
    topic.create(TopicMeta())
    try:
        subscription = topic.get_subscription(name)
        meta = SubscriptionMeta(queue_endpoint("q"))
        for operation, call in [
            ("Subscribe", lambda: subscription.subscribe(meta)),
            ("SetSubscriptionAttributes", lambda: subscription.set_attributes(meta)),
            ("GetSubscriptionAttributes", subscription.get_attributes),
            ("Unsubscribe", subscription.unsubscribe),
        ]:
            error = server_error(call)
            assert error.type == code, operation
        path = f"/topics/{topic.topic_name}/subscriptions/{name}"
        assert error_code(signed(facade, "DELETE", path)) == (400, code)
        missing = server_error(topic.get_subscription("well-formed").get_attributes)
        assert missing.type == "SubscriptionNotExist"
    finally:
        topic.delete()
