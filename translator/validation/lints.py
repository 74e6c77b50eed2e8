"""Checks of things that parse but are probably not what the author meant.

Most are warnings: the document runs, yet the result would surprise. `strict` reports uses of
fnf-temporal extensions as errors, for documents that must also run on Alibaba Cloud.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from translator.errors import Diagnostic, Severity
from translator.expressions import is_dollar_literal
from translator.source import Path, SourceMap
from translator.validation.choices import choice_diagnostics
from translator.validation.path_lints import path_diagnostics
from translator.validation.report import diagnostic_at
from translator.validation.scopes import iter_sequences

_MAPPING_KEYS = ("inputMappings", "outputMappings", "errorMappings")
_ERROR_MAPPING_SOURCES = ("$local.error", "$local.cause")


def lint_diagnostics(data: dict[str, Any], source_map: SourceMap, strict: bool) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for path, key, entry in _mapping_entries(data):
        found += _mapping_lints(path, key, entry, source_map)
    found += choice_diagnostics(data, source_map)
    found += path_diagnostics(data, source_map)
    for sequence in iter_sequences(data):
        for i, step in enumerate(sequence.steps):
            step_path = (*sequence.path, i)
            found += _callback_lints(step, step_path, source_map)
            if strict:
                found += _extension_lints(step, step_path, source_map)
    return found


def _mapping_entries(data: dict[str, Any]) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(entry path, mapping key, entry) for the flow's and every step's mapping lists."""
    owners: list[tuple[Path, dict[str, Any]]] = [((), data)]
    owners += [
        ((*sequence.path, i), step)
        for sequence in iter_sequences(data)
        for i, step in enumerate(sequence.steps)
    ]
    for owner_path, owner in owners:
        for key in _MAPPING_KEYS:
            entries = owner.get(key)
            if not isinstance(entries, list):
                continue
            for j, entry in enumerate(entries):
                if isinstance(entry, dict):
                    yield (*owner_path, key, j), key, entry


def _mapping_lints(
    path: Path, key: str, entry: dict[str, Any], source_map: SourceMap
) -> list[Diagnostic]:
    source = entry.get("source")
    source_path = (*path, "source")
    if is_dollar_literal(source):
        rest = str(source)[1:]
        message = (
            f"'{source}' is taken as a literal string: mapping sources read $input, $local or"
            f" $context (did you mean '$input{rest}'?)"
        )
        return [diagnostic_at(source_map, source_path, message, Severity.WARNING)]
    reads_local = isinstance(source, str) and source.startswith("$local")
    if key == "errorMappings" and reads_local and source not in _ERROR_MAPPING_SOURCES:
        message = f"errorMappings can read only $local.error and $local.cause, not '{source}'"
        return [diagnostic_at(source_map, source_path, message)]
    return []


def _callback_lints(step: dict[str, Any], path: Path, source_map: SourceMap) -> list[Diagnostic]:
    if step.get("type") != "task" or step.get("pattern") != "waitForCallback":
        return []
    sources = [e.get("source") for e in step.get("inputMappings") or [] if isinstance(e, dict)]
    if any(_passes_token(source) for source in sources):
        return []
    message = (
        "this task waits for a callback, but its inputMappings never pass $context.task.token:"
        " nothing will be able to report the task"
    )
    return [diagnostic_at(source_map, (*path, "pattern"), message, Severity.WARNING)]


def _passes_token(source: Any) -> bool:
    """Whether a mapping source hands over the token: `$context` or its `task` part."""
    return isinstance(source, str) and (source == "$context" or source.startswith("$context.task"))


def _extension_lints(step: dict[str, Any], path: Path, source_map: SourceMap) -> list[Diagnostic]:
    if "maxConcurrency" not in step:
        return []
    message = "maxConcurrency is an fnf-temporal extension; Alibaba Cloud does not accept it"
    return [diagnostic_at(source_map, (*path, "maxConcurrency"), message)]
