"""The MNS SDK's whole surface against the facade: queue and topic management, subscriptions
with queue and HTTP push endpoints, batch send and delete with partial failures, and hostile
names and bodies. Everything goes through the official `aliyun-mns-sdk` (or signed raw HTTP
where the SDK refuses to send the hostile thing itself)."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from mns.account import Account
from mns.queue import Message, QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta
from temporalio.worker import Replayer

from api.mns import mns_workflows
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, start_api
from tests.api.test_mns_facade import Facade, facade, server_error, upper_md5
from worker.connectors.mns import sign

__all__ = ["facade"]  # the module-scoped fixture, shared with the facade tests

XMLNS = "{http://mns.aliyuncs.com/doc/v1/}"


def account(facade: Facade) -> Account:
    return Account(facade.endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET)


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def signed(
    facade: Facade, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    """A request signed as the SDK signs it, for what the SDK would refuse to send."""
    all_headers = {
        "date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        "x-mns-version": "2015-06-06",
        **({"content-type": "text/xml;charset=UTF-8"} if body else {}),
        **(headers or {}),
    }
    content_type = all_headers.get("content-type", "")
    signature = sign(
        ACCESS_KEY_SECRET, method, "", content_type, all_headers["date"], all_headers, path
    )
    all_headers["authorization"] = f"MNS {ACCESS_KEY_ID}:{signature}"
    return httpx.request(method, f"{facade.endpoint}{path}", content=body, headers=all_headers)


def error_code(response: httpx.Response) -> tuple[int, str]:
    root = ElementTree.fromstring(response.content)
    return response.status_code, root.findtext(f"{XMLNS}Code") or ""


# -- queues ---------------------------------------------------------------------------------


def test_queue_lifecycle_and_attributes(facade: Facade) -> None:
    name = unique("mgmt")
    queue = account(facade).get_queue(name)
    queue.set_encoding(False)
    assert server_error(queue.get_attributes).type == "QueueNotExist"
    url = queue.create(QueueMeta(vis_timeout=5, delay_sec=0, polling_wait_sec=1))
    assert url == f"{facade.endpoint}/queues/{name}"
    assert queue.create(QueueMeta(vis_timeout=5)) == url  # the same again: no error (204)
    clash = server_error(queue.create, QueueMeta(vis_timeout=6))
    assert (clash.type, clash.req_id != "") == ("QueueAlreadyExist", True)

    meta = queue.get_attributes()
    assert (meta.queue_name, meta.visibility_timeout, meta.polling_wait_seconds) == (name, 5, 1)
    assert (meta.maximum_message_size, meta.message_retention_period) == (65536, 345600)
    assert abs(meta.create_time - time.time()) < 30 and meta.logging_enabled is False

    changed = QueueMeta()
    changed.set_delay_seconds(1)
    changed.set_visibilitytimeout(2)
    queue.set_attributes(changed)
    meta = queue.get_attributes()
    assert (meta.delay_seconds, meta.visibility_timeout, meta.polling_wait_seconds) == (1, 2, 1)

    queue.send_message(Message("delayed by the queue"))  # no DelaySeconds: the queue's 1 s
    assert server_error(queue.receive_message, 0).type == "MessageNotExist"
    started = time.perf_counter()
    got = queue.receive_message()  # no waitseconds: the queue's PollingWaitSeconds (1 s)
    assert got.message_body == "delayed by the queue" and time.perf_counter() - started < 1.5
    assert abs(got.next_visible_time - (got.first_dequeue_time + 2000)) < 1000
    assert queue.get_attributes().inactive_messages == 1

    queue.delete()
    assert server_error(queue.get_attributes).type == "QueueNotExist"
    assert server_error(queue.delete).type == "QueueNotExist"
    assert server_error(queue.peek_message).type == "MessageNotExist"  # its messages went too


def test_list_queue_prefix_and_paging(facade: Facade) -> None:
    stem = unique("list")
    names = sorted(f"{stem}-{n}" for n in range(5))
    for name in names:
        account(facade).get_queue(name).create(QueueMeta())
    facade.queue(f"{stem}-auto", encoding=False).send_message(Message("auto-created"))
    mns = account(facade)
    urls, marker = mns.list_queue(prefix=stem)
    assert [u.rsplit("/", 1)[1] for u in urls] == sorted([*names, f"{stem}-auto"])
    assert marker == ""
    seen: list[str] = []
    marker = ""
    pages = 0
    while True:
        urls, marker = mns.list_queue(prefix=f"{stem}-", ret_number=2, marker=marker)
        seen += [u.rsplit("/", 1)[1] for u in urls]
        pages += 1
        if not marker:
            break
    assert seen == sorted([*names, f"{stem}-auto"]) and pages == 3
    assert mns.list_queue(prefix=unique("none")) == ([], "")
    for bad_headers in (
        {"x-mns-ret-number": "1001"},
        {"x-mns-ret-number": "x"},
        {"x-mns-marker": "../etc"},
        {"x-mns-prefix": "q_1"},
    ):
        assert error_code(signed(facade, "GET", "/queues", headers=bad_headers)) == (
            400,
            "InvalidArgument",
        )


def test_hostile_queue_requests(facade: Facade) -> None:
    mns = account(facade)
    bad = server_error(mns.get_queue("bad_name").create, QueueMeta())
    assert bad.type == "InvalidQueueName"
    too_long = server_error(mns.get_queue("x" * 257).get_attributes)
    assert too_long.type == "QueueNameLengthError"
    name = unique("hostile")
    for body, code in [
        (b"<Queue><VisibilityTimeout>0</VisibilityTimeout></Queue>", "InvalidArgument"),
        (b"<Queue><DelaySeconds>604801</DelaySeconds></Queue>", "InvalidArgument"),
        (b"<Queue><MaximumMessageSize>lots</MaximumMessageSize></Queue>", "InvalidArgument"),
        (b"<Queue><Evil>1</Evil></Queue>", "InvalidArgument"),
        (b"<Topic/>", "MalformedXML"),
        (b"<Queue><unclosed></Queue>", "MalformedXML"),
        (
            b'<!DOCTYPE q [<!ENTITY e SYSTEM "file:///etc/passwd">]><Queue>&e;</Queue>',
            "MalformedXML",
        ),
    ]:
        assert error_code(signed(facade, "PUT", f"/queues/{name}", body)) == (400, code), body
    assert error_code(signed(facade, "GET", f"/queues/{name}")) == (404, "QueueNotExist")
    assert error_code(signed(facade, "PATCH", f"/queues/{name}")) == (400, "InvalidRequestURL")
    assert error_code(signed(facade, "GET", "/queues/a/b/c")) == (400, "InvalidRequestURL")
    for path in ("/queues/%2e%2e", "/queues/q%20x", "/queues/%C3%BC", "/queues/-q"):
        assert error_code(signed(facade, "GET", path)) == (400, "InvalidQueueName"), path
        assert error_code(signed(facade, "PUT", path)) == (400, "InvalidQueueName"), path
    for method in ("GET", "PUT", "DELETE"):  # an encoded '/' is a path separator: no such URL
        assert error_code(signed(facade, method, "/queues/a%2Fb")) == (400, "InvalidRequestURL")
    assert error_code(signed(facade, "GET", "/topics/t%20x")) == (400, "TopicNameInvalid")


# -- batches --------------------------------------------------------------------------------


def test_batch_send_and_delete(facade: Facade) -> None:
    queue = facade.queue(unique("batch"), encoding=False)
    sent = queue.batch_send_message([Message(f"m{n}", priority=8) for n in range(3)])
    assert [m.message_body_md5 for m in sent] == [upper_md5(f"m{n}") for n in range(3)]
    got = queue.batch_receive_message(16, 1)
    assert [m.message_id for m in got] == [m.message_id for m in sent]
    queue.batch_delete_message([m.receipt_handle for m in got])
    assert server_error(queue.peek_message).type == "MessageNotExist"


def test_batch_partial_failures(facade: Facade) -> None:
    queue = facade.queue(unique("partial"), encoding=False)
    messages = [Message("good-1"), Message("bad", priority=17), Message("good-2", delay_seconds=0)]
    partial = server_error(queue.batch_send_message, messages)
    assert partial.type == "InvalidArgument"
    entries = partial.sub_errors
    assert [sorted(e) for e in entries] == [
        ["MessageBodyMD5", "MessageId"],
        ["ErrorCode", "ErrorMessage"],
        ["MessageBodyMD5", "MessageId"],
    ]
    assert entries[0]["MessageBodyMD5"] == upper_md5("good-1")
    got = queue.batch_receive_message(16, 1)
    assert [m.message_body for m in got] == ["good-1", "good-2"]  # the good ones, in order

    queue.delete_message(got[0].receipt_handle)
    handles = [got[0].receipt_handle, got[1].receipt_handle, "F" * 48]
    failed = server_error(queue.batch_delete_message, handles)
    assert failed.type == "MessageNotExist"
    assert [(e["ErrorCode"], e["ReceiptHandle"]) for e in failed.sub_errors] == [
        ("MessageNotExist", got[0].receipt_handle),
        ("MessageNotExist", "F" * 48),
    ]
    assert server_error(queue.peek_message).type == "MessageNotExist"  # good-2 went anyway

    too_many = server_error(queue.batch_send_message, [Message(f"{n}") for n in range(17)])
    assert too_many.type == "InvalidArgument"
    assert error_code(
        signed(
            facade, "POST", f"/queues/{queue.queue_name}/messages", b"<Messages><Oops/></Messages>"
        )
    ) == (400, "MalformedXML")
    assert error_code(
        signed(
            facade,
            "DELETE",
            f"/queues/{queue.queue_name}/messages",
            b"<ReceiptHandles></ReceiptHandles>",
        )
    ) == (400, "InvalidArgument")


# -- topics and subscriptions --------------------------------------------------------------


class PushServer:
    """A local HTTP endpoint that records what MNS pushes; the first `failures` pushes get 503."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures = failures
        self.arrived = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with server.arrived:
                    failing = server.failures > 0
                    server.failures -= 1
                    if not failing:
                        server.received.append(
                            ({k.lower(): v for k, v in self.headers.items()}, body)
                        )
                    server.arrived.notify_all()
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/notify"

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def push_server() -> Iterator[PushServer]:
    server = PushServer(failures=1)
    yield server
    server.http.shutdown()


def queue_endpoint(name: str) -> str:
    return f"acs:mns:cn-hangzhou:1:queues/{name}"


def test_topic_lifecycle_and_listing(facade: Facade) -> None:
    mns = account(facade)
    stem = unique("topic")
    topic = mns.get_topic(f"{stem}-a")
    assert server_error(topic.get_attributes).type == "TopicNotExist"
    assert (
        topic.create(TopicMeta(maximum_message_size=2048)) == f"{facade.endpoint}/topics/{stem}-a"
    )
    assert topic.create(TopicMeta()) is not None  # the same again: no error
    assert server_error(topic.create, TopicMeta(maximum_message_size=4096)).type == (
        "TopicAlreadyExist"
    )
    meta = topic.get_attributes()
    assert (meta.topic_name, meta.maximum_message_size, meta.logging_enabled) == (
        f"{stem}-a",
        2048,
        False,
    )
    topic.set_attributes(TopicMeta(maximum_message_size=1024, logging_enabled=True))
    meta = topic.get_attributes()
    assert (meta.maximum_message_size, meta.logging_enabled) == (1024, True)
    big = server_error(topic.publish_message, TopicMessage("x" * 1025))
    assert big.type == "InvalidArgument"

    mns.get_topic(f"{stem}-b").create(TopicMeta())
    mns.get_topic(f"{stem}-c").create(TopicMeta())
    urls, marker = mns.list_topic(prefix=stem, ret_number=2)
    assert [u.rsplit("/", 1)[1] for u in urls] == [f"{stem}-a", f"{stem}-b"] and marker
    urls, marker = mns.list_topic(prefix=stem, ret_number=2, marker=marker)
    assert [u.rsplit("/", 1)[1] for u in urls] == [f"{stem}-c"] and marker == ""

    topic.delete()
    assert server_error(topic.get_attributes).type == "TopicNotExist"
    assert server_error(topic.delete).type == "TopicNotExist"
    assert server_error(mns.get_topic("bad_topic").create, TopicMeta()).type == "TopicNameInvalid"


def test_subscriptions_fan_out_to_queues(facade: Facade) -> None:
    mns = account(facade)
    name = unique("fan")
    topic = mns.get_topic(name)
    missing = server_error(
        topic.get_subscription("s").subscribe, SubscriptionMeta(queue_endpoint("q"))
    )
    assert missing.type == "TopicNotExist"
    topic.create(TopicMeta())
    plain, xml, tagged = (f"{name}-plain", f"{name}-xml", f"{name}-tagged")
    topic.get_subscription("plain").subscribe(
        SubscriptionMeta(queue_endpoint(plain), notify_content_format="SIMPLIFIED")
    )
    topic.get_subscription("xml").subscribe(SubscriptionMeta(queue_endpoint(xml)))
    topic.get_subscription("tagged").subscribe(
        SubscriptionMeta(queue_endpoint(tagged), notify_content_format="JSON", filter_tag="vip")
    )
    same = SubscriptionMeta(queue_endpoint(plain), notify_content_format="SIMPLIFIED")
    topic.get_subscription("plain").subscribe(same)  # the same again: no error
    clash = server_error(
        topic.get_subscription("plain").subscribe, SubscriptionMeta(queue_endpoint(xml))
    )
    assert clash.type == "SubscriptionAlreadyExist"

    body = 'order <42> & "more"'
    published = topic.publish_message(TopicMessage(body, "vip"))
    untagged = topic.publish_message(TopicMessage("no tag"))
    got = facade.queue(plain, encoding=False).batch_receive_message(16, 2)
    assert sorted(m.message_body for m in got) == sorted([body, "no tag"])
    notes = facade.queue(xml, encoding=False).batch_receive_message(16, 2)
    by_id = {}
    for note in notes:
        root = ElementTree.fromstring(note.message_body)
        assert root.tag == f"{XMLNS}Notification"
        by_id[root.findtext(f"{XMLNS}MessageId")] = root
    vip = by_id[published.message_id]
    assert (vip.findtext(f"{XMLNS}Message"), vip.findtext(f"{XMLNS}MessageTag")) == (body, "vip")
    assert vip.findtext(f"{XMLNS}MessageMD5") == upper_md5(body)
    assert (vip.findtext(f"{XMLNS}TopicName"), vip.findtext(f"{XMLNS}SubscriptionName")) == (
        name,
        "xml",
    )
    assert by_id[untagged.message_id].findtext(f"{XMLNS}MessageTag") is None
    only_vip = facade.queue(tagged, encoding=False).receive_message(2)
    note = json.loads(only_vip.message_body)
    assert (note["Message"], note["MessageTag"], note["MessageId"]) == (
        body,
        "vip",
        published.message_id,
    )
    assert server_error(facade.queue(tagged).receive_message, 0).type == "MessageNotExist"

    attributes = topic.get_subscription("tagged").get_attributes()
    assert (attributes.endpoint, attributes.filter_tag, attributes.notify_content_format) == (
        queue_endpoint(tagged),
        "vip",
        "JSON",
    )
    assert attributes.notify_strategy == "BACKOFF_RETRY"
    topic.get_subscription("tagged").set_attributes(
        SubscriptionMeta(notify_strategy="EXPONENTIAL_DECAY_RETRY")
    )
    assert topic.get_subscription("tagged").get_attributes().notify_strategy == (
        "EXPONENTIAL_DECAY_RETRY"
    )
    urls, marker = topic.list_subscription(ret_number=2)
    assert [u.rsplit("/", 1)[1] for u in urls] == ["plain", "tagged"] and marker
    urls, marker = topic.list_subscription(ret_number=2, marker=marker)
    assert [u.rsplit("/", 1)[1] for u in urls] == ["xml"] and marker == ""
    assert [u.rsplit("/", 1)[1] for u in topic.list_subscription(prefix="x")[0]] == ["xml"]

    topic.get_subscription("xml").unsubscribe()
    assert server_error(topic.get_subscription("xml").get_attributes).type == (
        "SubscriptionNotExist"
    )
    assert server_error(topic.get_subscription("xml").unsubscribe).type == "SubscriptionNotExist"
    topic.publish_message(TopicMessage("after unsubscribe"))
    assert facade.queue(plain, encoding=False).receive_message(2).message_body == (
        "after unsubscribe"
    )
    assert server_error(facade.queue(xml).receive_message, 0).type == "MessageNotExist"

    for endpoint in (
        "mail:directmail:x@example.com",
        "acs:mns:r:1:queues/bad_q",
        "ftp://x",
        "http://",
        "acs:mns:r:1:topics/t",
    ):
        refused = server_error(topic.get_subscription("bad").subscribe, SubscriptionMeta(endpoint))
        assert refused.type == "InvalidArgument", endpoint
    for meta in (
        SubscriptionMeta(queue_endpoint(plain), notify_content_format="YAML"),
        SubscriptionMeta(queue_endpoint(plain), notify_strategy="NEVER"),
    ):
        assert server_error(topic.get_subscription("bad").subscribe, meta).type == (
            "InvalidArgument"
        )
    too_long_tag = (  # the SDK refuses to send this one itself
        f"<Subscription><Endpoint>{queue_endpoint(plain)}</Endpoint>"
        f"<FilterTag>{'t' * 17}</FilterTag></Subscription>"
    ).encode()
    path = f"/topics/{name}/subscriptions/bad"
    assert error_code(signed(facade, "PUT", path, too_long_tag)) == (400, "InvalidArgument")
    assert (
        server_error(
            topic.get_subscription("bad_name").subscribe, SubscriptionMeta(queue_endpoint(plain))
        ).type
        == "SubscriptionNameInvalid"
    )
    topic.delete()  # its subscriptions go with it
    assert server_error(topic.list_subscription).type == "TopicNotExist"

    async def replay() -> None:  # determinism: the registry's history replays cleanly
        registry = facade.context.client.get_workflow_handle(facade.queues.registry.workflow_id)
        await Replayer(workflows=mns_workflows()).replay_workflow(await registry.fetch_history())

    facade.run(replay())


def test_http_push_endpoint(facade: Facade, push_server: PushServer) -> None:
    mns = account(facade)
    topic = mns.get_topic(unique("push"))
    topic.create(TopicMeta())
    topic.get_subscription("xml").subscribe(SubscriptionMeta(push_server.url))
    topic.get_subscription("json").subscribe(
        SubscriptionMeta(push_server.url, notify_content_format="JSON")
    )
    topic.get_subscription("raw").subscribe(
        SubscriptionMeta(push_server.url, notify_content_format="SIMPLIFIED")
    )
    body = "ünï <code> & more"
    published = topic.publish_message(TopicMessage(body, "tag1"))
    received = push_server.wait_for(3)  # one push failed first (503) and was retried
    by_type = {headers["content-type"].split(";")[0]: (headers, raw) for headers, raw in received}
    headers, raw = by_type["text/xml"]
    root = ElementTree.fromstring(raw)
    assert root.findtext(f"{XMLNS}Message") == body
    assert root.findtext(f"{XMLNS}MessageId") == published.message_id
    assert headers["x-mns-message-id"] == published.message_id
    assert headers["x-mns-message-tag"] == "tag1" and headers["x-mns-version"] == "2015-06-06"
    note = json.loads(by_type["application/json"][1])
    assert (note["Message"], note["MessageMD5"], note["TopicName"]) == (
        body,
        upper_md5(body),
        topic.topic_name,
    )
    assert by_type["text/plain"][1].decode() == body


# -- persistence ------------------------------------------------------------------------------


def test_everything_survives_an_api_restart(dev_server_address: str, tmp_path: Path) -> None:
    """Queues, their attributes and messages, topics and subscriptions live in Temporal: a
    `fnf api` killed and started again (same task queues) serves all of them."""
    tag, log = uuid.uuid4().hex[:6], tmp_path / "api.log"
    api = start_api(dev_server_address, log, tag)
    try:
        mns = Account(f"http://{api.endpoint}", ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        queue = mns.get_queue(f"kept-{tag}")
        queue.set_encoding(False)
        queue.create(QueueMeta(vis_timeout=7, delay_sec=0))
        queue.send_message(Message("before the restart"))
        topic = mns.get_topic(f"kept-{tag}")
        topic.create(TopicMeta(maximum_message_size=2048))
        subscribed = f"kept-sub-{tag}"
        topic.get_subscription("s1").subscribe(
            SubscriptionMeta(queue_endpoint(subscribed), notify_content_format="SIMPLIFIED")
        )

        pushed = PushServer(failures=2)  # refuses the first two attempts
        topic.get_subscription("hook").subscribe(SubscriptionMeta(pushed.url))
        published = topic.publish_message(TopicMessage("pushed across the restart"))

        api.process.send_signal(signal.SIGKILL)  # with the push still being retried
        api.process.wait(timeout=10)
        assert pushed.received == []
        api = start_api(dev_server_address, log, tag, port=api.port)
        _, delivered = pushed.wait_for(1, timeout=30)[0]
        assert published.message_id.encode() in delivered
        pushed.http.shutdown()
        mns = Account(f"http://{api.endpoint}", ACCESS_KEY_ID, ACCESS_KEY_SECRET)

        queue = mns.get_queue(f"kept-{tag}")
        queue.set_encoding(False)
        assert queue.get_attributes().visibility_timeout == 7
        assert [u.rsplit("/", 1)[1] for u in mns.list_queue(prefix=f"kept-{tag}")[0]] == [
            f"kept-{tag}"
        ]
        got = queue.receive_message(1)
        assert got.message_body == "before the restart"
        assert abs(got.next_visible_time - (got.first_dequeue_time + 7000)) < 1000
        topic = mns.get_topic(f"kept-{tag}")
        assert topic.get_attributes().maximum_message_size == 2048
        assert [u.rsplit("/", 1)[1] for u in topic.list_subscription()[0]] == ["hook", "s1"]
        topic.publish_message(TopicMessage("after the restart"))
        copy = mns.get_queue(subscribed)
        copy.set_encoding(False)
        bodies = sorted(m.message_body for m in copy.batch_receive_message(16, 2))
        assert bodies == ["after the restart", "pushed across the restart"]
    finally:
        if api.process.poll() is None:
            api.process.terminate()
            api.process.wait(timeout=30)
