"""MNS per team: one `fnf api` with FNF_NAMESPACES_FILE serves each AccessKey's queues, topics,
subscriptions and pushes in that key's Temporal namespace, so one team's MNS objects are
neither visible nor writable by another, whatever names either uses. Everything goes through
the official `aliyun-mns-sdk`, signed with each team's key, against a real `fnf api`."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, Queue, QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta
from temporalio.client import Client

from api.protocol.access_keys import AccessKeys
from api.tenancy import NamespaceMap
from cli.api import namespace_mns
from tests.api.test_namespaces import KEYS, Tenants, tenants
from worker.settings import Settings

__all__ = ["tenants"]  # the module-scoped `fnf api` with two namespaces


def account(tenants: Tenants, key_id: str) -> Account:
    return Account(tenants.a.endpoint, key_id, KEYS[key_id])


def queue_of(tenants: Tenants, key_id: str, name: str) -> Queue:
    queue = account(tenants, key_id).get_queue(name)
    queue.set_encoding(False)
    return queue


def refused(call: Any, *args: Any) -> str:
    with pytest.raises(MNSServerException) as raised:
        call(*args)
    return str(raised.value.type)


def names(urls: list[str]) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in urls]


def test_queues_of_one_team_are_invisible_and_untouchable_to_another(tenants: Tenants) -> None:
    stem = f"orders-{uuid.uuid4().hex[:6]}"
    a_orders = queue_of(tenants, "teamA", stem)
    a_orders.create(QueueMeta(vis_timeout=30))
    sent = a_orders.send_message(Message("for team A only"))

    b_orders = queue_of(tenants, "teamB", stem)  # the very same name, signed by team B
    assert refused(b_orders.get_attributes) == "QueueNotExist"
    assert names(account(tenants, "teamB").list_queue(prefix=stem)[0]) == []
    assert names(account(tenants, "ops").list_queue(prefix=stem)[0]) == []  # unmapped key
    assert refused(b_orders.peek_message) == "MessageNotExist"
    assert refused(b_orders.receive_message, 0) == "MessageNotExist"

    # Team B writing to "its" queue of that name creates its own; team A never sees it.
    b_orders.send_message(Message("team B's"))
    assert b_orders.receive_message(1).message_body == "team B's"
    got = a_orders.receive_message(1)
    assert (got.message_id, got.message_body) == (sent.message_id, "for team A only")

    # Team A's receipt handle means nothing in team B's namespace, and A's message stays.
    assert refused(b_orders.delete_message, got.receipt_handle) in (
        "ReceiptHandleError",
        "MessageNotExist",
    )
    assert refused(b_orders.change_message_visibility, got.receipt_handle, 0) in (
        "ReceiptHandleError",
        "MessageNotExist",
    )
    assert a_orders.get_attributes().inactive_messages == 1
    a_orders.delete_message(got.receipt_handle)

    # Deleting "the" queue as team B deletes team B's queue only.
    b_orders.delete()
    assert a_orders.get_attributes().queue_name == stem
    assert names(account(tenants, "teamA").list_queue(prefix=stem)[0]) == [stem]


@pytest.mark.parametrize(
    "hostile",
    [
        "fnf-mns-queue-{stem}",  # shaped like an internal workflow id
        "{stem}--team-a",
        "%2e%2e%2fqueues%2f{stem}",  # an encoded path that climbs out of /queues/<name>
    ],
)
def test_hostile_queue_names_stay_in_the_signers_namespace(tenants: Tenants, hostile: str) -> None:
    stem = f"h-{uuid.uuid4().hex[:6]}"
    target = queue_of(tenants, "teamA", stem)
    target.create(QueueMeta())
    name = hostile.format(stem=stem)
    attacker = queue_of(tenants, "teamB", name)
    try:
        attacker.send_message(Message("from team B"))
    except MNSServerException as error:
        assert error.type in ("InvalidQueueName", "InvalidRequestURL", "InvalidArgument")
    assert refused(target.peek_message) == "MessageNotExist"
    listed = names(account(tenants, "teamB").list_queue()[0])
    assert stem not in listed


def test_topics_subscriptions_and_fan_out_per_team(tenants: Tenants) -> None:
    stem = f"events-{uuid.uuid4().hex[:6]}"
    inbox = f"inbox-{stem}"
    endpoint = f"acs:mns:cn-hangzhou:1:queues/{inbox}"
    a_topic = account(tenants, "teamA").get_topic(stem)
    a_topic.create(TopicMeta())
    a_topic.get_subscription("to-inbox").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
    )

    b_mns = account(tenants, "teamB")
    b_topic = b_mns.get_topic(stem)
    assert refused(b_topic.get_attributes) == "TopicNotExist"
    assert names(b_mns.list_topic(prefix=stem)[0]) == []
    assert refused(b_topic.list_subscription) == "TopicNotExist"
    assert refused(b_topic.get_subscription("to-inbox").get_attributes) in (
        "TopicNotExist",
        "SubscriptionNotExist",
    )
    assert refused(b_topic.get_subscription("to-inbox").unsubscribe) in (
        "TopicNotExist",
        "SubscriptionNotExist",
    )

    # Team B publishing to the same topic name reaches no subscriber of team A; its own
    # topic of that name, subscribed to "the" inbox queue, fills team B's inbox only.
    b_topic.publish_message(TopicMessage("from B, unsubscribed"))
    b_topic.create(TopicMeta())
    b_topic.get_subscription("to-inbox").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
    )
    b_topic.publish_message(TopicMessage("from B"))
    a_topic.publish_message(TopicMessage("from A"))
    a_inbox, b_inbox = queue_of(tenants, "teamA", inbox), queue_of(tenants, "teamB", inbox)
    assert [m.message_body for m in a_inbox.batch_receive_message(16, 3)] == ["from A"]
    assert [m.message_body for m in b_inbox.batch_receive_message(16, 3)] == ["from B"]
    b_topic.delete()
    assert a_topic.get_attributes().topic_name == stem


async def test_mns_objects_live_in_the_teams_namespace(
    tenants: Tenants, dev_server_address: str
) -> None:
    """What Temporal holds: team A's queue workflow in team A's namespace and nowhere else."""
    name = f"where-{uuid.uuid4().hex[:6]}"
    queue_of(tenants, "teamA", name).send_message(Message("here"))
    found = {}
    for namespace in (tenants.namespace_a, tenants.namespace_b, "default"):
        client = await Client.connect(dev_server_address, namespace=namespace)
        query = f'WorkflowType="FnFMnsQueue" AND WorkflowId="fnf-mns-queue:{name}"'
        found[namespace] = [run.id async for run in client.list_workflows(query)]
    assert found == {
        tenants.namespace_a: [f"fnf-mns-queue:{name}"],
        tenants.namespace_b: [],
        "default": [],
    }


def test_a_flows_queue_task_reaches_its_own_teams_queue(tenants: Tenants) -> None:
    """`fnf api`'s worker signs each namespace's MNS tasks with a key of that namespace."""
    queue = f"flow-out-{uuid.uuid4().hex[:6]}"
    definition = f"""\
version: v1
type: flow
steps:
  - type: task
    name: send
    resourceArn: acs:mns:::/queues/{queue}/messages
    serviceParams:
      MessageBody: $
"""
    teams = (("teamA", tenants.a), ("teamB", tenants.b))
    for key_id, api in teams:
        api.call(
            "CreateFlow",
            {"Name": "to-queue", "Definition": definition, "Description": "", "Type": "FDL"},
        )
        api.call(
            "StartExecution",
            {"FlowName": "to-queue", "ExecutionName": queue, "Input": json.dumps({"k": key_id})},
        )
        deadline = time.monotonic() + 30
        got = None
        while got is None and time.monotonic() < deadline:
            try:
                got = queue_of(tenants, key_id, queue).peek_message()
            except MNSServerException as error:
                assert error.type == "MessageNotExist"
                time.sleep(0.3)
        assert got is not None and json.loads(got.message_body) == {"k": key_id}
        for other in set(KEYS) - {key_id}:  # the other team and the API's own namespace
            assert refused(queue_of(tenants, other, queue).peek_message) == "MessageNotExist"
        received = queue_of(tenants, key_id, queue).receive_message(1)
        queue_of(tenants, key_id, queue).delete_message(received.receipt_handle)


@pytest.mark.parametrize(
    ("mns_key", "namespace", "expected"),
    [
        ("teamA", "team-a", "teamA"),  # already a key of the namespace served
        ("teamA", "team-b", "teamB"),  # another team's key: that team's queues; swapped
        ("ops", "team-b", "teamB"),
        ("teamB", "default", "ops"),  # the API's own namespace: a key the file leaves unmapped
        ("alibaba-ak", "team-b", "alibaba-ak"),  # not one of the facade's keys: another MNS
        ("teamA", "team-c", ""),  # no key serves team-c: none, never another team's
    ],
)
def test_each_namespace_worker_signs_mns_with_a_key_of_its_namespace(
    mns_key: str, namespace: str, expected: str
) -> None:
    namespaces = NamespaceMap(
        "default", {"teamA": {"cn-hangzhou": "team-a"}, "teamB": {"cn-hangzhou": "team-b"}}
    )
    secret = KEYS.get(mns_key, "alibaba-secret")
    settings = Settings(
        mns_endpoint="http://api:8080", mns_access_key_id=mns_key, mns_access_key_secret=secret
    )
    chosen = namespace_mns(settings, namespaces, AccessKeys(KEYS), namespace)
    assert chosen.mns_access_key_id == expected
    assert chosen.mns_access_key_secret == {**KEYS, "alibaba-ak": secret, "": ""}[expected]
