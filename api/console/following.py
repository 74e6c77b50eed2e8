"""The executions the console's pages follow: each one's path so far, fed only the events it
has not seen.

An execution page refreshes every second while the execution runs. Reading the whole history
and tracing it again each time cost about 0.7 s per refresh for a thousand steps, on the event
loop every request of the process shares. Here each followed execution keeps its
`PathTracker` and event rows; a refresh asks GetExecutionHistory for the events after the last
one seen (its NextToken is an EventId to read from: api/services/executions.py), and the
tracing and drawing run in a worker thread (`asyncio.to_thread`), one refresh per execution at
a time. Entries are per AccessKey, so one team's page never reads another's cache.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup

from translator.diagram.layout import as_flow_graph
from translator.diagram.path import PathTracker
from translator.graph import FlowGraph

FOLLOWED_AT_ONCE = 32
"""Executions kept (least recently shown first out); one more costs its events once more."""


@dataclass(frozen=True)
class FollowKey:
    access_key_id: str
    flow: str
    execution: str
    started: str
    """DescribeExecution's StartedTime: a flow deleted and created again may reuse the name."""


@dataclass(eq=False)
class Followed:
    definition: str
    tracker: PathTracker
    rows: list[Markup] = field(default_factory=list)
    """The event table's rows so far (rendered HTML), in EventId order."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def next_event(self) -> int:
        return self.tracker.last_event + 1


class Following:
    def __init__(self, size: int = FOLLOWED_AT_ONCE) -> None:
        self.size = size
        self._entries: OrderedDict[FollowKey, Followed] = OrderedDict()

    def entry(self, key: FollowKey, definition: str) -> Followed:
        """The execution's entry (a new one when its definition differs: never mixed)."""
        found = self._entries.get(key)
        if found is None or found.definition != definition:
            found = Followed(definition, tracker_for(definition))
            self._entries[key] = found
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return found


def tracker_for(definition: str) -> PathTracker:
    """A tracker placing steps in their branches and iterations; keyed by step name when the
    definition does not compile (its problems are listed on the flow's page)."""
    try:
        return PathTracker(_compiled(definition) if definition else None)
    except Exception:
        return PathTracker(None)


@lru_cache(maxsize=FOLLOWED_AT_ONCE)
def _compiled(definition: str) -> FlowGraph:
    """Compiling a flow of a thousand steps takes about half a second; executions of one
    definition share it (the tracker only reads it)."""
    return as_flow_graph(definition)
