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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from translator.expressions import Judge, Mapping, MappingsPlan, condition_judge, member_equality
from translator.graph import OptionNode, StepNode

Selector = Callable[[Any], OptionNode | None]
"""A choice's option for its input: the first whose condition holds, else its default."""


def _no_choice(value: Any) -> OptionNode | None:
    return None


@dataclass(slots=True)
class StepPlan:
    """Not frozen: a frozen dataclass sets each field through object.__setattr__, about
    2 us a plan, which a flow of many steps each run once pays at every step."""

    node: StepNode
    inputs: MappingsPlan | None
    """The inputMappings; None: the step's input is the container's input and local merged."""
    outputs: MappingsPlan | None
    reads_context: bool
    choices: tuple[tuple[Judge | None, OptionNode], ...] = ()
    """A choice's options with their conditions compiled (None: no condition)."""
    folds: bool = False
    """A pass or succeed step: when it ends well its events are one folded record."""
    select: Selector = _no_choice
    """A choice's option for its input (`selector`)."""


def plan_step(node: StepNode, share_constants: bool = False) -> StepPlan:
    """`share_constants`: mappings of constants only give one shared object (MappingsPlan)."""
    inputs = _mappings(node["inputMappings"], share_constants)
    outputs = _mappings(node["outputMappings"], share_constants)
    reads_context = (inputs is not None and inputs.reads_context) or (
        outputs is not None and outputs.reads_context
    )
    choices: tuple[tuple[Judge | None, OptionNode], ...] = ()
    select: Selector = _no_choice
    kind = node["type"]
    if kind == "choice":
        choices = tuple(
            (None if option["condition"] is None else condition_judge(option["condition"]), option)
            for option in node["choices"]
        )
        select = selector(node, choices)
    folds = kind == "pass" or kind == "succeed"
    return StepPlan(node, inputs, outputs, reads_context, choices, folds, select)


Piece = tuple[
    str | None, type | None, dict[Any, OptionNode], tuple[tuple[Judge | None, OptionNode], ...]
]
"""Consecutive options of a choice: (member, literal type, option by literal, the options
with their judges). With a member, every condition is `$.member == literal` of that type."""


def selector(node: StepNode, choices: tuple[tuple[Judge | None, OptionNode], ...]) -> Selector:
    """ChoiceStep._select compiled: the first option whose condition holds, else the
    default. Consecutive options testing one member against literals of one type
    (`$.d == 0`, `$.d == 1`, ...: translator.expressions.member_equality) are found by one
    lookup when the input is an object whose member has that type: each condition then
    holds exactly when the member equals its literal, so the first option with that literal
    is the first that holds, and when none has it none holds. Any other input is judged
    option by option, as always."""
    default = node.get("default")
    pieces: list[Piece] = []
    for holds, option in choices:
        condition = option["condition"]
        shape = None if condition is None else member_equality(condition)
        last = pieces[-1] if pieces else None
        if shape is None:
            pieces.append((None, None, {}, ((holds, option),)))
        elif last is not None and last[0] == shape[0] and last[1] is type(shape[1]):
            last[2].setdefault(shape[1], option)
            pieces[-1] = (last[0], last[1], last[2], (*last[3], (holds, option)))
        else:
            pieces.append((shape[0], type(shape[1]), {shape[1]: option}, ((holds, option),)))
    steps = tuple(pieces)

    def select(value: Any) -> OptionNode | None:
        for member, kind, table, judged in steps:
            if member is not None and type(value) is dict:
                found = value.get(member)
                if type(found) is kind:
                    option = table.get(found)
                    if option is not None:
                        return option
                    continue
            for holds, option in judged:
                if holds is not None and holds(value):
                    return option
        return default

    return select


def _mappings(mappings: list[Mapping] | None, share: bool) -> MappingsPlan | None:
    return None if mappings is None else MappingsPlan(mappings, share)


@dataclass
class Plans:
    """The plans of one run's nodes, made on first use, by node identity."""

    by_id: dict[int, StepPlan] = field(default_factory=dict)
    share_constants: bool = False
    """Runs sized the lean way (worker/interpreter/sizes.py LeanSizes) share the objects of
    constant mappings; older runs make a new one each time, as their work meter counted."""

    def of(self, node: StepNode) -> StepPlan:
        plan = self.by_id.get(id(node))
        if plan is None or plan.node is not node:
            plan = self.by_id[id(node)] = plan_step(node, self.share_constants)
        return plan
