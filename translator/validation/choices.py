"""Warnings about choice steps that run, but not the way their author probably thinks.

- A choice with only a `default` always takes it (a third-party generator emits such choices).
- A condition comparing operands of different types: a string against a boolean or number is
  read as that type (so `$.end == "true"` matches `true` too), and any other mix of types is
  never equal and never ordered. See `translator.expressions.paths.coerce_operands`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from translator.errors import Diagnostic, ExpressionError, Severity
from translator.expressions import Condition, boolean_in, number_in, parse_condition
from translator.source import Path, SourceMap
from translator.validation.report import diagnostic_at
from translator.validation.scopes import iter_sequences

_ORDERING = frozenset({"<", "<=", ">", ">="})
_BOOLEAN_WORDS = frozenset({"true", "false", "TRUE", "FALSE"})


def choice_diagnostics(data: dict[str, Any], source_map: SourceMap) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for sequence in iter_sequences(data):
        for i, step in enumerate(sequence.steps):
            if step.get("type") != "choice":
                continue
            step_path = (*sequence.path, i)
            found += _default_only(step, step_path, source_map)
            for path, condition in _conditions(step, step_path):
                found += [
                    diagnostic_at(source_map, path, message, Severity.WARNING)
                    for message in condition_warnings(condition)
                ]
    return found


def _default_only(step: dict[str, Any], path: Path, source_map: SourceMap) -> list[Diagnostic]:
    if step.get("choices") or not isinstance(step.get("default"), dict):
        return []
    message = f"choice '{step.get('name')}' has no choices: its default always runs"
    return [diagnostic_at(source_map, path, message, Severity.WARNING)]


def _conditions(step: dict[str, Any], step_path: Path) -> Iterator[tuple[Path, str]]:
    options = step.get("choices")
    for c, option in enumerate(options if isinstance(options, list) else []):
        if isinstance(option, dict) and isinstance(option.get("condition"), str):
            yield (*step_path, "choices", c, "condition"), option["condition"]


def condition_warnings(text: str) -> list[str]:
    """One message per comparison whose operand types differ; none for a condition that does
    not parse (the schema check reports that)."""
    try:
        tree = parse_condition(text)
    except ExpressionError:
        return []
    return [message for node in _comparisons(tree) if (message := _mixed(node))]


def _comparisons(tree: Condition) -> Iterator[dict[str, Any]]:
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if "cmp" in node:
            yield node
            stack += [node["right"], node["left"]]
        elif "not" in node:
            stack.append(node["not"])
        elif "and" in node or "or" in node:
            stack += reversed(node.get("and") or node.get("or"))


def _kind(node: dict[str, Any]) -> str | None:
    """The JSON type an operand has before the data is known (None for a path)."""
    if "path" in node:
        return None
    if "lit" not in node:
        return "boolean"  # comparisons, `!`, `&&` and `||` give booleans
    value = node["lit"]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "string" if isinstance(value, str) else "number"


def _shown(node: dict[str, Any]) -> str:
    if "path" in node:
        return str(node["path"]["text"])
    if "lit" in node:
        return json.dumps(node["lit"], ensure_ascii=False)
    return "(...)"


def _mixed(node: dict[str, Any]) -> str | None:
    return comparison_warning(node["cmp"], node["left"], node["right"])


def comparison_warning(op: str, left: dict[str, Any], right: dict[str, Any]) -> str | None:
    """Why the comparison `left op right` (condition operands: a path, a literal or a
    sub-expression) may surprise its author, or None. JSONPath filters use it too."""
    kinds = (_kind(left), _kind(right))
    shown = f"'{_shown(left)} {op} {_shown(right)}'"
    if None in kinds:
        return _against_path(op, left, right, shown)
    target = next((k for k in kinds if k in ("number", "boolean")), None)
    if "string" in kinds and target and not (op in _ORDERING and target == "boolean"):
        return f"{shown} compares a string with a {target}: the string is read as a {target}"
    if op in _ORDERING and not (kinds[0] == kinds[1] and kinds[0] in ("number", "string")):
        return f"{shown} is always false: only two numbers or two strings are ordered"
    if kinds[0] != kinds[1]:
        return f"{shown} compares a {kinds[0]} with a {kinds[1]}: they are never equal"
    return None


def _against_path(op: str, left: dict[str, Any], right: dict[str, Any], shown: str) -> str | None:
    """A path against a string that spells a boolean (or, ordered, a number)."""
    path, other = (left, right) if "path" in left else (right, left)
    text = other.get("lit")
    if op in _ORDERING and "lit" in other and (text is None or isinstance(text, bool)):
        return f"{shown} is always false: only two numbers or two strings are ordered"
    if not isinstance(text, str):
        return None
    if text in _BOOLEAN_WORDS:
        value = json.dumps(boolean_in(text))
        return (
            f'{shown} compares with the string "{text}", which the boolean {value} also'
            f" matches (a string is read as the boolean or number it is compared with);"
            f" write {value} if {_shown(path)} holds a boolean"
        )
    if op in _ORDERING and number_in(text) is not None:
        return (
            f'{shown} orders by the string "{text}": against a number it is read as a'
            f' number, against a string it compares as text ("10" < "9")'
        )
    return None
