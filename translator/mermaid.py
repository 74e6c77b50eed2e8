"""Render a FlowGraph as a Mermaid flowchart (`fnf graph`), for docs, reviews and the README."""

from __future__ import annotations

from translator.graph import FlowGraph, OptionNode, StepNode

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


def render_mermaid(graph: FlowGraph) -> str:
    lines = ["flowchart TD", "  start((start))", "  done((end))", "  failed((failed))"]
    steps = graph["steps"]
    lines.append(f"  start --> {_entry(steps, 'done')}")
    _Renderer(lines).sequence(steps, "done", "  ")
    return "\n".join(lines) + "\n"


def _entry(steps: list[StepNode], exit_id: str) -> str:
    return _node_id(steps[0]) if steps else exit_id


def _node_id(step: StepNode) -> str:
    return f"s{step['id']}"


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


class _Renderer:
    def __init__(self, lines: list[str]) -> None:
        self._lines = lines

    def emit(self, line: str) -> None:
        self._lines.append(line)

    def sequence(self, steps: list[StepNode], exit_id: str, indent: str) -> None:
        for step in steps:
            follow = _node_id(steps[step["next"]]) if step["next"] is not None else exit_id
            self.step(step, steps, follow, exit_id, indent)

    def step(
        self, step: StepNode, siblings: list[StepNode], follow: str, exit_id: str, indent: str
    ) -> None:
        sid = _node_id(step)
        opening, closing = _SHAPES[step["type"]]
        self.emit(f"{indent}{sid}{opening}{_label(_caption(step))}{closing}")
        kind = step["type"]
        if kind == "fail":
            self.emit(f"{indent}{sid} --> failed")
        elif kind == "choice":
            self._choice(step, siblings, follow, indent)
        elif kind == "parallel":
            self._fan_out(step, step["branches"], "branch", follow, indent)
        elif kind == "foreach":
            self._fan_out(step, [step["steps"]], "each", follow, indent)
        else:
            self.emit(f"{indent}{sid} --> {exit_id if kind == 'succeed' else follow}")
        for policy in step.get("catch", []):
            target = _node_id(siblings[policy["goto"]])
            errors = _label(", ".join(policy["errors"]))
            self.emit(f'{indent}{sid} -. "catch {errors}" .-> {target}')

    def _choice(self, step: StepNode, siblings: list[StepNode], follow: str, indent: str) -> None:
        options: list[OptionNode] = list(step["choices"])
        default = step.get("default")
        for option in [*options, default] if default else options:
            label = option["conditionText"] or "default"
            self._option(step, option, label, siblings, follow, indent)
        if not default:
            self.emit(f'{indent}{_node_id(step)} -- "no match" --> {follow}')

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
        self.emit(f'{indent}{_node_id(step)} -- "{_label(label)}" --> {target}')
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
            self.emit(f"{indent}{sid} --> {_entry(steps, join)}")
        self.emit(f"{indent}{join} --> {follow}")


def _foreach_title(step: StepNode) -> str:
    return f"each {step['item']} in {step['collection']['text']}"


def _caption(step: StepNode) -> str:
    text = f"{step['name']}<br/><i>{step['type']}</i>"
    if step["type"] == "task":
        resource = step["resource"]
        text += f"<br/>{resource.get('function') or resource['arn']}"
        if step.get("pattern") == "waitForCallback":
            text += " (callback)"
        retries = sum(policy["maxAttempts"] for policy in step.get("retry", []))
        if retries:
            text += f"<br/>retry up to {retries}x"
    return text
