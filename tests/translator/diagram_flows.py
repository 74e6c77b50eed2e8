"""Flows for the diagram tests: every example and every flow kept in tests, and a hypothesis
strategy for flows with nested parallel, foreach and choice steps, gotos, catches and hostile
text (step names and conditions are user input that ends up in SVG and Mermaid)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from translator import compile_text
from translator.diagram.model import (
    END,
    START,
    branch_group_id,
    iteration_group_id,
    join_node_id,
    step_node_id,
)
from translator.graph import FlowGraph, StepNode

ROOT = Path(__file__).resolve().parents[2]
ARN = "acs:fc:::services/demo/functions/hello"


def kept_flows() -> dict[str, str]:
    """Every flow document kept in the repository: the examples (Alibaba's scenarios), the
    replay flows (among them Alibaba's post-execution-actions sample) and the suspicious flows
    (unreachable steps, choices without options)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "examples").glob("*/flow*.yaml")):
        found[str(path.relative_to(ROOT))] = path.read_text()
    for path in sorted((ROOT / "tests" / "replay" / "flows").rglob("*.yaml")):
        if "functions" not in path.name:
            found[str(path.relative_to(ROOT))] = path.read_text()
    cases = yaml.safe_load((ROOT / "tests/translator/data/suspicious_flows.yaml").read_text())
    for case in cases:
        found[f"suspicious: {case['case']}"] = case["flow"]
    return found


HOSTILE = [
    "<script>alert(1)</script>",
    "a\"b'c",
    "x]]>y",
    "&amp;&lt;",
    "#quot;",
    "ctrl\x01\x1f",
    "中文步骤",
    "`tick`",
    "%% comment",
    "--> x",
    "a|b",
    "\u200bzero",
    "end",
    "subgraph",
]
NAME_PREFIX = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
        min_size=1,
        max_size=8,
    ),
)
CONDITION_TEXT = st.sampled_from(["<&>", "#quot;", "'", "</text>", "]]>", "a\u2028b", "x"])


@st.composite
def flow_steps(draw: st.DrawFn, depth: int = 0) -> list[dict[str, Any]]:
    """One `steps:` list; gotos and catches name siblings of the same list."""
    count = draw(st.integers(1, 4 if depth else 5))
    names = [f"{draw(NAME_PREFIX)}{i}" for i in range(count)]
    steps: list[dict[str, Any]] = []
    kinds = ["pass", "task", "choice", "succeed", "fail", "wait"]
    if depth < 2:
        kinds += ["parallel", "foreach"]
    for name in names:
        kind = draw(st.sampled_from(kinds))
        step: dict[str, Any] = {"type": kind, "name": name}
        if kind == "task":
            step["resourceArn"] = ARN
            if draw(st.booleans()):
                step["catch"] = [{"errors": ["FnF.ALL"], "goto": draw(st.sampled_from(names))}]
        elif kind == "wait":
            step["duration"] = 1
        elif kind == "choice":
            options = []
            for _ in range(draw(st.integers(1, 3))):
                literal = json.dumps(draw(CONDITION_TEXT))
                option: dict[str, Any] = {"condition": f"$.x == {literal}"}
                if depth < 2 and draw(st.booleans()):
                    option["steps"] = draw(flow_steps(depth + 1))
                if draw(st.booleans()) or "steps" not in option:
                    option["goto"] = draw(st.sampled_from(names))
                options.append(option)
            step["choices"] = options
            if draw(st.booleans()):
                step["default"] = {"goto": draw(st.sampled_from(names))}
        elif kind == "parallel":
            branches = draw(st.integers(1, 3))
            step["branches"] = [{"steps": draw(flow_steps(depth + 1))} for _ in range(branches)]
        elif kind == "foreach":
            step["iterationMapping"] = {"collection": "$.items", "item": "item"}
            step["steps"] = draw(flow_steps(depth + 1))
        steps.append(step)
    return steps


@st.composite
def flows(draw: st.DrawFn) -> str:
    """An FDL document as JSON text (FDL reads YAML, of which JSON is a part). Characters
    outside the BMP are written as they are: YAML's `\\u` escapes do not pair surrogates."""
    document = {"version": "v1", "type": "flow", "steps": draw(flow_steps())}
    return json.dumps(document, ensure_ascii=False)


def compiled(text: str) -> FlowGraph:
    return compile_text(text)


def transitions(graph: FlowGraph) -> set[str]:
    """Every transition of the flow as `source->target` node ids, derived from the FDL rules
    on their own: a step goes to the next one (or ends its sequence), a catch to its goto, a
    choice to each option's first step or goto (and to the next step when nothing matches and
    there is no default), a succeed to the end of its sequence, a fail nowhere, a parallel to
    each branch's first step and a foreach to its body's, whose ends meet at its join."""
    found: set[str] = set()

    def sequence(steps: list[StepNode], exit_id: str) -> None:
        for step in steps:
            follow = (
                step_node_id(steps[step["next"]]["id"]) if step["next"] is not None else exit_id
            )
            sid = step_node_id(step["id"])
            kind = step["type"]
            for policy in step.get("catch", []):
                found.add(f"{sid}->{step_node_id(steps[policy['goto']]['id'])}")
            if kind == "fail":
                continue
            if kind == "succeed":
                found.add(f"{sid}->{exit_id}")
            elif kind == "choice":
                options = list(step["choices"])
                if step.get("default"):
                    options.append(step["default"])  # type: ignore[arg-type]
                else:
                    found.add(f"{sid}->{follow}")
                for option in options:
                    goto = option["goto"]
                    after = step_node_id(steps[goto]["id"]) if goto is not None else follow
                    first = option["steps"]
                    found.add(f"{sid}->{step_node_id(first[0]['id']) if first else after}")
                    sequence(first, after)
            elif kind in ("parallel", "foreach"):
                join = join_node_id(step["id"])
                members = step["branches"] if kind == "parallel" else [step["steps"]]
                for member in members:
                    found.add(f"{sid}->{step_node_id(member[0]['id']) if member else join}")
                    sequence(member, join)
                found.add(f"{join}->{follow}")
            else:
                found.add(f"{sid}->{follow}")

    steps = graph["steps"]
    found.add(f"{START}->{step_node_id(steps[0]['id']) if steps else END}")
    sequence(steps, END)
    return found


def member_groups(graph: FlowGraph) -> dict[str, str | None]:
    """Each step's node id and the group it must be drawn in (None: the top level)."""
    found: dict[str, str | None] = {}

    def sequence(steps: list[StepNode], group: str | None) -> None:
        for step in steps:
            found[step_node_id(step["id"])] = group
            if step["type"] == "choice":
                options = list(step["choices"])
                if step.get("default"):
                    options.append(step["default"])  # type: ignore[arg-type]
                for option in options:
                    sequence(option["steps"], group)
            elif step["type"] == "parallel":
                for index, branch in enumerate(step["branches"]):
                    sequence(branch, branch_group_id(step["id"], index))
            elif step["type"] == "foreach":
                sequence(step["steps"], iteration_group_id(step["id"]))

    sequence(graph["steps"], None)
    return found
