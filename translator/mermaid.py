"""Render a FlowGraph as a Mermaid flowchart (`fnf graph`), for docs, reviews and the README.

Labels are flow text (user input) inside Mermaid's quoted labels. Mermaid's own entity codes
(`#quot;`) are not decoded in edge labels by Mermaid 11 (the reader sees `#quot;` or a
placeholder), while HTML's named character references pass through to the HTML label intact,
so every markup-significant character is written as one: `&quot;`, `&lt;`, `&gt;`, `&amp;`,
and `#` as `&num;` so that no user text reads as a Mermaid entity code (`#35;`), a backquote
as `&grave;` so that no label opens a Mermaid Markdown string.

Every edge is written after every node and subgraph: Mermaid places a node in the first
subgraph that mentions it, so an edge into a parallel's join written inside a branch would pull
the join into that branch.

With an execution's path (`fnf graph --execution`), each node gets its status as a class
(`classDef` / `class` lines) and each edge the execution took is drawn bold in blue by a
`linkStyle` line: Mermaid numbers links in the order they are written, which is the order kept
here. Node ids map to translator/diagram's: `done` is `end`, `s3_join` is `s3.join`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from translator.graph import FlowGraph, OptionNode, StepNode, iter_steps

_SHAPES = {
    "task": ('["', '"]'),
    "pass": ('("', '")'),
    "wait": ('[/"', '"/]'),
    "choice": ('{"', '"}'),
    "succeed": ('(["', '"])'),
    "fail": ('(["', '"])'),
    "parallel": ('[["', '"]]'),
    "foreach": ('[["', '"]]'),
}


STATUS_STYLES = {
    "succeeded": "fill:#e6f4ea,stroke:#1e8e3e",
    "failed": "fill:#fce8e6,stroke:#d93025",
    "stopped": "fill:#f1f3f4,stroke:#5f6368,stroke-dasharray:3 2",
    "running": "fill:#e8f0fe,stroke:#1a73e8,stroke-width:3px",
    "waiting": "fill:#fef7e0,stroke:#f29900,stroke-width:3px,stroke-dasharray:6 3",
    "caught": "fill:#fef0e6,stroke:#e8710a",
    "not_reached": "fill:#f8f9fa,stroke:#dadce0,color:#9aa0a6",
}


TAKEN_STYLE = "stroke:#1a73e8,stroke-width:3px"


def render_mermaid(
    graph: FlowGraph,
    statuses: Mapping[str, str] | None = None,
    taken: Mapping[str, int] | None = None,
) -> str:
    """The flowchart; with `statuses` (node id `s<N>`, `start`, `end` to an execution path
    status, see translator/diagram/path.py) each node gets its status as a class with a fill,
    and with `taken` (edge key `s0->s1` to how often it was taken) taken edges are drawn."""
    lines = ["flowchart TD", "  start((start))", "  done((end))"]
    steps = graph["steps"]
    if any(step["type"] == "fail" for step in iter_steps(steps)):
        lines.append("  failed((failed))")
    renderer = _Renderer(lines)
    renderer.edge(f"  start --> {_entry(steps, 'done')}")
    renderer.sequence(steps, "done", "  ")
    path_lines = _status_classes(steps, statuses) + _taken_links(renderer.edges, taken)
    return "\n".join([*lines, *renderer.edges, *path_lines]) + "\n"


def _status_classes(steps: list[StepNode], statuses: Mapping[str, str] | None) -> list[str]:
    if statuses is None:
        return []
    lines = [f"  classDef {name} {style}" for name, style in STATUS_STYLES.items()]
    members: dict[str, list[str]] = {}
    ends = [(node, statuses.get(key)) for node, key in (("start", "start"), ("done", "end"))]
    nodes = [
        *(end for end in ends if end[1] is not None),
        *((_node_id(s), statuses.get(_node_id(s))) for s in iter_steps(steps)),
    ]
    for node, status in nodes:
        status = status or "not_reached"
        if status in STATUS_STYLES:
            members.setdefault(status, []).append(node)
    lines += [f"  class {','.join(ids)} {status}" for status, ids in members.items()]
    return lines


_LINK = re.compile(r"^\s*(\S+) .*?(?:-->|\.->) (\S+)$")


def _taken_links(edges: list[str], taken: Mapping[str, int] | None) -> list[str]:
    """`linkStyle` for the links the execution took (their number is their order)."""
    if not taken:
        return []
    numbers = []
    for number, line in enumerate(edges):
        found = _LINK.match(line)
        if found and taken.get(f"{_diagram_id(found[1])}->{_diagram_id(found[2])}", 0):
            numbers.append(str(number))
    return [f"  linkStyle {','.join(numbers)} {TAKEN_STYLE}"] if numbers else []


def _diagram_id(node: str) -> str:
    """translator/diagram's id of a node written here."""
    if node == "done":
        return "end"
    return node.replace("_join", ".join")


def _entry(steps: list[StepNode], exit_id: str) -> str:
    return _node_id(steps[0]) if steps else exit_id


def _node_id(step: StepNode) -> str:
    return f"s{step['id']}"


_REFERENCES = {
    "&": "&amp;",
    '"': "&quot;",
    "<": "&lt;",
    ">": "&gt;",
    "#": "&num;",
    "`": "&grave;",
    "\r": " ",
    "\n": " ",
}


def _label(text: str) -> str:
    """Flow text safe inside a quoted Mermaid label (see the module's docstring)."""
    return "".join(_REFERENCES.get(ch, ch) for ch in text)


class _Renderer:
    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self.edges: list[str] = []

    def emit(self, line: str) -> None:
        """A node or subgraph line, in place."""
        self._lines.append(line)

    def edge(self, line: str) -> None:
        """An edge line, kept for after every node (see the module's docstring)."""
        self.edges.append("  " + line.lstrip())

    def sequence(self, steps: list[StepNode], exit_id: str, indent: str) -> None:
        for step in steps:
            follow = _node_id(steps[step["next"]]) if step["next"] is not None else exit_id
            self.step(step, steps, follow, exit_id, indent)

    def step(
        self, step: StepNode, siblings: list[StepNode], follow: str, exit_id: str, indent: str
    ) -> None:
        sid = _node_id(step)
        opening, closing = _SHAPES[step["type"]]
        self.emit(f"{indent}{sid}{opening}{_caption(step)}{closing}")
        kind = step["type"]
        if kind == "fail":
            self.edge(f"{indent}{sid} --> failed")
        elif kind == "choice":
            self._choice(step, siblings, follow, indent)
        elif kind == "parallel":
            self._fan_out(step, step["branches"], "branch", follow, indent)
        elif kind == "foreach":
            self._fan_out(step, [step["steps"]], "each", follow, indent)
        else:
            self.edge(f"{indent}{sid} --> {exit_id if kind == 'succeed' else follow}")
        for policy in step.get("catch", []):
            target = _node_id(siblings[policy["goto"]])
            errors = _label(", ".join(policy["errors"]))
            self.edge(f'{indent}{sid} -. "catch {errors}" .-> {target}')

    def _choice(self, step: StepNode, siblings: list[StepNode], follow: str, indent: str) -> None:
        options: list[OptionNode] = list(step["choices"])
        default = step.get("default")
        for option in [*options, default] if default else options:
            label = option["conditionText"] or "default"
            self._option(step, option, label, siblings, follow, indent)
        if not default:
            self.edge(f'{indent}{_node_id(step)} -- "no match" --> {follow}')

    def _option(
        self,
        step: StepNode,
        option: OptionNode,
        label: str,
        siblings: list[StepNode],
        follow: str,
        indent: str,
    ) -> None:
        after = _node_id(siblings[option["goto"]]) if option["goto"] is not None else follow
        target = _entry(option["steps"], after)
        self.edge(f'{indent}{_node_id(step)} -- "{_label(label)}" --> {target}')
        self.sequence(option["steps"], after, indent)

    def _fan_out(
        self,
        step: StepNode,
        sequences: list[list[StepNode]],
        title: str,
        follow: str,
        indent: str,
    ) -> None:
        sid = _node_id(step)
        join = f"{sid}_join"
        self.emit(f"{indent}{join}(( ))")
        for b, steps in enumerate(sequences):
            heading = f"branch {b}" if title == "branch" else _foreach_title(step)
            self.emit(f'{indent}subgraph {sid}_{b} ["{_label(heading)}"]')
            self.sequence(steps, join, indent + "  ")
            self.emit(f"{indent}end")
            self.edge(f"{indent}{sid} --> {_entry(steps, join)}")
        self.edge(f"{indent}{join} --> {follow}")


def _foreach_title(step: StepNode) -> str:
    return f"each {step['item']} in {step['collection']['text']}"


def _caption(step: StepNode) -> str:
    """The node's label: flow text escaped, line breaks and italics our own markup."""
    text = f"{_label(step['name'])}<br/><i>{step['type']}</i>"
    if step["type"] == "task":
        resource = step["resource"]
        text += f"<br/>{_label(str(resource.get('function') or resource['arn']))}"
        if step.get("pattern") == "waitForCallback":
            text += " (callback)"
        retries = sum(policy["maxAttempts"] for policy in step.get("retry", []))
        if retries:
            text += f"<br/>retry up to {retries}x"
    return text
