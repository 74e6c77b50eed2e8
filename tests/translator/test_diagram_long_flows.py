"""Long flows are laid out in time, and read as short ones do: runs of steps are drawn as
columns and a long sequence in stacked segments (translator/diagram/layout.py), with every
property check_layout holds a drawing to."""

from __future__ import annotations

import time

from tests.translator.diagram_flows import compiled
from tests.translator.test_diagram_layout import check_layout
from translator.diagram.layout import layout_flow
from translator.diagram.model import FlowDiagram

HEADER = "version: v1\ntype: flow\nsteps:\n"


def flat(steps: int) -> str:
    return HEADER + "".join(f"  - {{type: pass, name: P{i}}}\n" for i in range(steps))


def mixed(blocks: int, loop_back: bool = False) -> str:
    """Blocks of twelve steps: a choice that skips ahead, a run of passes, a task with a
    catch, a parallel of two branches, a foreach; with `loop_back`, each block's last choice
    may go back to the block before (so no cut can fall between those blocks)."""
    text = HEADER
    for b in range(blocks):
        back = f"B{b - 1}_1" if loop_back and b else f"B{b}_9"
        text += f"""  - type: choice
    name: B{b}_0
    choices:
      - condition: $.x > {b}
        goto: B{b}_5
    default:
      goto: B{b}_1
  - {{type: pass, name: B{b}_1}}
  - {{type: pass, name: B{b}_2}}
  - type: task
    name: B{b}_3
    resourceArn: acs:fc:::services/s/functions/f
    catch:
      - errors: [FC.Unknown]
        goto: B{b}_6
  - {{type: pass, name: B{b}_4}}
  - {{type: pass, name: B{b}_5}}
  - {{type: pass, name: B{b}_6}}
  - type: parallel
    name: B{b}_7
    branches:
      - steps:
          - {{type: pass, name: L{b}}}
      - steps:
          - {{type: pass, name: R{b}}}
  - type: foreach
    name: B{b}_8
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - {{type: pass, name: E{b}}}
  - type: choice
    name: B{b}_9
    choices:
      - condition: $.y > {b}
        goto: {back}
    default:
      goto: B{b}_10
  - {{type: pass, name: B{b}_10}}
  - {{type: pass, name: B{b}_11}}
"""
    return text


def timed(text: str) -> tuple[float, FlowDiagram]:
    graph = compiled(text)
    started = time.perf_counter()
    diagram = layout_flow(graph)
    return time.perf_counter() - started, diagram


def test_a_flow_of_4000_steps_is_laid_out_in_seconds() -> None:
    """A sequence of 4,000 steps took 11 s (50 s on a loaded machine): grandalf's layering
    and component search are quadratic in the vertices. Its runs are now one vertex each,
    and a long sequence is cut in segments (the bounds leave room for a loaded machine; on
    an idle one these take well under 2 s)."""
    seconds, diagram = timed(flat(4000))
    assert seconds < 10, seconds
    assert len(diagram.steps()) == 4000
    ys = [node.y for node in diagram.steps()]
    assert ys == sorted(ys) and len(set(node.x for node in diagram.steps())) == 1  # one column
    seconds, diagram = timed(mixed(4000 // 15))
    assert seconds < 25, seconds
    assert len(diagram.steps()) == 15 * (4000 // 15)


def test_long_mixed_flows_keep_every_layout_property() -> None:
    for text in (mixed(12), mixed(12, loop_back=True), mixed(5) + flat(120)[len(HEADER) :]):
        graph = compiled(text)
        diagram = layout_flow(text)
        check_layout(graph, diagram)
        assert layout_flow(graph) == diagram, "the same flow always gets the same drawing"


def test_segments_are_stacked_and_joined_straight_down() -> None:
    """Each block comes below the one before it, joined by one vertical edge."""
    diagram = layout_flow(mixed(12))
    nodes = {node.name: node for node in diagram.steps()}
    edges = {(edge.source, edge.target): edge for edge in diagram.edges}
    for b in range(1, 12):
        above, below = nodes[f"B{b - 1}_11"], nodes[f"B{b}_0"]
        assert below.y > above.box.bottom
        joint = edges[(above.id, below.id)]
        assert len({x for x, _ in joint.points}) == 1, joint
    tops = [min(n.y for n in diagram.steps() if n.name.startswith(f"B{b}_")) for b in range(12)]
    assert tops == sorted(tops)
