"""Step paths in a mock file and in `fnf test`'s report, named as `fnf run` names them.

A step nested in a parallel branch or a foreach iteration is named by its member path, then
its own name: `Both#1/Shaky` is step Shaky in branch 1 of parallel step Both, `Each#0/Work`
step Work in iteration 0 of foreach step Each (worker/interpreter/legible.py `member_path`).
A sub-flow's steps are listed under the sub-flow step that ran them (`Call/Work`). A mock
keyed by a bare step name answers every invocation of that step wherever it runs; a mock
keyed by a member path answers only that branch's or iteration's, and wins over the bare
name (Step Functions Local has no counterpart: its mocks are per state name, and a Map
state's iterations share them).
"""

from __future__ import annotations

import re

from translator.event_layout import sequence_steps as _sequence
from translator.graph import StepNode

SEPARATOR = "/"
_MEMBER = re.compile(r"^(?P<step>.+)#(?P<index>0|[1-9][0-9]{0,8})$")


def step_key(path: str, step: str) -> str:
    """`Both#1/Shaky` for step Shaky inside `Both#1`; `Shaky` at the top of its flow."""
    return f"{path}{SEPARATOR}{step}" if path else step


def is_path(key: str) -> bool:
    return SEPARATOR in key


def resolve(key: str, steps: list[StepNode]) -> StepNode | str:
    """The step a path key names in `steps` (a flow's), or why it names none."""
    *members, name = key.split(SEPARATOR)
    scope = _sequence(steps)
    for member in members:
        matched = _MEMBER.match(member)
        if matched is None:
            return (
                f"{member!r} is not a branch or iteration (`Step#N`); steps of sub-flows are "
                "mocked by their bare name"
            )
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
