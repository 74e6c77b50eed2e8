"""Every numeric MNS parameter outside its documented range, or not written as a decimal
integer, is refused with 400 InvalidArgument: a query parameter (waitseconds, numOfMessages,
VisibilityTimeout), a header (x-mns-ret-number), an XML element (a queue's and a topic's
attributes, a message's Priority and DelaySeconds). ReceiveMessage's waitseconds is documented
as 0..30; 31 and 2**70 used to be accepted and capped at 30 s, and Python's `int()` accepted
"1_0" and Arabic-Indic digits everywhere."""

from __future__ import annotations

import uuid

from mns.queue import QueueMeta

from tests.api.test_mns_facade import Facade, facade
from tests.api.test_mns_management import account, error_code, signed

__all__ = ["facade"]

NOT_INTEGERS = ["1_0", "%D9%A3", "2.0", "0x10", "", "%20"]
"""Query values that are not decimal integers (URL-encoded where they must be)."""


def fresh_queue(facade: Facade) -> str:
    name = f"numbers-{uuid.uuid4().hex[:8]}"
    account(facade).get_queue(name).create(QueueMeta())
    return name


def refused(facade: Facade, method: str, path: str, body: bytes = b"", **headers: str) -> bool:
    return error_code(signed(facade, method, path, body, headers)) == (400, "InvalidArgument")


def test_receive_parameters_outside_their_ranges_are_refused(facade: Facade) -> None:
    queue = fresh_queue(facade)
    messages = f"/queues/{queue}/messages"
    for wait in ["31", "-1", str(2**70), *NOT_INTEGERS]:
        assert refused(facade, "GET", f"{messages}?waitseconds={wait}"), wait
    for count in ["0", "17", str(2**70), *NOT_INTEGERS]:
        assert refused(facade, "GET", f"{messages}?numOfMessages={count}"), count
    for timeout in ["43201", "-1", "1_0", "%D9%A3"]:
        path = f"{messages}?ReceiptHandle=h&VisibilityTimeout={timeout}"
        assert refused(facade, "PUT", path), timeout
    # the edges of the ranges are accepted: an empty queue answers MessageNotExist at once
    empty = signed(facade, "GET", f"{messages}?waitseconds=0&numOfMessages=16")
    assert error_code(empty) == (404, "MessageNotExist")


def test_attribute_and_message_numbers_must_be_decimal_integers(facade: Facade) -> None:
    queue = fresh_queue(facade)
    for element, value in [
        ("PollingWaitSeconds", "31"),
        ("PollingWaitSeconds", "1_0"),
        ("DelaySeconds", "\u0663"),
        ("MessageRetentionPeriod", "6_000"),
        ("VisibilityTimeout", str(2**70)),
    ]:
        body = f"<Queue><{element}>{value}</{element}></Queue>".encode()
        assert refused(facade, "PUT", f"/queues/{queue}?metaoverride=true", body), element
    for element, value in [("Priority", "1_6"), ("Priority", "17"), ("DelaySeconds", "\u0663")]:
        body = (
            f"<Message><MessageBody>x</MessageBody><{element}>{value}</{element}></Message>"
        ).encode()
        assert refused(facade, "POST", f"/queues/{queue}/messages", body), (element, value)
    assert refused(facade, "GET", "/queues", **{"x-mns-ret-number": "1_0"})
    topic = f"numbers-{uuid.uuid4().hex[:8]}"
    body = b"<Topic><MaximumMessageSize>2_000</MaximumMessageSize></Topic>"
    assert refused(facade, "PUT", f"/topics/{topic}", body)
