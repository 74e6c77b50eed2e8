"""What the interpreter works out about a step node once, rather than at every visit.

A loop runs the same few nodes thousands of times; each visit needs the node's mappings and,
for a choice, its conditions. Compiling them (translator.expressions' `MappingsPlan` and
`condition_judge`) on the first visit and keeping the result by node identity makes the
visits after it cheap. The graph is the run's input and never changes, and a plan keeps its
node, so an identity cannot be reused while its plan is kept. A plan is made where the step
first reads its mappings, so a malformed node fails where it always did.

A plan also knows whether the step's mappings read `$context`: a step whose mappings do not
builds no context object (worker/interpreter/steps/base.py builds it when asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translator.expressions import Judge, Mapping, MappingsPlan, condition_judge
from translator.graph import OptionNode, StepNode


@dataclass(frozen=True, slots=True)
class StepPlan:
    node: StepNode
    inputs: MappingsPlan | None
    """The inputMappings; None: the step's input is the container's input and local merged."""
    outputs: MappingsPlan | None
    reads_context: bool
    choices: tuple[tuple[Judge | None, OptionNode], ...] = ()
    """A choice's options with their conditions compiled (None: no condition)."""


def plan_step(node: StepNode) -> StepPlan:
    inputs = _mappings(node["inputMappings"])
    outputs = _mappings(node["outputMappings"])
    reads_context = any(plan is not None and plan.reads_context for plan in (inputs, outputs))
    choices: tuple[tuple[Judge | None, OptionNode], ...] = ()
    if node["type"] == "choice":
        choices = tuple(
            (None if option["condition"] is None else condition_judge(option["condition"]), option)
            for option in node["choices"]
        )
    return StepPlan(node, inputs, outputs, reads_context, choices)


def _mappings(mappings: list[Mapping] | None) -> MappingsPlan | None:
    return None if mappings is None else MappingsPlan(mappings)


@dataclass
class Plans:
    """The plans of one run's nodes, made on first use, by node identity."""

    _by_id: dict[int, StepPlan] = field(default_factory=dict)

    def of(self, node: StepNode) -> StepPlan:
        plan = self._by_id.get(id(node))
        if plan is None or plan.node is not node:
            plan = self._by_id[id(node)] = plan_step(node)
        return plan
