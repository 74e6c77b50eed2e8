"""FDL's data rules (FDL spec section 3): pure functions of JSON in, JSON out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from translator.expressions import Mapping, Scopes, evaluate_mappings


def merge(base: Any, update: Any) -> dict[str, Any]:
    """Shallow merge at top-level keys; the update wins. Non-objects count as empty."""
    merged = dict(base) if type(base) is dict or isinstance(base, dict) else {}
    if type(update) is dict or isinstance(update, dict):
        merged.update(update)
    return merged


def step_input(
    mappings: list[Mapping] | None,
    container_input: Any,
    container_local: dict[str, Any],
    context: dict[str, Any],
    join: Callable[[Any, Any], dict[str, Any]] = merge,
) -> dict[str, Any]:
    """With inputMappings exactly the mapped object; without, container input + local
    (`join` is `merge`, or one that also keeps the result's size)."""
    if mappings is None:
        return join(container_input, container_local)
    scopes = Scopes(input=container_input, local=container_local, context=context)
    return evaluate_mappings(mappings, scopes)


def step_output(
    mappings: list[Mapping] | None,
    step_type: str,
    step_input_value: dict[str, Any],
    step_local: Any,
    context: dict[str, Any],
) -> dict[str, Any]:
    """With outputMappings the mapped object; without, the step's local (parallel/foreach: {})."""
    if mappings is not None:
        scopes = Scopes(input=step_input_value, local=step_local, context=context)
        return evaluate_mappings(mappings, scopes)
    if step_type in ("parallel", "foreach"):
        return {}
    return step_local if type(step_local) is dict or isinstance(step_local, dict) else {}


def error_output(
    mappings: list[Mapping] | None, step_input_value: dict[str, Any], error: str, cause: str
) -> dict[str, Any]:
    """A caught error's output: errorMappings over `$local = {error, cause}`, else nothing."""
    if mappings is None:
        return {}
    local = {"error": error, "cause": cause}
    return evaluate_mappings(mappings, Scopes(input=step_input_value, local=local, context={}))


def data_size(*values: Any) -> int:
    """Bytes of the values as compact UTF-8 JSON, the measure of FnF's step data budget."""
    return sum(
        len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        for value in values
    )
