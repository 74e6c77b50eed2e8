"""The typed shapes a flow diagram is made of: laid-out nodes, edges and groups.

A `FlowDiagram` is pure data in one coordinate system (pixels, origin top left, y down), so a
renderer (translator/diagram/svg.py, the web console) only draws what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NodeKind = Literal[
    "task",
    "pass",
    "wait",
    "choice",
    "succeed",
    "fail",
    "parallel",
    "foreach",
    "start",
    "end",
    "join",
]
EdgeKind = Literal["next", "choice", "default", "nomatch", "catch", "branch", "join"]
GroupKind = Literal["branch", "iteration"]

START = "start"
END = "end"


def step_node_id(step_id: int) -> str:
    """The node id of a compiled step (`id` is unique across the flow, names are not)."""
    return f"s{step_id}"


def join_node_id(step_id: int) -> str:
    """The node where a parallel's branches or a foreach's iterations meet again."""
    return f"s{step_id}.join"


def branch_group_id(step_id: int, index: int) -> str:
    return f"s{step_id}.b{index}"


def iteration_group_id(step_id: int) -> str:
    return f"s{step_id}.each"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def contains(self, other: Box, slack: float = 0.01) -> bool:
        return (
            other.x >= self.x - slack
            and other.y >= self.y - slack
            and other.right <= self.right + slack
            and other.bottom <= self.bottom + slack
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True)
class Node:
    """One drawn node: a step, or the flow's start and end, or a fan-out's join point.
    `x`, `y` is the top-left corner; `group` the innermost group holding it (None: top)."""

    id: str
    name: str
    """The step's name (a join carries its parallel's or foreach's name; start/end none)."""
    type: NodeKind
    x: float
    y: float
    width: float
    height: float
    group: str | None
    path: str = ""
    """The step's place in the document (`steps[0].branches[1].steps[2]`)."""
    detail: str = ""
    """A second line: the function a task calls, a wait's duration, a fail's error."""
    callback: bool = False
    retries: int = 0
    """How many retries the step's retry policies allow at most (0: none)."""

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.width, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True)
class Edge:
    """A transition from one node to another, routed as a polyline whose first point lies on
    the source's border and last on the target's."""

    source: str
    target: str
    label: str
    points: tuple[tuple[float, float], ...]
    kind: EdgeKind = "next"
    label_at: tuple[float, float] | None = None
    """The center of the label's box: the layout reserved room for it on the edge."""

    @property
    def key(self) -> str:
        """The key an ExecutionPath counts the edge's traversals under."""
        return edge_key(self.source, self.target)


def edge_key(source: str, target: str) -> str:
    return f"{source}->{target}"


@dataclass(frozen=True)
class Group:
    """A parallel branch or a foreach's iteration body: a box around its steps."""

    id: str
    label: str
    kind: GroupKind
    step: str
    """The node id of the parallel or foreach step that owns the group."""
    index: int
    """The branch's index (0 for a foreach body)."""
    x: float
    y: float
    width: float
    height: float
    parent: str | None

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.width, self.height)


@dataclass(frozen=True)
class FlowDiagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    groups: tuple[Group, ...]
    width: float
    height: float

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def steps(self) -> tuple[Node, ...]:
        """The nodes that are steps of the flow (not start, end or join points)."""
        return tuple(n for n in self.nodes if n.type not in ("start", "end", "join"))
