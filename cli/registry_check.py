"""`fnf validate --functions F`: every function and API action a flow calls must be in the
registry, reported before run time with the step's name, file, line and column, as the
translator reports its own problems. At run time the same lookup (FunctionRegistry.resolve)
fails the task with FC.FunctionNotFound / FC.ServiceNotFound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from translator.errors import Diagnostic, Severity
from translator.resources import ResourceError, parse_action, parse_resource_arn
from translator.source import Path as DocumentPath
from translator.source import SourceMap, format_path, load_document
from worker.functions import FunctionRegistry
from worker.functions.errors import FunctionError


def missing_functions(text: str, file: str, registry: FunctionRegistry) -> list[Diagnostic]:
    """An error for each task whose function or action `registry` lacks."""
    loaded = load_document(text, file)
    found: list[Diagnostic] = []
    for path, step in _tasks(loaded.data, ()):
        field, resource = _resource(step)
        if resource is None:
            continue
        try:
            registry.resolve(resource)
        except FunctionError as missing:
            found.append(_at(loaded.source_map, (*path, field), step, missing.cause, file))
    return found


def _tasks(data: Any, path: DocumentPath) -> Iterator[tuple[DocumentPath, dict[str, Any]]]:
    """Every task step in the document, at any depth (branches, iterations, choices)."""
    if isinstance(data, dict):
        if data.get("type") == "task" and isinstance(data.get("name"), str):
            yield path, data
        for key, value in data.items():
            yield from _tasks(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _tasks(value, (*path, index))


def _resource(step: dict[str, Any]) -> tuple[str, Any]:
    try:
        if isinstance(step.get("resourceArn"), str):
            resource = parse_resource_arn(step["resourceArn"])
            return "resourceArn", resource if resource["kind"] == "fc" else None
        if isinstance(step.get("action"), str):
            return "action", parse_action(step["action"])
    except ResourceError:
        pass  # the translator reports a malformed ARN itself
    return "", None


def _at(
    source: SourceMap, path: DocumentPath, step: dict[str, Any], cause: str, file: str
) -> Diagnostic:
    where = source.value(path)
    message = f"step '{step['name']}': {cause}"
    return Diagnostic(Severity.ERROR, message, format_path(path), where.line, where.column, file)
