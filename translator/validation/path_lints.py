"""Warnings about JSONPaths that parse but may not read what their author meant, wherever a
path appears (mapping sources, conditions, iterationMapping, wait paths, serviceParams,
errorMappings): the whole document is walked, so no place is missed.

- `.0`: outside RFC 9535's member-name shorthand, still read as the key "0" as before;
- a shorthand name that starts or ends with an invisible space (`$.城市　`);
- a filter comparison of mixed types (`$.a[?(@.b == "true")]`), as for choice conditions
  (translator/validation/choices.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from translator.errors import Diagnostic, ExpressionError, Severity
from translator.expressions import PathSpec, Segment, parse_condition, parse_path, path_notes
from translator.expressions.mappings import compile_source
from translator.source import Path, SourceMap
from translator.validation.choices import comparison_warning
from translator.validation.report import diagnostic_at

_REFERENCES = ("$input", "$local", "$context")


def path_diagnostics(data: Any, source_map: SourceMap) -> list[Diagnostic]:
    return [
        diagnostic_at(source_map, where, message, Severity.WARNING)
        for where, key, text in _strings(data, ())
        for message in _warnings(key, text)
    ]


def _strings(value: Any, where: Path) -> Iterator[tuple[Path, Any, str]]:
    """(path, key, text) of every string in the document; iterative, so deep data is safe."""
    stack: list[tuple[Any, Path, Any]] = [(value, where, None)]
    while stack:
        node, at, key = stack.pop()
        if isinstance(node, str):
            yield at, key, node
        elif isinstance(node, dict):
            stack += [(child, (*at, k), k) for k, child in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(child, (*at, i), key) for i, child in reversed(list(enumerate(node)))]


def _warnings(key: Any, text: str) -> list[str]:
    return [message for spec in _paths(key, text) for message in _path_warnings(spec)]


def _paths(key: Any, text: str) -> list[tuple[str, PathSpec]]:
    """(text as `$...`, compiled path) of each path that `text` holds, by where it appears."""
    try:
        if key == "condition":
            return [(spec["text"], spec) for spec in _condition_paths(parse_condition(text))]
        if text.startswith(_REFERENCES):
            source = compile_source(text)
            if "path" not in source:
                return []
            root = text[: len(source["ref"]) + 1]
            return [("$" + text[len(root) :], source["path"])]
        if text.startswith("$") and key != "source":
            return [(text, parse_path(text))]
    except ExpressionError:
        return []  # the schema check reports it
    return []


def _condition_paths(tree: Any) -> Iterator[PathSpec]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "path" in node and isinstance(node["path"], dict):
                yield cast(PathSpec, node["path"])
                continue
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node


def _path_warnings(found: tuple[str, PathSpec]) -> list[str]:
    text, spec = found
    notes = [note.replace(f"'{text}'", f"'{spec['text']}'", 1) for note in path_notes(text)]
    return notes + [
        f"in '{spec['text']}': {message}" for message in _filter_warnings(spec["segments"])
    ]


def _filter_warnings(segments: list[Segment]) -> Iterator[str]:
    for segment in segments:
        if "filter" not in segment:
            continue
        for test in segment["filter"]:
            if test["op"] == "exists":
                continue
            left = {"path": {"text": _relative(test["path"])}}
            message = comparison_warning(test["op"], left, {"lit": test["value"]})
            if message:
                yield message
            yield from _filter_warnings(test["path"])


def _relative(segments: list[Segment]) -> str:
    """`@.b[0]`-style text of a filter test's path, for messages."""
    parts = ["@"]
    for segment in segments:
        if "field" in segment:
            parts.append(f".{segment['field']}")
        elif "index" in segment:
            parts.append(f"[{segment['index']}]")
        else:
            parts.append("[...]")
    return "".join(parts)
