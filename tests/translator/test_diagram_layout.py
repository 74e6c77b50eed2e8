"""Layout properties (translator/diagram/layout.py) over every flow kept in the repository and
over generated flows, and the SVG drawing (translator/diagram/svg.py) of hostile text."""

from __future__ import annotations

import math
import sys
import threading
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.translator.diagram_flows import compiled, flows, kept_flows, member_groups, transitions
from translator import FlowValidationError
from translator.diagram.html import render_html
from translator.diagram.layout import display_name, label_width, layout_flow
from translator.diagram.model import END, Box, FlowDiagram, join_node_id, step_node_id
from translator.diagram.svg import render_svg
from translator.graph import FlowGraph, iter_steps

KEPT = kept_flows()
SVG = "{http://www.w3.org/2000/svg}"


def check_layout(graph: FlowGraph, diagram: FlowDiagram) -> None:
    steps = iter_steps(graph["steps"])
    nodes = {n.id: n for n in diagram.nodes}
    assert {n.id: (n.name, n.type) for n in diagram.steps()} == {
        step_node_id(s["id"]): (s["name"], s["type"]) for s in steps
    }, "every step is one node"
    keys = [e.key for e in diagram.edges]
    assert len(keys) == len(set(keys)), "one edge per source and target"
    assert set(keys) == transitions(graph), "every transition is an edge, and nothing else"
    assert "failed" not in nodes
    assert (END in nodes) == any(e.target == END for e in diagram.edges)
    groups = {g.id: g for g in diagram.groups}
    expected_groups = member_groups(graph)
    for node in diagram.steps():
        assert node.group == expected_groups[node.id]
    for node in diagram.nodes:
        group = groups.get(node.group or "")
        if group is not None:
            assert group.box.contains(node.box), (node.id, group.id)
    for group in diagram.groups:
        parent = groups.get(group.parent or "")
        if parent is not None:
            assert parent.box.contains(group.box), (group.id, parent.id)
    _check_no_overlaps(diagram)
    _check_fan_outs(graph, diagram)
    _check_edges(diagram)


def _ancestors(diagram: FlowDiagram, group_id: str | None) -> set[str]:
    groups = {g.id: g for g in diagram.groups}
    found: set[str] = set()
    while group_id is not None:
        found.add(group_id)
        group_id = groups[group_id].parent
    return found


def _check_no_overlaps(diagram: FlowDiagram) -> None:
    nodes = list(diagram.nodes)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            assert not a.box.overlaps(b.box), (a.id, b.id)
    for group in diagram.groups:
        for node in nodes:
            if group.id not in _ancestors(diagram, node.group):
                assert not group.box.overlaps(node.box), (group.id, node.id)
    for i, a in enumerate(diagram.groups):
        for b in diagram.groups[i + 1 :]:
            nested = a.box.contains(b.box) or b.box.contains(a.box)
            assert nested or not a.box.overlaps(b.box), (a.id, b.id)


def _check_fan_outs(graph: FlowGraph, diagram: FlowDiagram) -> None:
    """The parallel or foreach node above its groups, its join below them (never inside)."""
    nodes = {n.id: n for n in diagram.nodes}
    for step in iter_steps(graph["steps"]):
        if step["type"] not in ("parallel", "foreach"):
            continue
        owner = nodes[step_node_id(step["id"])]
        join = nodes.get(join_node_id(step["id"]))
        for group in (g for g in diagram.groups if g.step == owner.id):
            assert owner.box.bottom <= group.y
            if join is not None:
                assert join.y >= group.box.bottom
                assert join.group == owner.group


def _check_edges(diagram: FlowDiagram) -> None:
    nodes = {n.id: n for n in diagram.nodes}
    labels = [
        Box(e.label_at[0] - label_width(e.label) / 2, e.label_at[1] - 8, label_width(e.label), 16)
        for e in diagram.edges
        if e.label and e.label_at is not None
    ]
    for i, label in enumerate(labels):
        assert not any(label.overlaps(n.box) for n in diagram.nodes), "a label covers a node"
        assert not any(label.overlaps(other) for other in labels[i + 1 :]), "labels overlap"
    for edge in diagram.edges:
        assert len(edge.points) >= 2
        assert all(math.isfinite(x) and math.isfinite(y) for x, y in edge.points)
        if edge.source != edge.target:
            assert _on_border(nodes[edge.source].box, edge.points[0]), edge
            assert _on_border(nodes[edge.target].box, edge.points[-1]), edge
    for x, y in (p for e in diagram.edges for p in e.points):
        assert -1 <= x <= diagram.width + 1 and -1 <= y <= diagram.height + 1


def _on_border(box: Box, point: tuple[float, float]) -> bool:
    x, y = point
    inside = box.x - 0.5 <= x <= box.right + 0.5 and box.y - 0.5 <= y <= box.bottom + 0.5
    edge = min(abs(x - box.x), abs(x - box.right), abs(y - box.y), abs(y - box.bottom))
    return inside and edge <= 0.5


@pytest.mark.parametrize("name", sorted(KEPT))
def test_layout_of_every_kept_flow(name: str) -> None:
    graph = compiled(KEPT[name])
    diagram = layout_flow(KEPT[name])
    check_layout(graph, diagram)
    assert layout_flow(graph) == diagram, "the same flow always gets the same drawing"
    ET.fromstring(render_svg(diagram))


def test_the_join_of_video_processing_comes_after_its_branches() -> None:
    diagram = layout_flow(KEPT["examples/video-processing/flow.yaml"])
    names = {n.name: n for n in diagram.steps()}
    join = next(n for n in diagram.nodes if n.id == f"{names['Process_Video'].id}.join")
    branch_one = next(g for g in diagram.groups if g.id == f"{names['Process_Video'].id}.b1")
    assert join.group is None and join.y >= branch_one.box.bottom
    assert names["after-process"].group == branch_one.id
    labels = {e.label for e in diagram.edges}
    assert labels == {""}


def test_choice_edges_carry_their_conditions() -> None:
    diagram = layout_flow(KEPT["examples/polling/flow.yaml"])
    names = {n.name: n.id for n in diagram.steps()}
    check = names["CheckJobComplete"]
    labels = {e.target: e.label for e in diagram.edges if e.source == check}
    assert labels[names["Wait10s"]] == '$.status == "running"'
    assert labels[names["JobFailed"]] == "$.try_count > 3"
    assert set(labels[names["JobSucceeded"]].split(" / ")) == {
        '$.status == "success"',
        "no match",
    }


def test_invalid_text_is_refused_with_its_diagnostics() -> None:
    with pytest.raises(FlowValidationError):
        layout_flow("version: v1\ntype: flow\nsteps:\n  - {type: pass, name: a, next: b}\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_layout_of_generated_flows(text: str) -> None:
    graph = compiled(text)
    check_layout(graph, layout_flow(graph))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_svg_of_generated_flows_is_well_formed_and_escaped(text: str) -> None:
    graph = compiled(text)
    diagram = layout_flow(graph)
    svg_text = render_svg(diagram)
    root = ET.fromstring(svg_text)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "style", "defs", "marker", "path", "g", "title", "rect", "text"} | {
        "circle",
        "polygon",
    }
    drawn = {
        g.attrib["data-node"]: g
        for g in root.iter(f"{SVG}g")
        if "step" in g.attrib.get("class", "").split()
    }
    assert set(drawn) == {n.id for n in diagram.steps()}
    for node in diagram.steps():
        element = drawn[node.id]
        assert element.attrib["data-step"] == _xml_clean(node.name)
        texts = ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]
        assert _xml_clean(display_name(node.name)) in texts
    labels = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    for edge in diagram.edges:
        if edge.label and len(edge.label) <= 40:
            assert _xml_clean(edge.label) in labels
    page = render_html(diagram, title=graph["steps"][0]["name"])
    assert svg_text in page and "<script" not in page.lower()


def _xml_clean(text: str) -> str:
    """What XML can carry of a text: characters it cannot hold become U+FFFD."""
    return "".join(
        "\ufffd"
        if (ord(c) < 0x20 and c not in "\t\n\r")
        or 0xD800 <= ord(c) <= 0xDFFF
        or c in "\ufffe\uffff"
        else c
        for c in text
    )


UNREACHED_LOOP = """\
version: v1
type: flow
steps:
  - {type: pass, name: first}
  - {type: fail, name: stop}
  - {type: pass, name: loopStart}
  - {type: pass, name: loopMiddle}
  - type: task
    name: loopEnd
    resourceArn: acs:fc:::services/demo/functions/hello
    catch:
      - errors: [FnF.ALL]
        goto: loopStart
"""


def test_a_loop_that_nothing_reaches_is_laid_out_beside_the_flow() -> None:
    """No step of that part lacks a predecessor: its layout starts at its first step, not at
    the flow's end (which only leads nowhere)."""
    diagram = layout_flow(UNREACHED_LOOP)
    check_layout(compiled(UNREACHED_LOOP), diagram)
    names = {n.name: n for n in diagram.steps()}
    assert names["loopStart"].y < names["loopMiddle"].y < names["loopEnd"].y
    assert names["loopStart"].x > names["stop"].x + names["stop"].width


UNREACHED_FAN_OUT_LOOP = """\
version: v1
type: flow
steps:
  - {type: succeed, name: finished}
  - type: parallel
    name: fanOut
    branches:
      - steps: [{type: pass, name: left}]
      - steps: [{type: pass, name: right}]
  - type: choice
    name: again
    choices:
      - condition: $.x == "y"
        steps: [{type: pass, name: back}]
        goto: fanOut
"""


@pytest.mark.parametrize("fan_out", ["parallel", "foreach"])
def test_a_fan_out_in_a_loop_nothing_reaches_stays_above_its_groups(fan_out: str) -> None:
    """A choice option jumps back to a parallel (or foreach) that nothing else reaches: the
    option's last step and the fan-out form one column, and the loop is ranked from that
    column (where the fan-out stands in the document), not from the fan-out's first group."""
    text = UNREACHED_FAN_OUT_LOOP
    if fan_out == "foreach":
        text = text.replace(
            """    branches:
      - steps: [{type: pass, name: left}]
      - steps: [{type: pass, name: right}]
""",
            """    iterationMapping: {collection: $.items, item: item}
    steps: [{type: pass, name: left}]
""",
        ).replace("type: parallel", "type: foreach")
    diagram = layout_flow(text)
    check_layout(compiled(text), diagram)
    names = {n.name: n for n in diagram.steps()}
    owner = names["fanOut"]
    groups = [g for g in diagram.groups if g.step == owner.id]
    assert groups and all(owner.box.bottom <= g.y for g in groups)
    assert names["back"].y < owner.y < names["left"].y < names["again"].y


BEHIND_SUCCEED = """\
version: v1
type: flow
steps:
  - {type: fail, name: stop}
  - {type: succeed, name: done}
  - {type: pass, name: again}
  - type: choice
    name: check
    choices:
      - {condition: $.x == 1, goto: done}
      - condition: $.x == 2
        steps:
          - {type: pass, name: inner}
    default:
      goto: again
"""


def test_steps_behind_a_succeed_that_loop_and_lead_back() -> None:
    """Every step of the unreached part has a predecessor, `done` among them: the layout must
    not rank from a step whose predecessor it has not placed."""
    diagram = layout_flow(BEHIND_SUCCEED)
    check_layout(compiled(BEHIND_SUCCEED), diagram)
    names = {n.name: n for n in diagram.steps()}
    assert names["again"].y < names["check"].y < names["inner"].y


def _deep(frames: int, then: Any) -> Any:
    return then() if frames == 0 else _deep(frames - 1, then)


def test_a_long_sequence_is_laid_out_from_a_deep_stack() -> None:
    """grandalf recurses once per vertex and sets the recursion limit to that count alone; the
    frames already on the stack (a command's, a web request's) once made a 1,000-step flow end
    in RecursionError. Drawn here under 300 frames of our own, and the limit is restored."""
    text = "version: v1\ntype: flow\nsteps:\n" + "".join(
        f"  - {{type: pass, name: P{i}}}\n" for i in range(1000)
    )
    limit = sys.getrecursionlimit()
    svg = _deep(300, lambda: render_svg(layout_flow(text)))
    assert sys.getrecursionlimit() == limit
    ET.fromstring(svg)
    assert svg.count('class="step type-pass') == 1000


def test_long_sequences_are_laid_out_in_several_threads_at_once() -> None:
    """The console lays graphs out in worker threads; the recursion limit is one per process,
    so one layout ending must not lower it under another still running."""
    texts = [
        "version: v1\ntype: flow\nsteps:\n"
        + "".join(f"  - {{type: pass, name: T{n}P{i}}}\n" for i in range(900 + 50 * n))
        for n in range(3)
    ]
    failures: list[BaseException] = []

    def draw(text: str) -> None:
        try:
            _deep(300, lambda: render_svg(layout_flow(text)))
        except BaseException as error:  # RecursionError in a thread: kept for the assertion
            failures.append(error)

    threads = [threading.Thread(target=draw, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
