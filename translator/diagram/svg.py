"""Draw a FlowDiagram as standalone SVG text, optionally with an execution's path on it.

Every step is `<g class="step" data-step="NAME" data-node="ID" data-status="STATUS">`; every
edge `<g class="edge" data-source data-target>` with `data-count` and a visible `xN` when it
was taken more than once; a task tried more than once says `N attempts`. Flow text is user
input, so every name, label and detail is escaped for XML (markup characters as entities,
characters XML 1.0 cannot carry replaced by U+FFFD, W3C XML 1.0 section 2.2) and cut to a
drawable length; the full text stays in the element's `<title>`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from html import escape
from itertools import pairwise

from translator.diagram.layout import display_label, display_name, label_width
from translator.diagram.model import Box, Edge, FlowDiagram, Group, Node
from translator.diagram.path import STATUS_TEXT, STATUSES, ExecutionPath, PathView

LEGEND_HEIGHT = 34.0

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

STYLE = """
.fnf-graph { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 12px; }
.fnf-graph .group-frame rect { fill: #f8f9fa; stroke: #bdc1c6; stroke-dasharray: 4 3; }
.fnf-graph .group text { fill: #5f6368; font-size: 11px; paint-order: stroke;
  stroke: #f8f9fa; stroke-width: 4px; stroke-linejoin: round; }
.fnf-graph .group .counts { fill: #202124; }
.fnf-graph .edge path { fill: none; stroke: #9aa0a6; stroke-width: 1.4; }
.fnf-graph .edge.catch path { stroke-dasharray: 5 3; stroke: #e8710a; }
.fnf-graph .edge.taken path { stroke: #1a73e8; stroke-width: 2.4; }
.fnf-graph .edge.catch.taken path { stroke: #e8710a; }
.fnf-graph .edge.untaken path { stroke: #dadce0; }
.fnf-graph .edge .label rect { fill: #ffffff; fill-opacity: 0.92; }
.fnf-graph .edge .label text { fill: #3c4043; font-size: 11px; }
.fnf-graph .edge .count rect { fill: #1a73e8; }
.fnf-graph .edge .count text { fill: #ffffff; font-size: 11px; font-weight: 600; }
.fnf-graph .shape { fill: #ffffff; stroke: #5f6368; stroke-width: 1.4; }
.fnf-graph .name { fill: #202124; font-weight: 600; }
.fnf-graph .detail { fill: #5f6368; font-size: 11px; }
.fnf-graph .attempts rect { fill: #fbbc04; }
.fnf-graph .attempts text { fill: #202124; font-size: 10px; font-weight: 600; }
.fnf-graph .terminal .shape { fill: #ffffff; }
.fnf-graph .join .shape { fill: #5f6368; stroke: none; }
.fnf-graph [data-status="succeeded"] .shape { fill: #e6f4ea; stroke: #1e8e3e; }
.fnf-graph [data-status="failed"] .shape { fill: #fce8e6; stroke: #d93025; }
.fnf-graph [data-status="stopped"] .shape { fill: #f1f3f4; stroke: #5f6368;
  stroke-dasharray: 3 2; }
.fnf-graph [data-status="running"] .shape { fill: #e8f0fe; stroke: #1a73e8;
  stroke-width: 2.4; }
.fnf-graph [data-status="waiting"] .shape { fill: #fef7e0; stroke: #f29900;
  stroke-width: 2.4; stroke-dasharray: 6 3; }
.fnf-graph [data-status="caught"] .shape { fill: #fef0e6; stroke: #e8710a; }
.fnf-graph [data-status="not_reached"] .shape { fill: #f8f9fa; stroke: #dadce0; }
.fnf-graph [data-status="not_reached"] .name,
.fnf-graph [data-status="not_reached"] .detail { fill: #9aa0a6; }
.fnf-graph .join[data-status="succeeded"] .shape { fill: #1e8e3e; }
.fnf-graph .join[data-status="not_reached"] .shape { fill: #dadce0; }
.fnf-graph .step.selected .shape { stroke-width: 3.2; }
.fnf-graph .legend text { fill: #3c4043; font-size: 11px; }
.fnf-graph .legend .shape { stroke-width: 1.4; }
.fnf-graph .step { cursor: pointer; }
"""


_WHITESPACE = str.maketrans({"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


def xml_text(text: object) -> str:
    """Text safe in XML content and in double- or single-quoted attributes; tabs and line
    breaks as references, which attribute-value normalization leaves alone (XML 1.0 3.3.3)."""
    return escape(_NOT_XML.sub("\ufffd", str(text)), quote=True).translate(_WHITESPACE)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_svg(
    diagram: FlowDiagram,
    path: ExecutionPath | None = None,
    iteration: int | Mapping[str, int] | None = None,
) -> str:
    """The diagram as one `<svg>` document. With `path`, each step shows its status and
    attempts and each edge how often it was taken; `iteration` picks the foreach iteration
    whose path is drawn (one index for every foreach, or per foreach node id or step name)
    instead of all iterations together."""
    view = path.view(iteration) if path is not None else None
    height = diagram.height + (LEGEND_HEIGHT if view is not None else 0)
    width = max(diagram.width, 700.0 if view is not None else 0.0)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="fnf-graph" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'data-status="{xml_text(path.status) if path else ""}">',
        f"<style>{STYLE}</style>",
        _defs(),
    ]
    groups = _outer_first(diagram.groups)
    parts += [_frame(g) for g in groups]
    placer = _LabelPlacer(diagram)
    parts += [_edge(e, view, placer) for e in diagram.edges]
    parts += [_group(g, view) for g in groups]
    parts += [_node(n, view) for n in diagram.nodes]
    if view is not None:
        parts.append(_legend(diagram.height))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _defs() -> str:
    def marker(name: str, color: str) -> str:
        return (
            f'<marker id="fnf-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
        )

    return (
        "<defs>"
        + marker("plain", "#9aa0a6")
        + marker("taken", "#1a73e8")
        + marker("catch", "#e8710a")
        + marker("untaken", "#dadce0")
        + "</defs>"
    )


def _outer_first(groups: tuple[Group, ...]) -> list[Group]:
    depth: dict[str, int] = {}
    by_id = {g.id: g for g in groups}

    def level(group: Group) -> int:
        if group.id not in depth:
            parent = by_id.get(group.parent or "")
            depth[group.id] = 0 if parent is None else level(parent) + 1
        return depth[group.id]

    return sorted(groups, key=level)


def _frame(group: Group) -> str:
    """A group's box, drawn under the edges."""
    return (
        f'<g class="group-frame" data-group="{xml_text(group.id)}">'
        f'<rect x="{_n(group.x)}" y="{_n(group.y)}" width="{_n(group.width)}" '
        f'height="{_n(group.height)}" rx="8"/></g>'
    )


def _group(group: Group, view: PathView | None) -> str:
    """A group's heading (and a foreach's counts), drawn over the edges with a halo so that
    an edge entering the group does not run through the words."""
    label = group.label
    extra = ""
    if view is not None and group.kind == "iteration" and group.step in view.foreach:
        fan = view.foreach[group.step]
        counts = f"{fan.succeeded} succeeded · {fan.failed} failed · {fan.running} running"
        if fan.stopped:
            counts += f" · {fan.stopped} stopped"
        if group.step in view.chosen:
            counts = f"iteration {view.chosen[group.step]} of {fan.total} · " + counts
        extra = (
            f'<text class="counts" x="{_n(group.x + 8)}" y="{_n(group.y + 30)}">'
            f"{xml_text(counts)}</text>"
        )
    attrs = (
        f'class="group" data-group="{xml_text(group.id)}" data-kind="{group.kind}" '
        f'data-node="{xml_text(group.step)}"'
    )
    return (
        f"<g {attrs}><title>{xml_text(label)}</title>"
        f'<text x="{_n(group.x + 8)}" y="{_n(group.y + 15)}">'
        f"{xml_text(_cut(label, 50))}</text>{extra}</g>"
    )


class _LabelPlacer:
    """Puts each edge label where it covers no node, no group heading and no label placed
    before it, trying points along the edge from its middle outwards."""

    SHARES = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85)

    def __init__(self, diagram: FlowDiagram) -> None:
        self.taken: list[Box] = [n.box for n in diagram.nodes]
        for group in diagram.groups:
            header = 34.0 if group.kind == "iteration" else 20.0
            self.taken.append(Box(group.x, group.y, min(group.width, 260.0), header))

    def place(
        self, points: tuple[tuple[float, float], ...], width: float, shares: tuple[float, ...]
    ) -> tuple[float, float]:
        best, least = _along(points, shares[0]), math.inf
        for share in shares:
            x, y = _along(points, share)
            box = Box(x - width / 2, y - 8, width, 16)
            covered = sum(_overlap(box, other) for other in self.taken)
            if covered < least:
                best, least = (x, y), covered
            if covered == 0:
                break
        x, y = best
        self.taken.append(Box(x - width / 2, y - 8, width, 16))
        return best


def _overlap(a: Box, b: Box) -> float:
    width = min(a.right, b.right) - max(a.x, b.x)
    height = min(a.bottom, b.bottom) - max(a.y, b.y)
    return width * height if width > 0 and height > 0 else 0.0


def _edge(edge: Edge, view: PathView | None, placer: _LabelPlacer) -> str:
    taken = view.edges.get(edge.key, 0) if view is not None else 0
    classes = ["edge", edge.kind]
    if view is not None:
        classes.append("taken" if taken else "untaken")
    marker = "catch" if edge.kind == "catch" else "plain"
    if view is not None:
        marker = ("catch" if edge.kind == "catch" else "taken") if taken else "untaken"
    attrs = (
        f'class="{" ".join(classes)}" data-source="{xml_text(edge.source)}" '
        f'data-target="{xml_text(edge.target)}"'
    )
    if taken > 1:
        attrs += f' data-count="{taken}"'
    points = " L".join(f"{_n(x)},{_n(y)}" for x, y in edge.points)
    body = [f'<path d="M{points}" marker-end="url(#fnf-arrow-{marker})"/>']
    title = edge.label
    if taken:
        title = (title + " · " if title else "") + f"taken {taken} times"
    if title:
        body.insert(0, f"<title>{xml_text(title)}</title>")
    if edge.label:
        text = display_label(edge.label)
        width = label_width(edge.label)
        if edge.label_at is not None:
            spot = edge.label_at
            placer.taken.append(Box(spot[0] - width / 2, spot[1] - 8, width, 16))
        else:
            spot = placer.place(edge.points, width, placer.SHARES)
        body.append(_badge("label", text, spot, width))
    if taken > 1:
        text = f"x{taken}"
        width = _badge_width(text, 6.6)
        spot = placer.place(edge.points, width, placer.SHARES)
        body.append(_badge("count", text, spot, width))
    return f"<g {attrs}>{''.join(body)}</g>"


def _badge_width(text: str, per_char: float) -> float:
    return len(text) * per_char + 8


def _badge(kind: str, text: str, at: tuple[float, float], width: float) -> str:
    x, y = at
    return (
        f'<g class="{kind}"><rect x="{_n(x - width / 2)}" y="{_n(y - 8)}" '
        f'width="{_n(width)}" height="16" rx="4"/>'
        f'<text x="{_n(x)}" y="{_n(y + 4)}" text-anchor="middle">{xml_text(text)}</text></g>'
    )


def _along(points: tuple[tuple[float, float], ...], share: float) -> tuple[float, float]:
    """The point at `share` of the polyline's length."""
    if not points:
        return (0.0, 0.0)
    lengths = [math.dist(a, b) for a, b in pairwise(points)]
    goal = sum(lengths) * share
    for (a, b), length in zip(pairwise(points), lengths, strict=True):
        if goal <= length and length > 0:
            t = goal / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        goal -= length
    return points[-1]


def _node(node: Node, view: PathView | None) -> str:
    if node.type in ("start", "end", "join"):
        return _point(node, view)
    status = view.status(node.id, node.name) if view is not None else ""
    step = view.step(node.id, node.name) if view is not None else None
    classes = f"step type-{node.type}" + (f" status-{status}" if status else "")
    attrs = (
        f'class="{classes}" data-step="{xml_text(node.name)}" '
        f'data-node="{xml_text(node.id)}" data-type="{node.type}"'
    )
    if view is not None:
        attrs += f' data-status="{status}"'
        if step is not None and step.attempts:
            attrs += f' data-attempts="{step.attempts}"'
    lines = [node.name, f"{node.type}" + (f" · {node.detail}" if node.detail else "")]
    if node.callback:
        lines.append("waits for a callback")
    if node.retries:
        lines.append(f"retries up to {node.retries} times")
    if view is not None:
        lines.append(f"status: {STATUS_TEXT[view.status(node.id, node.name)]}")
        if step is not None and step.attempts > 1:
            lines.append(f"{step.attempts} attempts")
        if step is not None and step.error is not None:
            lines.append(f"error: {step.error}")
    subtitle = node.type + (f" · {node.detail}" if node.detail else "")
    if node.callback:
        subtitle += " ⟲"
    cx = node.x + node.width / 2
    body = [
        f"<title>{xml_text(chr(10).join(lines))}</title>",
        _shape(node),
        f'<text class="name" x="{_n(cx)}" y="{_n(node.y + 19)}" text-anchor="middle">'
        f"{xml_text(display_name(node.name))}</text>",
        f'<text class="detail" x="{_n(cx)}" y="{_n(node.y + 35)}" text-anchor="middle">'
        f"{xml_text(_cut(subtitle, 34))}</text>",
    ]
    if step is not None and step.attempts > 1:
        text = f"{step.attempts} attempts"
        width = len(text) * 6.0 + 8
        x, y = node.x + node.width - width + 6, node.y - 8
        body.append(
            f'<g class="attempts"><rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" '
            f'height="15" rx="7"/><text x="{_n(x + width / 2)}" y="{_n(y + 11)}" '
            f'text-anchor="middle">{xml_text(text)}</text></g>'
        )
    return f"<g {attrs}>{''.join(body)}</g>"


def _shape(node: Node) -> str:
    x, y, w, h = node.x, node.y, node.width, node.height
    if node.type == "choice":
        d = 12.0
        points = [
            (x + d, y),
            (x + w - d, y),
            (x + w, y + h / 2),
            (x + w - d, y + h),
            (x + d, y + h),
            (x, y + h / 2),
        ]
        text = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
        return f'<polygon class="shape" points="{text}"/>'
    radius = {"succeed": h / 2, "fail": h / 2, "pass": 14.0}.get(node.type, 6.0)
    rect = (
        f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
        f'rx="{_n(radius)}"/>'
    )
    if node.type in ("parallel", "foreach"):
        rect += (
            f'<rect class="shape inner" x="{_n(x + 3)}" y="{_n(y + 3)}" width="{_n(w - 6)}" '
            f'height="{_n(h - 6)}" rx="4" fill="none"/>'
        )
    if node.type == "fail":
        rect += (
            f'<rect class="shape inner" x="{_n(x + 3)}" y="{_n(y + 3)}" width="{_n(w - 6)}" '
            f'height="{_n(h - 6)}" rx="{_n(h / 2 - 3)}" fill="none"/>'
        )
    return rect


def _point(node: Node, view: PathView | None) -> str:
    status = view.status(node.id, node.name) if view is not None else ""
    kind = "join" if node.type == "join" else "terminal"
    attrs = f'class="{kind} {node.type}" data-node="{xml_text(node.id)}"'
    if view is not None:
        attrs += f' data-status="{status}"'
    cx, cy = node.center
    r = node.width / 2
    title = {"start": "start", "end": "end"}.get(node.type, f"{node.name}: join")
    body = f'<circle class="shape" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}"/>'
    if node.type == "end":
        body += f'<circle class="shape" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r - 5)}"/>'
    return f"<g {attrs}><title>{xml_text(title)}</title>{body}</g>"


def _legend(top: float) -> str:
    items = []
    x = 16.0
    for status in STATUSES:
        text = STATUS_TEXT[status]
        items.append(
            f'<g data-status="{status}"><rect class="shape" x="{_n(x)}" y="{_n(top + 8)}" '
            f'width="18" height="14" rx="3"/><text x="{_n(x + 24)}" y="{_n(top + 19)}">'
            f"{xml_text(text)}</text></g>"
        )
        x += 24 + len(text) * 6.3 + 16
    return f'<g class="legend">{"".join(items)}</g>'
