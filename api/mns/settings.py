"""The MNS facade's configuration: topic subscriptions and the queues' visibility timeout.

Topics have no state of their own here: PublishMessage copies the message into every queue
subscribed to the topic, and the subscriptions are configuration, not API calls:

    FNF_MNS_TOPIC_SUBSCRIPTIONS="topic1=queueA|queueB,topic2=queueC"

A topic with no subscription accepts messages and drops them, as MNS does for a topic without
subscribers. Queues need no configuration at all: each is created on first use.

    FNF_MNS_VISIBILITY_TIMEOUT=30   seconds a received message stays hidden (MNS's default)
    FNF_MNS_PUSH_RETRY_SCALE=1      factor on MNS's pauses between HTTP push retries
                                    (`api.mns.push_entity`); less than 1 shortens them
    FNF_MNS_PUBLIC_URL=https://...  the API's base URL as push subscribers reach it, for the
                                    certificate URL signed pushes name (`api.mns.signing`);
                                    unset: the URL the PublishMessage was sent to
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from translator.names import QUEUE, TOPIC

ENV_TOPIC_SUBSCRIPTIONS: Final = "FNF_MNS_TOPIC_SUBSCRIPTIONS"
ENV_VISIBILITY_TIMEOUT: Final = "FNF_MNS_VISIBILITY_TIMEOUT"
ENV_PUSH_RETRY_SCALE: Final = "FNF_MNS_PUSH_RETRY_SCALE"
ENV_PUBLIC_URL: Final = "FNF_MNS_PUBLIC_URL"
MAX_PUSH_RETRY_SCALE: Final = 100.0
DEFAULT_VISIBILITY_TIMEOUT: Final = 30
MAX_VISIBILITY_TIMEOUT: Final = 43_200


def parse_subscriptions(text: str) -> dict[str, tuple[str, ...]]:
    """`topic1=queueA|queueB,topic2=queueC` as {topic: queues}; ValueError when malformed.

    Blank entries are skipped; a topic named twice gets the queues of both entries, once each.
    """
    subscriptions: dict[str, tuple[str, ...]] = {}
    for entry in text.split(","):
        item = entry.strip()
        if not item:
            continue
        topic, equals, queues_text = (part.strip() for part in item.partition("="))
        queues = tuple(q.strip() for q in queues_text.split("|") if q.strip())
        if not equals or not TOPIC.is_valid(topic) or not queues:
            raise ValueError(
                f"{ENV_TOPIC_SUBSCRIPTIONS}: expected topic=queueA|queueB entries separated by "
                f"commas, got {item!r}"
            )
        for queue in queues:
            if not QUEUE.is_valid(queue):
                raise ValueError(f"{ENV_TOPIC_SUBSCRIPTIONS}: {QUEUE.explain(queue)}")
        known = subscriptions.get(topic, ())
        subscriptions[topic] = known + tuple(q for q in dict.fromkeys(queues) if q not in known)
    return subscriptions


@dataclass(frozen=True)
class MnsSettings:
    subscriptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    push_retry_scale: float = 1.0
    public_url: str = ""

    def __post_init__(self) -> None:
        if self.public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", self.public_url):
            raise ValueError(
                f"{ENV_PUBLIC_URL} must be an http(s) URL without query, got "
                f"{self.public_url[:100]!r}"
            )
        if not 1 <= self.visibility_timeout <= MAX_VISIBILITY_TIMEOUT:
            raise ValueError(
                f"{ENV_VISIBILITY_TIMEOUT} must be 1..{MAX_VISIBILITY_TIMEOUT} seconds, "
                f"got {self.visibility_timeout}"
            )
        if not 0 < self.push_retry_scale <= MAX_PUSH_RETRY_SCALE:  # also refuses NaN
            raise ValueError(
                f"{ENV_PUSH_RETRY_SCALE} must be a number above 0 and at most "
                f"{MAX_PUSH_RETRY_SCALE:g}, got {self.push_retry_scale}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MnsSettings:
        env = os.environ if environ is None else environ
        raw_timeout = env.get(ENV_VISIBILITY_TIMEOUT, "").strip()
        try:
            timeout = int(raw_timeout) if raw_timeout else DEFAULT_VISIBILITY_TIMEOUT
        except ValueError:
            raise ValueError(
                f"{ENV_VISIBILITY_TIMEOUT} must be a whole number of seconds, got {raw_timeout!r}"
            ) from None
        raw_scale = env.get(ENV_PUSH_RETRY_SCALE, "").strip()
        try:
            scale = float(raw_scale) if raw_scale else 1.0
        except ValueError:
            raise ValueError(
                f"{ENV_PUSH_RETRY_SCALE} must be a number, got {raw_scale[:50]!r}"
            ) from None
        return cls(
            parse_subscriptions(env.get(ENV_TOPIC_SUBSCRIPTIONS, "")),
            timeout,
            scale,
            env.get(ENV_PUBLIC_URL, "").strip().rstrip("/"),
        )

    def subscribers(self, topic: str) -> tuple[str, ...]:
        return tuple(self.subscriptions.get(topic, ()))
