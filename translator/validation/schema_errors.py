"""Turn pydantic's validation errors into FDL diagnostics a person can act on.

pydantic reports `('steps', 2, 'task', 'resourceArn')` with messages written for Python
programmers. We drop the union tag from the location, find the line and column, and rewrite the
message in FDL's terms, suggesting the field or value the author probably meant.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from translator.errors import Diagnostic
from translator.model import (
    STEP_TYPES,
    Branch,
    CatchPolicy,
    ChoiceDefault,
    ChoiceOption,
    FlowDocument,
    IterationMapping,
    MappingEntry,
    RetryPolicy,
)
from translator.model.base import describe
from translator.source import Path, SourceMap
from translator.validation.report import diagnostic_at

_MODEL_UNDER_KEY: dict[str, type[BaseModel]] = {
    "inputMappings": MappingEntry,
    "outputMappings": MappingEntry,
    "errorMappings": MappingEntry,
    "retry": RetryPolicy,
    "catch": CatchPolicy,
    "choices": ChoiceOption,
    "default": ChoiceDefault,
    "branches": Branch,
    "iterationMapping": IterationMapping,
}

_EXPECTED_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def schema_diagnostics(exc: ValidationError, source_map: SourceMap) -> list[Diagnostic]:
    found: dict[tuple[str, str], Diagnostic] = {}
    for error in exc.errors(include_url=False):
        diagnostic = _translate(error, source_map)
        found.setdefault((diagnostic.path, diagnostic.message), diagnostic)
    return list(found.values())


def suggestion(word: str, candidates: list[str]) -> str:
    """` (did you mean 'x'?)` when one candidate is close enough, else ``."""
    by_lower = {c.lower(): c for c in candidates}
    if word.lower() in by_lower:
        return f" (did you mean '{by_lower[word.lower()]}'?)"
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


def _translate(error: ErrorDetails, source_map: SourceMap) -> Diagnostic:
    raw_loc = tuple(error["loc"])
    path = _strip_tags(raw_loc)
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")

    if kind == "missing":
        parent = path[:-1]
        return diagnostic_at(source_map, parent, f"missing required field '{path[-1]}'")
    if kind == "extra_forbidden":
        field = str(path[-1])
        hint = suggestion(field, _known_fields(raw_loc[:-1]))
        message = f"unknown field '{field}'{hint}"
        return diagnostic_at(source_map, path, message, position=source_map.key(path))
    if kind == "union_tag_invalid":
        type_path = (*path, "type")
        hint = suggestion(str(ctx.get("tag")), list(STEP_TYPES))
        message = f"unknown step type '{ctx.get('tag')}'{hint}; expected one of {_step_types()}"
        return diagnostic_at(source_map, type_path, message)
    if kind == "union_tag_not_found":
        message = f"missing required field 'type' (one of {_step_types()})"
        return diagnostic_at(source_map, path, message)
    if kind == "fdl":
        position = source_map.value(path)
        if "column" in ctx:
            position = position.at_offset(int(ctx["column"]))
        return diagnostic_at(source_map, path, str(ctx["message"]), position=position)
    return diagnostic_at(source_map, path, _message(kind, ctx, value, error["msg"]))


def _message(kind: str, ctx: dict[str, Any], value: Any, fallback: str) -> str:
    if kind in _EXPECTED_TYPE:
        return f"expected {_EXPECTED_TYPE[kind]}, got {describe(value)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = suggestion(str(value), options) if isinstance(value, str) else ""
        listed = ", ".join(options)
        return f"must be one of {listed}, got {describe(value)}{hint}"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {_number(ctx[key])}, got {_number(value)}"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items, got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters long"
    return fallback


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _strip_tags(loc: tuple[Any, ...]) -> Path:
    """Remove the discriminator tag pydantic inserts after a step's index."""
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        if _is_tag(loc, i):
            continue
        kept.append(part)
    return tuple(kept)


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    return (
        i >= 2
        and isinstance(loc[i], str)
        and loc[i] in STEP_TYPES
        and isinstance(loc[i - 1], int)
        and loc[i - 2] == "steps"
    )


def _known_fields(parent_loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model at `parent_loc` (raw pydantic loc, tags included)."""
    return list(_model_at(parent_loc).model_fields)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    if not loc:
        return FlowDocument
    if _is_tag(loc, len(loc) - 1):
        return STEP_TYPES[loc[-1]]
    key = loc[-2] if isinstance(loc[-1], int) and len(loc) >= 2 else loc[-1]
    return _MODEL_UNDER_KEY.get(str(key), FlowDocument)


def _step_types() -> str:
    return ", ".join(STEP_TYPES)
