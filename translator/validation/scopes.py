"""Checks across the steps of one sequence: names, goto targets and reachability.

They read the raw document rather than the pydantic models, so a `goto` typo is reported in the
same pass as a missing field elsewhere: the author gets every error at once.

A sequence (scope) is one `steps:` list: the flow's, a parallel branch's, a foreach body, or a
choice option's. Names must be unique within it and a `goto` may only name a sibling.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from translator.errors import Diagnostic, Severity
from translator.source import Path, SourceMap, format_path
from translator.validation.report import diagnostic_at
from translator.validation.schema_errors import suggestion


@dataclass(frozen=True, slots=True)
class Sequence:
    path: Path
    steps: list[dict[str, Any]]


def iter_sequences(data: dict[str, Any]) -> Iterator[Sequence]:
    """Every `steps:` list in the document, outermost first; tolerates malformed parts."""
    yield from _walk(data.get("steps"), ("steps",))


def _walk(steps: Any, path: Path) -> Iterator[Sequence]:
    if not isinstance(steps, list):
        return
    dicts = [s if isinstance(s, dict) else {} for s in steps]
    yield Sequence(path, dicts)
    for i, step in enumerate(dicts):
        yield from _walk(step.get("steps"), (*path, i, "steps"))
        for b, branch in enumerate(_list(step.get("branches"))):
            if isinstance(branch, dict):
                yield from _walk(branch.get("steps"), (*path, i, "branches", b, "steps"))
        for c, option in enumerate(_list(step.get("choices"))):
            if isinstance(option, dict):
                yield from _walk(option.get("steps"), (*path, i, "choices", c, "steps"))
        default = step.get("default")
        if isinstance(default, dict):
            yield from _walk(default.get("steps"), (*path, i, "default", "steps"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def gotos(step: dict[str, Any], step_path: Path) -> Iterator[tuple[Path, str]]:
    """(path of the goto value, target name) for every jump a step can make."""
    for c, option in enumerate(_list(step.get("choices"))):
        if isinstance(option, dict) and isinstance(option.get("goto"), str):
            yield (*step_path, "choices", c, "goto"), option["goto"]
    default = step.get("default")
    if isinstance(default, dict) and isinstance(default.get("goto"), str):
        yield (*step_path, "default", "goto"), default["goto"]
    for c, policy in enumerate(_list(step.get("catch"))):
        if isinstance(policy, dict) and isinstance(policy.get("goto"), str):
            yield (*step_path, "catch", c, "goto"), policy["goto"]


def scope_diagnostics(data: dict[str, Any], source_map: SourceMap) -> list[Diagnostic]:
    sequences = list(iter_sequences(data))
    where_named = _names_by_scope(sequences)
    found: list[Diagnostic] = []
    for sequence in sequences:
        found += _duplicate_names(sequence, source_map)
        found += _goto_targets(sequence, where_named, source_map)
        found += _unreachable(sequence, source_map)
    return found


def _names_by_scope(sequences: list[Sequence]) -> dict[str, list[Path]]:
    names: dict[str, list[Path]] = {}
    for sequence in sequences:
        for step in sequence.steps:
            if isinstance(step.get("name"), str):
                names.setdefault(step["name"], []).append(sequence.path)
    return names


def _duplicate_names(sequence: Sequence, source_map: SourceMap) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    first: dict[str, int] = {}
    for i, step in enumerate(sequence.steps):
        name = step.get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            earlier = source_map.value((*sequence.path, first[name], "name"))
            message = (
                f"duplicate step name '{name}' in this scope (first used at line {earlier.line})"
            )
            found.append(diagnostic_at(source_map, (*sequence.path, i, "name"), message))
        else:
            first[name] = i
    return found


def _goto_targets(
    sequence: Sequence, where_named: dict[str, list[Path]], source_map: SourceMap
) -> list[Diagnostic]:
    siblings = [s["name"] for s in sequence.steps if isinstance(s.get("name"), str)]
    found: list[Diagnostic] = []
    for i, step in enumerate(sequence.steps):
        for goto_path, target in gotos(step, (*sequence.path, i)):
            if target in siblings:
                continue
            message = f"no step named '{target}' in this scope"
            elsewhere = where_named.get(target)
            if elsewhere:
                message += (
                    f"; it is defined in {format_path(elsewhere[0])}, and goto can only jump"
                    " to a step of the same steps list"
                )
            else:
                message += suggestion(target, siblings)
            found.append(diagnostic_at(source_map, goto_path, message))
    return found


def _unreachable(sequence: Sequence, source_map: SourceMap) -> list[Diagnostic]:
    index = {s["name"]: i for i, s in enumerate(sequence.steps) if isinstance(s.get("name"), str)}
    reached = {0} if sequence.steps else set()
    todo = [0] if sequence.steps else []
    while todo:
        i = todo.pop()
        for j in _successors(sequence.steps, i, index):
            if j not in reached:
                reached.add(j)
                todo.append(j)
    found: list[Diagnostic] = []
    for i, step in enumerate(sequence.steps):
        if i not in reached:
            name = step.get("name", f"#{i}")
            message = (
                f"step '{name}' is never reached: no step continues to it and no goto targets it"
            )
            found.append(diagnostic_at(source_map, (*sequence.path, i), message, Severity.WARNING))
    return found


def _successors(steps: list[dict[str, Any]], i: int, index: dict[str, int]) -> list[int]:
    step = steps[i]
    kind = step.get("type")
    follow = i + 1 if i + 1 < len(steps) else None
    if kind in ("succeed", "fail"):
        return []
    targets = [index[t] for _, t in gotos(step, ()) if t in index]
    falls_through = not step.get("end")
    if kind == "choice":
        options = [o for o in _list(step.get("choices")) if isinstance(o, dict)]
        default = step.get("default")
        options.append(default if isinstance(default, dict) else {})
        falls_through = falls_through and any("goto" not in o for o in options)
    if falls_through and follow is not None:
        targets.append(follow)
    return targets
