"""`fnf graph`'s Mermaid text (translator/mermaid.py): no `failed` node unless a fail step
exists, every edge outside the subgraphs (so a parallel's join is not pulled into its first
branch), and labels quoted with HTML's named references, which Mermaid 11 passes through in
edge labels (its own `#quot;` codes show up there as they are)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings

from tests.translator.diagram_flows import compiled, flows, kept_flows
from translator.graph import iter_steps
from translator.mermaid import render_mermaid

KEPT = kept_flows()
QUOTED = re.compile(r'"([^"]*)"')
OUR_MARKUP = re.compile(r"<br/>|</?i>")


def test_failed_node_only_with_a_fail_step() -> None:
    video = render_mermaid(compiled(KEPT["examples/video-processing/flow.yaml"]))
    assert "failed" not in re.split(r"\W+", video)
    saga = render_mermaid(compiled(KEPT["examples/saga/flow.yaml"]))
    assert "  failed((failed))" in saga.splitlines()


def test_joins_are_drawn_outside_their_branches() -> None:
    text = render_mermaid(compiled(KEPT["examples/video-processing/flow.yaml"]))
    depth, places = 0, {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
        elif stripped == "end":
            depth -= 1
        elif "-->" in stripped or ".->" in stripped:
            assert depth == 0, f"edge inside a subgraph: {line}"
        elif match := re.match(r"(s\d+(?:_join)?)\W", stripped):
            places[match.group(1)] = depth
    assert places["s0_join"] == 0  # Process_Video's join: at the top, after its branches
    assert places["s3_join"] == places["s3"] == 1  # Transcode's: beside Transcode in branch 1
    assert places["s4_join"] == places["s4"] == 2


def test_choice_labels_quote_with_html_references() -> None:
    text = render_mermaid(compiled(KEPT["examples/polling/flow.yaml"]))
    assert '  s4 -- "$.status == &quot;success&quot;" --> s5' in text.splitlines()
    assert '  s4 -- "$.try_count &gt; 3" --> s6' in text.splitlines()
    assert "#quot;" not in text


def test_statuses_become_classes() -> None:
    graph = compiled(KEPT["examples/saga/flow.yaml"])
    text = render_mermaid(graph, {"s0": "succeeded", "s2": "caught"})
    lines = text.splitlines()
    assert "  class s0 succeeded" in lines and "  class s2 caught" in lines
    others = [f"s{step['id']}" for step in iter_steps(graph["steps"])][1:]
    others.remove("s2")
    assert f"  class {','.join(others)} not_reached" in lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_labels_of_generated_flows_cannot_break_out(text: str) -> None:
    graph = compiled(text)
    lines = render_mermaid(graph).splitlines()
    assert lines[0] == "flowchart TD"
    for line in lines[1:]:
        assert line.startswith("  ") and "\n" not in line and "\r" not in line
        assert line.count('"') % 2 == 0, line
        for label in QUOTED.findall(line):
            plain = OUR_MARKUP.sub("", label)
            assert not set(plain) & set('<>#`"\n'), label
    declared = {m.group(1) for m in re.finditer(r"^\s*(s\d+)[\[\(\{]", "\n".join(lines), re.M)}
    assert declared == {f"s{step['id']}" for step in iter_steps(graph["steps"])}
