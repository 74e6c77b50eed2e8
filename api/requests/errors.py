"""A refused request model as FnF's error: MissingRequiredParams or InvalidArgument.

FnF answers an absent required parameter with `MissingRequiredParams` ("The HTTP query '%s'
must be specified.") and any malformed one with `InvalidArgument` (both 400, the common codes
of every action in Alibaba's fnf 2019-03-15 metadata). The message names the parameter and the
rule, never pydantic's internals, because it is all an SDK user sees.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from api.protocol.errors import FnFError, invalid_argument, missing_required_params


def fnf_error(error: ValidationError) -> FnFError:
    """The first problem of `error`, as FnF states it (missing parameters first)."""
    problems = error.errors(include_url=False)
    missing = [p for p in problems if p["type"] == "missing"]
    if missing:
        return missing_required_params(_param(missing[0]))
    return invalid_argument(_message(problems[0]))


def _param(problem: ErrorDetails) -> str:
    return str(problem["loc"][0]) if problem["loc"] else "the request"


def _message(problem: ErrorDetails) -> str:
    param = _param(problem)
    kind = problem["type"]
    context: dict[str, Any] = dict(problem.get("ctx") or {})
    if kind == "value_error":
        return str(context.get("error", problem["msg"]))
    if kind == "literal_error":
        return f"{param} must be one of {context.get('expected')}, got {_shown(problem)}."
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{param} is out of range: {problem['msg'].lower()}, got {_shown(problem)}."
    if kind == "string_too_long":
        return (
            f"{param} is longer than {context.get('max_length')} characters "
            f"({len(str(problem['input']))} characters)."
        )
    return f"{param} is invalid: {problem['msg']}, got {_shown(problem)}."


def _shown(problem: ErrorDetails) -> str:
    value = problem.get("input")
    if isinstance(value, str):
        text = value if len(value) <= 80 else value[:80] + "..."
        return repr(text)
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    return repr(value)
