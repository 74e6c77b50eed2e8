"""Step paths in a mock file and in `fnf test`'s report, named as `fnf run` names them.

A step nested in a parallel branch or a foreach iteration is named by its member path, then
its own name: `Both#1/Shaky` is step Shaky in branch 1 of parallel step Both, `Each#0/Work`
step Work in iteration 0 of foreach step Each (worker/interpreter/legible.py `member_path`).
A sub-flow's steps are listed under the sub-flow step that ran them (`Call/Work`,
`Both#1/Call/Work`). A mock keyed by a bare step name answers every invocation of that step
wherever it runs; a mock keyed by a path answers only that branch's, iteration's or sub-flow
step's, and wins over the bare name (Step Functions Local has no counterpart: its mocks are
per state name, and a Map state's iterations share them). Sub-flow steps that run at the same
time (in parallel branches or foreach iterations) invoke their flows' steps in any order, so
a path through the sub-flow step is the one key that says which child a response is for.
"""

from __future__ import annotations

import re
from typing import Any

from translator.event_layout import sequence_steps as _sequence
from translator.graph import StepNode

SEPARATOR = "/"
_MEMBER = re.compile(r"^(?P<step>.+)#(?P<index>0|[1-9][0-9]{0,8})$")


def step_key(path: str, step: str) -> str:
    """`Both#1/Shaky` for step Shaky inside `Both#1`; `Shaky` at the top of its flow."""
    return f"{path}{SEPARATOR}{step}" if path else step


def is_path(key: str) -> bool:
    return SEPARATOR in key


def join(*paths: str) -> str:
    """`Both#1/Call` from `Both#1` and `Call`; empty parts are left out."""
    return SEPARATOR.join(path for path in paths if path)


def resolve(key: str, steps: list[StepNode], flows: dict[str, Any] | None = None) -> StepNode | str:
    """The step a path key names in `steps` (a flow's), or why it names none. A segment that
    is a sub-flow step (`Call`) goes on in that sub-flow's steps (`flows`, by flow name)."""
    *members, name = key.split(SEPARATOR)
    scope = _sequence(steps)
    for member in members:
        matched = _MEMBER.match(member)
        if matched is None:
            inner = _subflow_steps(scope.get(member), flows or {})
            if inner is None:
                return (
                    f"{member!r} is neither a branch or iteration (`Step#N`) nor a sub-flow "
                    "step of this scope"
                )
            scope = _sequence(inner)
            continue
        owner = scope.get(matched["step"])
        index = int(matched["index"])
        if owner is None or owner["type"] not in ("parallel", "foreach"):
            return f"no parallel or foreach step named {matched['step']!r} at {member!r}"
        if owner["type"] == "parallel":
            branches = owner.get("branches") or []
            if index >= len(branches):
                return f"parallel step {matched['step']!r} has {len(branches)} branches"
            scope = _sequence(branches[index])
        else:
            scope = _sequence(owner.get("steps") or [])
    found = scope.get(name)
    if found is None:
        return f"no step named {name!r} in {SEPARATOR.join(members)}"
    return found


def _subflow_steps(node: StepNode | None, flows: dict[str, Any]) -> list[StepNode] | None:
    """The steps of the flow a sub-flow step runs, else None."""
    if node is None or node["type"] != "task" or node["resource"]["kind"] != "fnf-flow":
        return None
    graph = flows.get(node["resource"]["flow"])
    return None if graph is None else list(graph.get("steps") or [])
