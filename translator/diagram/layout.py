"""Lay a flow out as a layered graph: where each step, edge and group goes.

The layering, the ordering of nodes within layers (crossing reduction) and the coordinates come
from grandalf's Sugiyama layout (the algorithm graphviz's `dot` implements), not from code of
ours. Groups are laid out inside out: each parallel branch and each foreach body is laid out on
its own, then takes part in its enclosing sequence's layout as one node of its size, so a
group always contains its steps and nothing else. A branch's or body's layout has two ports,
`@in` at its top and `@out` at its bottom; an edge that enters or leaves a group is stitched
together from the enclosing layout's route and the group's own.

What is drawn (FDL spec, steps): each step is one node; a parallel fans out into one group per
branch and its branches meet at a join point drawn after the groups; a foreach's body is one
group followed by its join; a choice has one labelled edge per option (its condition,
`default`, or `no match` when it has no default); a catch is a dashed edge labelled with its
errors; a `succeed` goes to the end of its own sequence; a `fail` ends the flow and so has no
edge out, and no separate `failed` node exists.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, cast

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Vertex as GVertex
from grandalf.graphs import graph_core as GraphCore
from grandalf.layouts import SugiyamaLayout

from translator import compile_text
from translator.compiler import compile_document
from translator.diagram.model import (
    END,
    START,
    Box,
    EdgeKind,
    FlowDiagram,
    Group,
    GroupKind,
    Node,
    NodeKind,
    branch_group_id,
    iteration_group_id,
    join_node_id,
    step_node_id,
)
from translator.diagram.model import Edge as DiagramEdge
from translator.graph import FlowGraph, OptionNode, StepNode

IN, OUT = "@in", "@out"
_POINTS = ("start", "end", "join")

X_SPACE = 36.0
Y_SPACE = 54.0
NODE_HEIGHT = 46.0
NODE_MIN_WIDTH = 110.0
NODE_MAX_WIDTH = 250.0
TERMINAL_SIZE = 28.0
JOIN_SIZE = 14.0
PORT_SIZE = 2.0
GROUP_PAD = 14.0
GROUP_HEADER = 24.0
FOREACH_HEADER = 40.0
COUNTS_WIDTH = 290.0
"""Room for a foreach's counts line: `iteration 2 of 40 · 12 succeeded · 0 failed · 3 running`."""
"""A foreach body's header holds two lines: its label and its iteration counts."""
COMPONENT_GAP = 48.0
MARGIN = 16.0
LABEL_CHARS = 40
LABEL_CHAR_WIDTH = 6.0
LABEL_HEIGHT = 18.0
NAME_CHARS = 30
"""Longest step name drawn whole; longer ones are cut with an ellipsis (the full name stays
in the node's title)."""


def layout_flow(flow: str | FlowGraph | Any) -> FlowDiagram:
    """The diagram of a flow: FDL text (YAML or JSON), a compiled FlowGraph, or a validated
    FlowDocument. Text that does not validate raises translator.FlowValidationError."""
    graph = as_flow_graph(flow)
    block = _Scope(START, END).sequence_block(graph["steps"])
    nodes, edges, groups = block.finish()
    shift_x, shift_y = MARGIN - block.left, MARGIN - block.top
    return FlowDiagram(
        nodes=tuple(_moved_node(n, shift_x, shift_y) for n in nodes),
        edges=tuple(_moved_edge(e, shift_x, shift_y) for e in edges),
        groups=tuple(replace(g, x=g.x + shift_x, y=g.y + shift_y) for g in groups),
        width=block.width + 2 * MARGIN,
        height=block.height + 2 * MARGIN,
    )


def as_flow_graph(flow: str | FlowGraph | Any) -> FlowGraph:
    """A compiled FlowGraph from FDL text, a FlowGraph, or a validated FlowDocument."""
    if isinstance(flow, str):
        return compile_text(flow)
    if isinstance(flow, dict) and "format" in flow and "steps" in flow:
        return cast(FlowGraph, flow)
    return compile_document(flow)


def _moved_node(node: Node, dx: float, dy: float) -> Node:
    return replace(node, x=node.x + dx, y=node.y + dy)


def _moved_edge(edge: DiagramEdge, dx: float, dy: float) -> DiagramEdge:
    at = edge.label_at
    return replace(
        edge,
        points=tuple((x + dx, y + dy) for x, y in edge.points),
        label_at=None if at is None else (at[0] + dx, at[1] + dy),
    )


# -- sizes and labels ------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A step name as a node shows it: cut with an ellipsis past NAME_CHARS characters."""
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _text_width(text: str, per_char: float) -> float:
    # East Asian wide characters take about twice the room of Latin ones.
    return sum(per_char * (1.9 if ord(ch) > 0x2E80 else 1.0) for ch in text)


def node_detail(step: StepNode) -> str:
    kind = step["type"]
    if kind == "task":
        resource = step["resource"]
        target = resource.get("function") or resource.get("flow") or resource["arn"]
        return display_name(str(target))
    if kind == "wait":
        duration, timestamp = step.get("duration"), step.get("timestamp")
        if isinstance(duration, dict):
            return f"{_source_text(duration)} s"
        if isinstance(timestamp, dict):
            return f"until {_source_text(timestamp)}"
        return ""
    if kind == "fail":
        return display_name(step.get("error", ""))
    if kind == "foreach":
        return f"{step['item']} in {step['collection']['text']}"
    return ""


def _source_text(source: Mapping[str, Any]) -> str:
    """A mapping source as written: a constant, or the path it reads."""
    if "const" in source:
        return display_name(str(source["const"]))
    path = source.get("path")
    return display_name(str(path.get("text", ""))) if isinstance(path, dict) else ""


def _node_width(step: StepNode) -> float:
    name = _text_width(display_name(step["name"]), 7.4)
    detail = _text_width(f"{step['type']} · {node_detail(step)}", 6.2)
    return min(max(name, detail) + 28.0, NODE_MAX_WIDTH) if max(name, detail) > 0 else 0.0


# -- one sequence's layout ---------------------------------------------------------------------


@dataclass
class _Item:
    """A vertex of one sequence's layout: a node, a port, or a whole group (`block`)."""

    key: str
    width: float
    height: float
    node: Node | None = None
    block: _Block | None = None
    group: Group | None = None
    center: tuple[float, float] = (0.0, 0.0)
    spread: bool = False
    """Edges leave and enter it at ports spread along its side (a step node, or a chain that
    starts and ends with one)."""

    @property
    def box(self) -> Box:
        cx, cy = self.center
        return Box(cx - self.width / 2, cy - self.height / 2, self.width, self.height)


@dataclass
class _Piece:
    """An edge, or a part of one: between items of one layout, or (once stitched into the
    enclosing layout) between a node and a group's port token `G.in` / `G.out`."""

    source: str
    target: str
    label: str
    kind: EdgeKind
    points: list[tuple[float, float]] = field(default_factory=list)
    label_at: tuple[float, float] | None = None


@dataclass
class _Block:
    """A laid-out sequence in its own coordinates, ready to be placed as a group's content."""

    nodes: list[Node]
    groups: list[Group]
    pieces: list[_Piece]
    left: float
    top: float
    width: float
    height: float

    def moved(self, dx: float, dy: float, group: str) -> _Block:
        """This block moved by (dx, dy) into group `group`: its ports become the group's
        tokens, its top-level nodes and groups the group's members."""
        nodes = [replace(n, x=n.x + dx, y=n.y + dy, group=n.group or group) for n in self.nodes]
        groups = [replace(g, x=g.x + dx, y=g.y + dy, parent=g.parent or group) for g in self.groups]
        pieces = [
            _Piece(
                f"{group}.in" if p.source == IN else p.source,
                f"{group}.out" if p.target == OUT else p.target,
                p.label,
                p.kind,
                [(x + dx, y + dy) for x, y in p.points],
                None if p.label_at is None else (p.label_at[0] + dx, p.label_at[1] + dy),
            )
            for p in self.pieces
        ]
        return _Block(nodes, groups, pieces, self.left + dx, self.top + dy, self.width, self.height)

    def finish(self) -> tuple[list[Node], list[DiagramEdge], list[Group]]:
        """The top-level block's nodes, its edges stitched through every group's ports, and
        its groups."""
        boxes = {n.id: n.box for n in self.nodes}
        edges = [_clipped(e, boxes) for e in _merged(_stitch(self.pieces))]
        return self.nodes, edges, self.groups


class _Scope:
    """Builds the items and pieces of one sequence, lays them out, and returns a _Block."""

    def __init__(self, entry: str, exit: str) -> None:
        self.entry, self.exit = entry, exit
        self.items: dict[str, _Item] = {}
        self.pieces: list[_Piece] = []

    def sequence_block(self, steps: list[StepNode]) -> _Block:
        self._port(self.entry)
        self._port(self.exit)
        self._piece(self.entry, _entry(steps, self.exit), "", "next")
        self._sequence(steps, self.exit)
        return self._layout()

    # building

    def _port(self, key: str) -> None:
        if key == START:
            node = Node(START, "", "start", 0, 0, TERMINAL_SIZE, TERMINAL_SIZE, None)
            self.items[key] = _Item(key, TERMINAL_SIZE, TERMINAL_SIZE, node=node)
        elif key == END:
            node = Node(END, "", "end", 0, 0, TERMINAL_SIZE, TERMINAL_SIZE, None)
            self.items[key] = _Item(key, TERMINAL_SIZE, TERMINAL_SIZE, node=node)
        else:
            self.items[key] = _Item(key, PORT_SIZE, PORT_SIZE)

    def _piece(self, source: str, target: str, label: str, kind: EdgeKind) -> None:
        self.pieces.append(_Piece(source, target, label, kind))

    def _sequence(self, steps: list[StepNode], exit: str) -> None:
        for step in steps:
            follow = _entry_of(steps, step["next"], exit)
            self._step(step, steps, follow, exit)

    def _step(self, step: StepNode, siblings: list[StepNode], follow: str, exit: str) -> None:
        sid = step_node_id(step["id"])
        self._add_node(step)
        kind = step["type"]
        if kind == "choice":
            self._choice(step, siblings, follow)
        elif kind in ("parallel", "foreach"):
            self._fan_out(step, follow)
        elif kind == "succeed":
            self._piece(sid, exit, "", "next")
        elif kind != "fail":
            self._piece(sid, follow, "", "next")
        for policy in step.get("catch", []):
            target = step_node_id(siblings[policy["goto"]]["id"])
            self._piece(sid, target, "catch " + ", ".join(policy["errors"]), "catch")

    def _add_node(self, step: StepNode) -> None:
        sid = step_node_id(step["id"])
        width = max(_node_width(step), NODE_MIN_WIDTH)
        retries = sum(p["maxAttempts"] for p in step.get("retry", []))
        node = Node(
            sid,
            step["name"],
            cast(NodeKind, step["type"]),
            0,
            0,
            width,
            NODE_HEIGHT,
            None,
            path=step["path"],
            detail=node_detail(step),
            callback=step.get("pattern") == "waitForCallback",
            retries=retries,
        )
        self.items[sid] = _Item(sid, width, NODE_HEIGHT, node=node)

    def _choice(self, step: StepNode, siblings: list[StepNode], follow: str) -> None:
        sid = step_node_id(step["id"])
        options: list[tuple[OptionNode, str, EdgeKind]] = [
            (o, o["conditionText"] or "", "choice") for o in step["choices"]
        ]
        default = step.get("default")
        if default:
            options.append((default, "default", "default"))
        else:
            self._piece(sid, follow, "no match", "nomatch")
        for option, label, kind in options:
            goto = option["goto"]
            after = step_node_id(siblings[goto]["id"]) if goto is not None else follow
            self._piece(sid, _entry(option["steps"], after), label, kind)
            self._sequence(option["steps"], after)

    def _fan_out(self, step: StepNode, follow: str) -> None:
        sid = step_node_id(step["id"])
        join = join_node_id(step["id"])
        join_node = Node(join, step["name"], "join", 0, 0, JOIN_SIZE, JOIN_SIZE, None)
        if step["type"] == "parallel":
            members = [
                (branch_group_id(step["id"], i), f"branch {i}", "branch", i, steps)
                for i, steps in enumerate(step["branches"])
            ]
        else:
            label = f"each {step['item']} in {step['collection']['text']}"
            members = [(iteration_group_id(step["id"]), label, "iteration", 0, step["steps"])]
        for gid, label, kind, index, steps in members:
            block = _Scope(IN, OUT).sequence_block(steps)
            counts = COUNTS_WIDTH if kind == "iteration" else 0.0
            width = max(block.width, _text_width(label, 6.2), counts) + 2 * GROUP_PAD
            header = FOREACH_HEADER if kind == "iteration" else GROUP_HEADER
            height = block.height + header + GROUP_PAD
            group = Group(gid, label, cast(GroupKind, kind), sid, index, 0, 0, width, height, None)
            self.items[gid] = _Item(gid, width, height, block=block, group=group)
            self._piece(sid, gid, "", "branch")
            self._piece(gid, join, "", "join")
        self.items[join] = _Item(join, JOIN_SIZE, JOIN_SIZE, node=join_node)
        self._piece(join, follow, "", "next")

    # laying out

    def _layout(self) -> _Block:
        pieces = _merged_pieces(self.pieces)
        used = {p.source for p in pieces} | {p.target for p in pieces}
        items = [i for k, i in self.items.items() if k in used or i.node is not None]
        items = [i for i in items if i.key in used or i.key not in (END, OUT)]
        if not items:
            return _Block([], [], [], 0, 0, 0, 0)
        pieces, labels = _label_vertices(pieces)
        routed = _segmented(items + labels, pieces, self.entry, self.exit)
        return self._block(items + labels, routed)

    def _block(self, items: list[_Item], routed: list[_Piece]) -> _Block:
        nodes: list[Node] = []
        groups: list[Group] = []
        pieces: list[_Piece] = []
        tokens: dict[str, _Item] = {}
        for item in items:
            box = item.box
            if item.node is not None:
                nodes.append(replace(item.node, x=box.x, y=box.y))
            elif item.block is not None and item.group is not None:
                inner = item.block
                dx = box.x + GROUP_PAD + (box.width - 2 * GROUP_PAD - inner.width) / 2 - inner.left
                header = FOREACH_HEADER if item.group.kind == "iteration" else GROUP_HEADER
                dy = box.y + header - inner.top
                moved = inner.moved(dx, dy, item.group.id)
                groups.append(replace(item.group, x=box.x, y=box.y))
                nodes += moved.nodes
                groups += moved.groups
                pieces += moved.pieces
                tokens[item.key] = item
        centers = {item.key: item.center for item in items if _is_label(item.key)}
        for piece in routed:
            piece.label_at = centers.get(piece.source) if piece.label else None
            pieces.append(_through_group_border(piece, tokens))
        boxes = [i.box for i in items]
        left = min(b.x for b in boxes)
        top = min(b.y for b in boxes)
        right = max(b.right for b in boxes)
        bottom = max(b.bottom for b in boxes)
        for piece in pieces:
            for x, y in piece.points:
                left, right = min(left, x), max(right, x)
                top, bottom = min(top, y), max(bottom, y)
        return _Block(nodes, groups, pieces, left, top, right - left, bottom - top)


def display_label(text: str) -> str:
    """An edge label as drawn: cut with an ellipsis past LABEL_CHARS characters."""
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def label_width(text: str) -> float:
    return _text_width(display_label(text), LABEL_CHAR_WIDTH) + 8.0


def _merged_pieces(pieces: list[_Piece]) -> list[_Piece]:
    """One piece per source and target (see _merged), before the layout gives each label
    its room."""
    merged: dict[tuple[str, str], _Piece] = {}
    for piece in pieces:
        known = merged.get((piece.source, piece.target))
        if known is None:
            merged[(piece.source, piece.target)] = _Piece(
                piece.source, piece.target, piece.label, piece.kind
            )
            continue
        known.label = " / ".join(label for label in (known.label, piece.label) if label)
        known.kind = known.kind if known.kind != "next" else piece.kind
    return list(merged.values())


def _is_label(key: str) -> bool:
    return key.endswith("#label")


def _label_vertices(pieces: list[_Piece]) -> tuple[list[_Piece], list[_Item]]:
    """A labelled edge passes through a vertex the size of its label, so the layout keeps
    labels clear of nodes and of each other (as graphviz's dot does)."""
    routed: list[_Piece] = []
    labels: list[_Item] = []
    for piece in pieces:
        if not piece.label or piece.source == piece.target:
            routed.append(piece)
            continue
        key = f"{piece.source}->{piece.target}#label"
        labels.append(_Item(key, label_width(piece.label), LABEL_HEIGHT))
        routed.append(_Piece(piece.source, key, "", piece.kind))
        routed.append(_Piece(key, piece.target, piece.label, piece.kind))
    return routed, labels


def _entry(steps: list[StepNode], exit: str) -> str:
    return step_node_id(steps[0]["id"]) if steps else exit


def _entry_of(steps: list[StepNode], position: int | None, exit: str) -> str:
    return step_node_id(steps[position]["id"]) if position is not None else exit


def _through_group_border(piece: _Piece, groups: dict[str, _Item]) -> _Piece:
    """A piece that ends at a group or starts from one ends at the group's port token, its
    route cut at the group's top border (entering) or bottom border (leaving)."""
    points = list(piece.points)
    source, target = piece.source, piece.target
    if target in groups:
        box = groups[target].box
        points[-1] = (points[-1][0], box.y)
        target = f"{target}.in"
    if source in groups:
        box = groups[source].box
        points[0] = (points[0][0], box.bottom)
        source = f"{source}.out"
    return _Piece(source, target, piece.label, piece.kind, points, piece.label_at)


# -- chains ------------------------------------------------------------------------------------
#
# A run of steps that follow one another and nothing else (each has one way in, from the one
# before, and one way out, to the one after) is drawn as a column whatever the layout does.
# It takes part in the Sugiyama layout as ONE vertex the size of the column and is unfolded
# afterwards: grandalf's layering and crossing reduction cost grows faster than linearly with
# the vertices and layers (its Layer.setup looks its layer up in the list of layers), so a
# flow of thousands of steps, mostly such runs, is laid out in a fraction of the time, with
# the same drawing.


@dataclass
class _Chain:
    """Items drawn as one column, top to bottom, and the pieces between them."""

    key: str
    members: list[_Item]
    links: list[_Piece]
    item: _Item = field(init=False)
    """The vertex the chain is in the layout; the layout sets its center."""

    def __post_init__(self) -> None:
        width = max(m.width for m in self.members)
        height = sum(m.height for m in self.members) + Y_SPACE * (len(self.members) - 1)
        ends = (self.members[0], self.members[-1])
        spread = all(m.node is not None and m.node.type not in _POINTS for m in ends)
        self.item = _Item(self.key, width, height, spread=spread)


def _chains_of(items: list[_Item], pieces: list[_Piece], entry: str) -> list[_Chain]:
    """The maximal runs of at least two items linked one to one (self-loops, the entry and
    the ports stay out, so that the layout's root and the group ports are vertices)."""
    leaving: dict[str, list[_Piece]] = {}
    entering: dict[str, list[_Piece]] = {}
    for piece in pieces:
        leaving.setdefault(piece.source, []).append(piece)
        entering.setdefault(piece.target, []).append(piece)
    fixed = {entry, START, END, IN, OUT}
    by_key = {item.key: item for item in items}

    def linked(piece: _Piece) -> bool:
        """The only way out of its source and the only way into its target."""
        return (
            piece.source != piece.target
            and not {piece.source, piece.target} & fixed
            and not _is_label(piece.source)
            and not _is_label(piece.target)
            and len(leaving.get(piece.source, ())) == 1
            and len(entering.get(piece.target, ())) == 1
        )

    chains: list[_Chain] = []
    for item in items:
        if item.key in fixed or _is_label(item.key):
            continue
        into = entering.get(item.key, [])
        if len(into) == 1 and linked(into[0]):
            continue  # not the first of its run
        members, links = [item], []
        while True:
            out = leaving.get(members[-1].key, [])
            if len(out) != 1 or not linked(out[0]) or out[0].target == item.key:
                break
            links.append(out[0])
            members.append(by_key[out[0].target])
        if len(members) > 1:
            chains.append(_Chain(f"{item.key}#chain", members, links))
    return chains


def _folded(
    items: list[_Item], pieces: list[_Piece], chains: list[_Chain]
) -> tuple[list[_Item], list[_Piece]]:
    """Each chain as one item; pieces into its first member or out of its last member go to
    that item, the pieces between its members are left out."""
    first = {chain.members[0].key: chain.key for chain in chains}
    last = {chain.members[-1].key: chain.key for chain in chains}
    inside = {member.key for chain in chains for member in chain.members}
    links = {id(link) for chain in chains for link in chain.links}
    # In document order, each chain where its earliest member was (not its first: a chain
    # that runs from an option's step back to the parallel it jumps to stands where that
    # parallel stood): grandalf breaks a cycle that nothing enters by searching from the
    # vertices in that order, and the first one found is ranked on top.
    position = {item.key: n for n, item in enumerate(items)}
    heads = {
        min((m.key for m in chain.members), key=position.__getitem__): chain.item
        for chain in chains
    }
    hidden = inside - set(heads)
    folded = [heads.get(item.key, item) for item in items if item.key not in hidden]
    outer = [
        _Piece(last.get(p.source, p.source), first.get(p.target, p.target), p.label, p.kind)
        for p in pieces
        if id(p) not in links
    ]
    return folded, outer


def _unfolded(routed: list[_Piece], chains: list[_Chain]) -> list[_Piece]:
    """Each chain's members placed down its column (setting their centers), the pieces
    between them straight down, and the pieces that reached the chain's vertex ended at its
    first member (entering) or started at its last one (leaving)."""
    firsts: dict[str, tuple[str, float]] = {}
    lasts: dict[str, tuple[str, float]] = {}
    unfolded: list[_Piece] = []
    for chain in chains:
        x, y = chain.item.center
        top = y - chain.item.height / 2
        for member in chain.members:
            member.center = (x, top + member.height / 2)
            top += member.height + Y_SPACE
        for link, (above, below) in zip(chain.links, pairwise(chain.members), strict=True):
            points = [above.center, below.center]
            unfolded.append(_Piece(link.source, link.target, link.label, link.kind, points))
        firsts[chain.key] = (chain.members[0].key, chain.members[0].center[1])
        lasts[chain.key] = (chain.members[-1].key, chain.members[-1].center[1])
    for piece in routed:
        points = list(piece.points)
        source, target = piece.source, piece.target
        if target in firsts:
            target, y = firsts[target]
            points[-1] = (points[-1][0], y)
        if source in lasts:
            source, y = lasts[source]
            points[0] = (points[0][0], y)
        unfolded.append(_Piece(source, target, piece.label, piece.kind, points))
    return unfolded


# -- segments ----------------------------------------------------------------------------------
#
# A long sequence is laid out in segments, stacked: where one edge alone leads from everything
# before to everything after (a step that nothing jumps over, in document order), the layout
# is cut. Each segment is laid out on its own and placed under the one before, its first
# vertex straight under the last one of the segment before, joined by that one edge. Layout
# time then grows with the length of the flow, not faster.

SEGMENT_MIN = 40
"""Vertices a segment has at least (a layout of fewer is not cut)."""


def _laid(items: list[_Item], pieces: list[_Piece], entry: str) -> list[_Piece]:
    """One segment's layout, its chains folded (see "chains" above)."""
    chains = _chains_of(items, pieces, entry)
    folded_items, folded_pieces = _folded(items, pieces, chains)
    return _unfolded(_sugiyama(folded_items, folded_pieces, entry), chains)


def _segmented(items: list[_Item], pieces: list[_Piece], entry: str, exit: str) -> list[_Piece]:
    items, cuts = _cuts(items, pieces, entry, exit)
    if not cuts:
        return _laid(items, pieces, entry)
    routed: list[_Piece] = []
    by_key = {item.key: item for item in items}
    parts = list(_segments(items, cuts))
    part_of = {item.key: n for n, (segment, _) in enumerate(parts) for item in segment}
    inner: list[list[_Piece]] = [[] for _ in parts]
    for piece in pieces:  # every other piece is a cut's joint
        if part_of[piece.source] == part_of[piece.target]:
            inner[part_of[piece.source]].append(piece)
    bottom, above = 0.0, None
    for (segment, joint), own in zip(parts, inner, strict=True):
        laid = _laid(segment, own, segment[0].key if above else entry)
        top = min(item.center[1] - item.height / 2 for item in segment)
        dx = 0.0 if above is None else above.center[0] - segment[0].center[0]
        dy = 0.0 if above is None else bottom + Y_SPACE - top
        for item in segment:
            item.center = (item.center[0] + dx, item.center[1] + dy)
        for piece in laid:
            piece.points = [(x + dx, y + dy) for x, y in piece.points]
        routed += laid
        if joint is not None and above is not None:
            target = by_key[joint.target]
            points = [above.center, target.center]
            routed.append(_Piece(joint.source, joint.target, joint.label, joint.kind, points))
        bottom = max(item.center[1] + item.height / 2 for item in segment)
        above = by_key[segment[-1].key]
    return routed


def _cuts(
    items: list[_Item], pieces: list[_Piece], entry: str, exit: str
) -> tuple[list[_Item], dict[int, _Piece]]:
    """The items in document order (a label with its edge's source, the entry first and the
    exit last) and where to cut them: position -> the one piece that crosses there, from the
    item before to the item after. Only cuts at least SEGMENT_MIN items apart."""
    if len(items) < 2 * SEGMENT_MIN:
        return items, {}
    rank = _document_ranks(items, pieces, entry, exit)
    given, items = items, sorted(items, key=lambda item: rank[item.key])
    position = {item.key: n for n, item in enumerate(items)}
    cover = [0] * (len(items) + 1)
    forward: dict[int, _Piece] = {}
    for piece in pieces:
        a, b = position[piece.source], position[piece.target]
        low, high = min(a, b), max(a, b)
        cover[low] += 1
        cover[high] -= 1
        if b == a + 1:
            forward[a] = piece
    cuts: dict[int, _Piece] = {}
    spanning, last = 0, 0
    for n in range(len(items) - 1):
        spanning += cover[n]
        rest = len(items) - (n + 1)
        if spanning == 1 and n in forward and min(n + 1 - last, rest) >= SEGMENT_MIN:
            cuts[n] = forward[n]
            last = n + 1
    return (items, cuts) if cuts else (given, {})


def _document_ranks(
    items: list[_Item], pieces: list[_Piece], entry: str, exit: str
) -> dict[str, float]:
    rank: dict[str, float] = {item.key: float(n) for n, item in enumerate(items)}
    for piece in pieces:  # a label's vertex sits on its edge, right after the edge's source
        if _is_label(piece.target) and piece.source in rank:
            rank[piece.target] = rank[piece.source] + 0.5
    rank[entry] = -1.0
    rank[exit] = float(len(items) + 1)
    return rank


def _segments(
    items: list[_Item], cuts: dict[int, _Piece]
) -> Iterator[tuple[list[_Item], _Piece | None]]:
    """The items between cuts, each with the piece that joins it to the segment before."""
    start, joint = 0, None
    for at, piece in sorted(cuts.items()):
        yield items[start : at + 1], joint
        start, joint = at + 1, piece
    yield items[start:], joint


# -- grandalf ----------------------------------------------------------------------------------


class _VertexView:
    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]


def _sugiyama(items: list[_Item], pieces: list[_Piece], entry: str) -> list[_Piece]:
    """Lay the items out with grandalf (component by component, left to right) and route
    every piece; sets each item's center, returns the pieces with their points."""
    vertices = {item.key: GVertex(item.key) for item in items}
    for item in items:
        vertices[item.key].view = _VertexView(item.width, item.height)
    edges: list[tuple[_Piece, GEdge | None]] = []
    for piece in pieces:
        if piece.source not in vertices or piece.target not in vertices:
            continue
        if piece.source == piece.target:
            edges.append((piece, None))
            continue
        edge = GEdge(vertices[piece.source], vertices[piece.target], data=piece)
        edge.view = _EdgeView()
        edges.append((piece, edge))
    components = _components(list(vertices.values()), [e for _, e in edges if e is not None])
    offset = 0.0
    order = {item.key: n for n, item in enumerate(items)}
    spread = {i.key for i in items if i.spread or (i.node and i.node.type not in _POINTS)}
    for component in sorted(components, key=lambda c: min(order[v.data] for v in c.sV)):
        offset = _lay_component(component, entry, offset, spread) + COMPONENT_GAP
    by_key = {item.key: item for item in items}
    for item in items:
        x, y = vertices[item.key].view.xy
        item.center = (float(x), float(y))
    routed = []
    for piece, edge in edges:
        box = by_key[piece.source].box
        points = _self_loop(box) if edge is None else list(edge.view.points)
        routed.append(_Piece(piece.source, piece.target, piece.label, piece.kind, points))
    return routed


def _components(vertices: list[GVertex], edges: list[GEdge]) -> list[Any]:
    """The connected components, each a grandalf graph_core with its vertices and edges in
    the order given. grandalf's own Graph gathers a component's edges in a set (an order
    that changes from one process to the next, so the same flow could be drawn two ways)
    and merges components by comparing vertex sets, in time quadratic in the vertices."""
    parent = {v.data: v.data for v in vertices}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for edge in edges:
        parent[root(edge.v[0].data)] = root(edge.v[1].data)
    members: dict[str, tuple[list[GVertex], list[GEdge]]] = {}
    for vertex in vertices:
        members.setdefault(root(vertex.data), ([], []))[0].append(vertex)
    for edge in edges:
        members[root(edge.v[0].data)][1].append(edge)
    return [GraphCore(vs, es) for vs, es in members.values()]


def _lay_component(component: Any, entry: str, offset: float, spread: set[str]) -> float:
    """Lays one connected component out, its left edge at `offset`; returns its right edge."""
    vertices = list(component.sV)
    sug = SugiyamaLayout(component)
    sug.xspace, sug.yspace = X_SPACE, Y_SPACE
    sug.dw, sug.dh = 8.0, 8.0
    roots = [v for v in vertices if v.data == entry]
    if not roots:
        roots = [v for v in vertices if not v.e_in()]
    # When every vertex has a predecessor (a loop nothing reaches), grandalf breaks the
    # cycles itself, searching from its vertices in document order, and ranks from the
    # vertices left without predecessors: a root of ours with a predecessor would be ranked
    # before it.
    with _recursion_room(len(vertices) + len(sug.layers or ()) + len(list(component.sE))):
        sug.init_all(roots=roots)
        sug.draw(3)
    _separate_layers(sug)
    _align_tops(sug)
    sug.draw_edges()
    left = min(v.view.xy[0] - v.view.w / 2 for layer in sug.layers for v in layer)
    right = max(v.view.xy[0] + v.view.w / 2 for layer in sug.layers for v in layer)
    dx = offset - left
    for layer in sug.layers:
        for v in layer:
            x, y = v.view.xy
            v.view.xy = (x + dx, y)
    sug.draw_edges()
    _elbows(sug, component, spread)
    return float(right + dx)


@contextmanager
def _recursion_room(depth: int) -> Iterator[None]:
    """grandalf's cycle search (Tarjan's) and block placement recurse once per vertex or layer
    and raise the recursion limit to that count only, forgetting the frames already on the
    stack (a CLI command's, a web request's): a sequence of a few hundred steps then ends in
    RecursionError. Leave room for `depth` more frames above the current ones while they run
    (CPython 3.11+ runs Python-to-Python calls without growing the C stack)."""
    frames = 0
    frame = sys._getframe()
    while frame is not None:
        frames += 1
        frame = frame.f_back  # type: ignore[assignment]
    with _RECURSION_LIMIT:  # one limit per process: a layout in another thread must not
        before = sys.getrecursionlimit()  # lower it under this one (the console's threads)
        sys.setrecursionlimit(max(before, frames + 2 * depth + 200))
        try:
            yield
        finally:
            sys.setrecursionlimit(before)


_RECURSION_LIMIT = threading.Lock()


def _elbows(sug: Any, component: Any, spread: set[str]) -> None:
    """Route each edge orthogonally: between two layers it leaves its node vertically, turns
    in the gap just before the next layer (never beside a taller node of its own layer), and
    enters vertically. Upward edges (loops) turn in the gap just after the layer they reach.
    Several edges leaving (or entering) one step on the same side get ports spread along
    it, ordered by where they go, so that they do not run on top of each other."""
    tops = [min(v.view.xy[1] - v.view.h / 2 for v in layer) for layer in sug.layers]
    bottoms = [max(v.view.xy[1] + v.view.h / 2 for v in layer) for layer in sug.layers]
    routes: list[tuple[Any, list[tuple[float, float]], list[int]]] = []
    for edge in component.sE:
        first, last = sug.grx[edge.v[0]].rank, sug.grx[edge.v[1]].rank
        step = 1 if last >= first else -1
        ranks = list(range(first, last + step, step))
        if len(ranks) == len(edge.view.points):
            routes.append((edge, list(edge.view.points), ranks))
    _spread_ports(routes, spread)
    turns = _tracks(routes, tops, bottoms)
    for n, (edge, points, _) in enumerate(routes):
        routed = [points[0]]
        for i, (a, b) in enumerate(pairwise(points)):
            turn = turns.get((n, i))
            if turn is not None:
                routed += [(a[0], turn), (b[0], turn)]
            routed.append(b)
        edge.view.points = routed


def _tracks(
    routes: list[tuple[Any, list[tuple[float, float]], list[int]]],
    tops: list[float],
    bottoms: list[float],
) -> dict[tuple[int, int], float]:
    """Where each sideways step of an edge turns: in the gap between the two layers it
    crosses, each on its own track, ordered so that edges leaving side by side do not cross
    (going right, the one that starts furthest right turns first; going left, the one that
    starts furthest left). Downward edges take the tracks from the upper layer down, upward
    ones from the lower layer up."""
    gaps: dict[int, list[tuple[bool, float, float, tuple[int, int]]]] = {}
    for n, (_, points, ranks) in enumerate(routes):
        for i, (a, b) in enumerate(pairwise(points)):
            if abs(a[0] - b[0]) > 0.5:
                gap = min(ranks[i], ranks[i + 1])
                gaps.setdefault(gap, []).append((ranks[i + 1] > ranks[i], a[0], b[0], (n, i)))
    turns: dict[tuple[int, int], float] = {}
    for gap, segments in gaps.items():
        upper = bottoms[gap]
        lower = tops[gap + 1] if gap + 1 < len(tops) else upper + Y_SPACE
        share = (lower - upper) / (len(segments) + 1)
        for downward in (True, False):
            chosen = [s for s in segments if s[0] is downward]
            right = sorted((s for s in chosen if s[2] > s[1]), key=lambda s: -s[1])
            left = sorted((s for s in chosen if s[2] < s[1]), key=lambda s: s[1])
            for j, segment in enumerate(right + left):
                offset = (j + 1) * share
                turns[segment[3]] = upper + offset if downward else lower - offset
    return turns


def _spread_ports(
    routes: list[tuple[Any, list[tuple[float, float]], list[int]]], spread: set[str]
) -> None:
    # Per node and side: a downward edge leaves the bottom and enters the top, an upward
    # one the other way round.
    ends: dict[tuple[str, bool], list[tuple[float, list[tuple[float, float]], int]]] = {}
    for edge, points, ranks in routes:
        downward = ranks[-1] >= ranks[0]
        if edge.v[0].data in spread:
            ends.setdefault((edge.v[0].data, downward), []).append((points[1][0], points, 0))
        if edge.v[1].data in spread:
            end = (points[-2][0], points, len(points) - 1)
            ends.setdefault((edge.v[1].data, not downward), []).append(end)
    for members in ends.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: m[0])
        center = members[0][1][members[0][2]][0]
        width = min(NODE_MIN_WIDTH * 0.8, 24.0 * (len(members) + 1))
        for n, (_, points, at) in enumerate(members):
            x = center - width / 2 + width * (n + 1) / (len(members) + 1)
            points[at] = (x, points[at][1])


def _separate_layers(sug: Any) -> None:
    """Brandes-Koepf's balanced placement averages four alignments and can bring two nodes
    of a layer closer than their widths allow; push them apart again, in layer order."""
    for layer in sug.layers:
        ordered = sorted(layer, key=lambda v: sug.grx[v].pos)
        for before, after in pairwise(ordered):
            least = before.view.xy[0] + (before.view.w + after.view.w) / 2 + X_SPACE / 2
            if after.view.xy[0] < least:
                after.view.xy = (least, after.view.xy[1])


def _align_tops(sug: Any) -> None:
    """grandalf centers each layer's nodes on one line; a group beside small nodes then
    floats in the middle of the layer. Align every layer's nodes at its top instead."""
    for layer in sug.layers:
        tallest = max(v.view.h for v in layer)
        for v in layer:
            x, y = v.view.xy
            v.view.xy = (x, y - tallest / 2 + v.view.h / 2)


def _self_loop(box: Box) -> list[tuple[float, float]]:
    """A step that goes back to itself: a small loop on its right side."""
    x, top, bottom = box.right, box.y + box.height * 0.3, box.y + box.height * 0.7
    return [(x, top), (x + 22, top), (x + 22, bottom), (x, bottom)]


# -- stitching and clipping --------------------------------------------------------------------


def _stitch(pieces: list[_Piece]) -> list[DiagramEdge]:
    """Edges between real nodes: chains of pieces joined at group port tokens."""
    leaving: dict[str, list[_Piece]] = {}
    for piece in pieces:
        leaving.setdefault(piece.source, []).append(piece)
    edges: list[DiagramEdge] = []
    for piece in pieces:
        if _is_token(piece.source):
            continue
        for chain in _chains(piece, leaving, 0):
            edges.append(_joined(chain))
    return edges


def _merged(edges: list[DiagramEdge]) -> list[DiagramEdge]:
    """One edge per source and target: a choice whose two options lead to the same step,
    or a catch that goes where the step goes anyway, is one edge with both labels."""
    by_key: dict[str, DiagramEdge] = {}
    for edge in edges:
        known = by_key.get(edge.key)
        if known is None:
            by_key[edge.key] = edge
            continue
        labels = [label for label in (known.label, edge.label) if label]
        kind = known.kind if known.kind != "next" else edge.kind
        by_key[edge.key] = replace(known, label=" / ".join(labels), kind=kind)
    return list(by_key.values())


def _is_token(key: str) -> bool:
    """A group's port token (`s3.b1.in`, `s5.each.out`) or a label's vertex; node ids never
    end so."""
    return key.endswith((".in", ".out")) or _is_label(key)


def _chains(piece: _Piece, leaving: dict[str, list[_Piece]], depth: int) -> Iterator[list[_Piece]]:
    if not _is_token(piece.target) or depth > 64:
        yield [piece]
        return
    for following in leaving.get(piece.target, []):
        for rest in _chains(following, leaving, depth + 1):
            yield [piece, *rest]


def _joined(chain: list[_Piece]) -> DiagramEdge:
    points: list[tuple[float, float]] = []
    for piece in chain:
        for point in piece.points:
            if not points or _distance(points[-1], point) > 0.5:
                points.append(point)
    label = next((p.label for p in chain if p.label), "")
    kind: EdgeKind = next((p.kind for p in chain if p.kind != "next"), "next")
    label_at = next((p.label_at for p in chain if p.label_at is not None), None)
    return DiagramEdge(chain[0].source, chain[-1].target, label, tuple(points), kind, label_at)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _clipped(edge: DiagramEdge, boxes: dict[str, Box]) -> DiagramEdge:
    """The edge's ends moved from its nodes' centers to their borders."""
    points = list(edge.points)
    if len(points) < 2 or edge.source == edge.target:
        return edge
    points[0] = _border_point(boxes[edge.source], points[0], points[1])
    points[-1] = _border_point(boxes[edge.target], points[-1], points[-2])
    return replace(edge, points=tuple(points))


def _border_point(
    box: Box, inside: tuple[float, float], toward: tuple[float, float]
) -> tuple[float, float]:
    """Where the segment from `inside` (in the box) to `toward` crosses the box's border."""
    x0, y0 = inside
    dx, dy = toward[0] - x0, toward[1] - y0
    if _inside(box, toward) or (dx == 0 and dy == 0):
        return inside
    scale = math.inf
    if dx > 0:
        scale = min(scale, (box.right - x0) / dx)
    elif dx < 0:
        scale = min(scale, (box.x - x0) / dx)
    if dy > 0:
        scale = min(scale, (box.bottom - y0) / dy)
    elif dy < 0:
        scale = min(scale, (box.y - y0) / dy)
    scale = max(0.0, min(scale, 1.0))
    return (x0 + dx * scale, y0 + dy * scale)


def _inside(box: Box, point: tuple[float, float]) -> bool:
    return box.x < point[0] < box.right and box.y < point[1] < box.bottom
