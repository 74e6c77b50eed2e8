"""serviceParams: a task's request parameters, read from its mapped input (FDL 2.1.4)."""

from __future__ import annotations

from typing import Any

from translator.expressions import Scopes, evaluate_source
from translator.graph import StepNode


def service_params(
    node: StepNode, value: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any] | None:
    """serviceParams evaluated against the mapped input (`$` is all of it, `$.x` one field)."""
    params = node.get("serviceParams")
    if params is None:
        return None
    scopes = Scopes(input=value, local={}, context=context)
    return {param["key"]: evaluate_source(param["source"], scopes) for param in params}
