"""Which branch or iteration each FnF event belongs to, so `fnf run`, `fnf exec watch` and the
web console can indent or place them. Pure (no Temporal import), so every layer can use it.

The FnF history is one interleaved list: the members of a parallel or foreach step run at the
same time and their events alternate. An event names its step and, except for StepEntered,
the event it answers (`ScheduleEventId`: a step's events point at its StepEntered, a task's
at its TaskScheduled, BranchEntered/IterationEntered at the fan-out step's StepEntered). So
only a StepEntered needs placing. A member runs its steps one at a time, and step names are
unique within a `steps:` list, so a StepEntered goes to an open member whose steps include the
name and that is not in the middle of another step; among several (iterations of one
foreach), to the one idle longest, the order in which the workflow's coroutines run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from translator.graph import StepNode

FANOUT_MEMBERS = {"BranchEntered": "branch", "IterationEntered": "iteration"}
MEMBER_ENDS = frozenset({"BranchExited", "IterationExited"})
STEP_ENDS = frozenset({"StepExited", "StepFailed"})


@dataclass(eq=False)
class Member:
    """A sequence that runs its steps one at a time: the flow itself, a branch of a parallel
    step, or an iteration of a foreach step."""

    label: str
    """Empty for the flow; `Both#1` for branch 1 of step Both, `Each#0` for iteration 0."""
    depth: int
    steps: dict[str, StepNode]
    parent: Member | None = None
    active: int = 0
    idle_since: int = 0

    def path(self) -> list[str]:
        labels: list[str] = []
        member: Member | None = self
        while member is not None and member.label:
            labels.append(member.label)
            member = member.parent
        return labels[::-1]


@dataclass
class Placed:
    member: Member
    node: StepNode | None


@dataclass
class EventLayout:
    """Places each event of one execution, in EventId order, in its member."""

    root: Member
    placed: dict[int, Placed] = field(default_factory=dict)
    open_members: list[Member] = field(default_factory=list)
    members: dict[tuple[int, int], Member] = field(default_factory=dict)
    clock: count[int] = field(default_factory=count)

    @classmethod
    def of(cls, steps: list[StepNode] | None) -> EventLayout:
        return cls(Member("", 0, sequence_steps(steps or [])))

    def place(self, event: dict[str, Any]) -> Member:
        kind, event_id = event.get("Type", ""), int(event.get("EventId", 0))
        schedule = int(event.get("ScheduleEventId") or 0)
        if kind == "StepEntered":
            member = self._member_for(str(event.get("StepName", "")))
            member.active += 1
            self.placed[event_id] = Placed(member, member.steps.get(event.get("StepName", "")))
            return member
        owner = self.placed.get(schedule)
        member = owner.member if owner is not None else self.root
        self.placed[event_id] = Placed(member, owner.node if owner is not None else None)
        if kind in STEP_ENDS and owner is not None:
            member.active = max(member.active - 1, 0)
            member.idle_since = next(self.clock)
        elif kind in FANOUT_MEMBERS and owner is not None:
            self._open(event, schedule, owner)
        elif kind in MEMBER_ENDS:
            self._close(schedule, event)
        return member

    def _member_for(self, step: str) -> Member:
        candidates = [m for m in self.open_members if step in m.steps]
        idle = [m for m in candidates if m.active == 0]
        if idle:
            return min(idle, key=lambda m: (m.idle_since, -m.depth))
        if candidates:
            return max(candidates, key=lambda m: m.depth)
        return self.root

    def _open(self, event: dict[str, Any], fanout: int, owner: Placed) -> None:
        index = _index(event)
        node = owner.node
        if node is None or index is None:
            return
        if node["type"] == "parallel":
            branches = node.get("branches") or []
            steps = branches[index] if index < len(branches) else []
        else:
            steps = node.get("steps") or []
        member = Member(
            f"{node['name']}#{index}",
            owner.member.depth + 1,
            sequence_steps(steps),
            owner.member,
            idle_since=next(self.clock),
        )
        self.members[(fanout, index)] = member
        self.open_members.append(member)

    def _close(self, fanout: int, event: dict[str, Any]) -> None:
        index = _index(event)
        member = self.members.pop((fanout, index if index is not None else -1), None)
        if member is not None and member in self.open_members:
            self.open_members.remove(member)


def _index(event: dict[str, Any]) -> int | None:
    try:
        detail = json.loads(event.get("EventDetail") or "{}")
    except ValueError:
        return None
    index = detail.get("index") if isinstance(detail, dict) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def sequence_steps(steps: list[StepNode]) -> dict[str, StepNode]:
    """The steps a member runs itself: its list, and the options of its choice steps (which run
    inside the choice), but not the members of its parallel and foreach steps."""
    found: dict[str, StepNode] = {}
    for step in steps:
        found.setdefault(step["name"], step)
        if step["type"] == "choice":
            options = list(step.get("choices") or [])
            if step.get("default"):
                options.append(step["default"])  # type: ignore[arg-type]
            for option in options:
                for name, nested in sequence_steps(option.get("steps") or []).items():
                    found.setdefault(name, nested)
    return found
