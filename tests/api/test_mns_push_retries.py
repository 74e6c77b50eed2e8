"""HTTP push retries by the subscription's NotifyStrategy, as MNS documents them ("NotifyStrategy"):
BACKOFF_RETRY retries 3 times after random pauses of 10-20 s; EXPONENTIAL_DECAY_RETRY 176 times
over about a day, after 1, 2, 4 ... 512 s. The facade fixture shortens every pause by
PUSH_RETRY_SCALE (FNF_MNS_PUSH_RETRY_SCALE), so 10-20 s are 0.5-1 s here."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import timedelta

from mns.account import Account
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

from api.mns.push_entity import backoff_pause, push_workflow_id, retry_policy
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET
from tests.api.test_mns_facade import PUSH_RETRY_SCALE, Facade, facade
from tests.api.test_mns_push_signature import Subscriber

__all__ = ["facade"]  # the module-scoped fixture, shared with the facade tests


def pauses(strategy: str) -> list[float]:
    """The pauses Temporal makes between attempts under the strategy's retry policy."""
    policy = retry_policy(strategy)
    assert policy.maximum_attempts > 0 and policy.maximum_interval is not None
    return [
        min(
            policy.initial_interval.total_seconds() * policy.backoff_coefficient**retry,
            policy.maximum_interval.total_seconds(),
        )
        for retry in range(policy.maximum_attempts - 1)
    ]


def test_the_schedules_are_mns_own() -> None:
    decay = pauses("EXPONENTIAL_DECAY_RETRY")
    assert len(decay) == 176
    assert decay[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert decay.count(512) == 167
    assert timedelta(hours=23) < timedelta(seconds=sum(decay)) <= timedelta(days=1)
    assert retry_policy("BACKOFF_RETRY").maximum_attempts == 4  # 3 retries
    drawn = [backoff_pause().total_seconds() for _ in range(2000)]
    assert 10 <= min(drawn) < 10.5 and 19.5 < max(drawn) <= 20
    assert retry_policy("EXPONENTIAL_DECAY_RETRY", 0.5).maximum_interval == timedelta(seconds=256)


def publish_to(facade: Facade, subscriber: Subscriber, strategy: str) -> tuple[str, str]:
    mns = Account(facade.endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    topic = mns.get_topic(f"retry-{uuid.uuid4().hex[:8]}")
    topic.create(TopicMeta())
    meta = SubscriptionMeta(subscriber.url("/hook"), notify_strategy=strategy)
    topic.get_subscription("hook").subscribe(meta)
    published = topic.publish_message(TopicMessage("retried"))
    return push_workflow_id(published.message_id, topic.topic_name, "hook"), published.message_id


def arrival_times(subscriber: Subscriber, count: int) -> list[float]:
    times: list[float] = []
    with subscriber.condition:
        while len(times) < count:
            assert subscriber.condition.wait_for(lambda: len(subscriber.arrived) > len(times), 30)
            times.extend(time.monotonic() for _ in subscriber.arrived[len(times) :])
    return times


def test_backoff_retry_pauses_10_to_20_seconds_three_times(facade: Facade) -> None:
    subscriber = Subscriber(failures=1000)  # never takes it
    try:
        push_id, _ = publish_to(facade, subscriber, "BACKOFF_RETRY")
        times = arrival_times(subscriber, 4)
        low, high = 10 * PUSH_RETRY_SCALE, 20 * PUSH_RETRY_SCALE
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(low * 0.9 <= gap <= high + 1.5 for gap in gaps), gaps  # 1.5: a loaded host
        delivered = facade.run(facade.context.client.get_workflow_handle(push_id).result())
        assert delivered is False  # MNS drops it after the last retry
        assert len(subscriber.arrived) == 4
    finally:
        subscriber.http.shutdown()


def test_exponential_decay_retry_keeps_going(facade: Facade) -> None:
    """Six attempts (BACKOFF_RETRY would have given up after four), pauses growing."""
    subscriber = Subscriber(failures=5)
    try:
        push_id, message_id = publish_to(facade, subscriber, "EXPONENTIAL_DECAY_RETRY")
        times = arrival_times(subscriber, 6)
        delivered = facade.run(facade.context.client.get_workflow_handle(push_id).result())
        assert delivered is True
        assert message_id.encode() in subscriber.arrived[-1].body
        total = times[-1] - times[0]
        assert total >= (1 + 2 + 4 + 8 + 16) * PUSH_RETRY_SCALE * 0.9, times
    finally:
        subscriber.http.shutdown()
