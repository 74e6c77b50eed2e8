"""Load FDL text (YAML or JSON) into plain data plus a map of where every value stands.

PyYAML's composer gives every node its line and column; we keep them in a `SourceMap` keyed by
the value's path in the document, so later checks can point at the exact spot of a problem.
Timestamps stay strings (FDL wait steps parse them themselves) and a duplicated key is an error,
where plain YAML would silently keep the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from translator.errors import Diagnostic, Severity
from translator.yaml_nesting import MAX_DEPTH, NestingLimitedLoader

PathPart = str | int
Path = tuple[PathPart, ...]


class _FDLLoader(NestingLimitedLoader):
    """SafeLoader without the implicit timestamp type: `2019-05-02T15:04:05Z` stays a string;
    nesting is bounded while composing (translator/yaml_nesting.py)."""


_FDLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class Position:
    """Where a value (or a mapping key) starts: 1-based line and column, plus scalar style."""

    line: int
    column: int
    style: str | None = None
    single_line: bool = True

    def at_offset(self, offset: int) -> Position:
        """The position `offset` characters into a one-line scalar (for expression errors)."""
        if not self.single_line or self.style in ("|", ">"):
            return self
        quote = 1 if self.style in ('"', "'") else 0
        return Position(self.line, self.column + quote + offset, self.style)


@dataclass(slots=True)
class SourceMap:
    """Positions of values and keys, by document path."""

    file: str
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def value(self, path: Path) -> Position:
        """Position of the value at `path`, or of its nearest ancestor that exists."""
        return self._nearest(self.values, path)

    def key(self, path: Path) -> Position:
        """Position of the key naming `path` (falls back to the value's position)."""
        if path in self.keys:
            return self.keys[path]
        return self.value(path)

    def _nearest(self, table: dict[Path, Position], path: Path) -> Position:
        for end in range(len(path), -1, -1):
            found = table.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)


@dataclass(slots=True)
class LoadedDocument:
    data: Any
    source_map: SourceMap
    diagnostics: list[Diagnostic]


def format_path(path: Path) -> str:
    """`("steps", 2, "catch", 0, "goto")` -> `steps[2].catch[0].goto`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def load_document(text: str, file: str = "<flow>") -> LoadedDocument:
    """Parse YAML/JSON text. Syntax errors come back as diagnostics, never as exceptions."""
    source_map = SourceMap(file)
    diagnostics: list[Diagnostic] = []
    loader: _FDLLoader | None = None
    try:
        loader = _FDLLoader(text)
        node = loader.get_single_node()
        if node is None:
            diagnostics.append(_error(file, "", Position(1, 1), "the document is empty"))
            return LoadedDocument(None, source_map, diagnostics)
        data = _Builder(loader, source_map, diagnostics).build(node, ())
    except yaml.MarkedYAMLError as exc:
        diagnostics.append(_syntax_error(file, exc))
        return LoadedDocument(None, source_map, diagnostics)
    except yaml.YAMLError as exc:
        diagnostics.append(_error(file, "", Position(1, 1), f"not valid YAML: {exc}"))
        return LoadedDocument(None, source_map, diagnostics)
    finally:
        if loader is not None:
            loader.dispose()
    return LoadedDocument(data, source_map, diagnostics)


_MAX_NODES = 100_000
_MAX_DEPTH = MAX_DEPTH


class _Builder:
    """Turns composed YAML nodes into Python data while recording positions."""

    def __init__(self, loader: _FDLLoader, source_map: SourceMap, diags: list[Diagnostic]) -> None:
        self._loader = loader
        self._map = source_map
        self._diags = diags
        self._depth = 0
        self._count = 0

    def build(self, node: Node, path: Path) -> Any:
        self._count += 1
        if self._count > _MAX_NODES:
            raise yaml.MarkedYAMLError(
                problem=f"the document has more than {_MAX_NODES} values (alias expansion?)",
                problem_mark=node.start_mark,
            )
        self._map.values[path] = _position(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return self._sequence(node, path)
        return _unicode(_construct(self._loader, node), node)

    def _enter(self, node: Node) -> None:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"the document nests deeper than {_MAX_DEPTH} levels",
                problem_mark=node.start_mark,
            )

    def _sequence(self, node: SequenceNode, path: Path) -> list[Any]:
        self._enter(node)
        items = [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        self._depth -= 1
        return items

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        self._enter(node)
        self._loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _unicode(_construct(self._loader, key_node), key_node)
            if not isinstance(key, str):
                key = _key_text(key)
            child = (*path, key)
            if key in result:
                self._diags.append(
                    _error(
                        self._map.file,
                        format_path(child),
                        _position(key_node),
                        f"duplicate key '{key}' (an earlier value would be silently lost)",
                    )
                )
            self._map.keys[child] = _position(key_node)
            result[key] = self.build(value_node, child)
        self._depth -= 1
        return result


def _construct(loader: _FDLLoader, node: Node) -> Any:
    """A scalar's value. PyYAML's constructors raise plain ValueError for a value Python will
    not build, such as an integer longer than its int-string conversion limit
    (sys.get_int_max_str_digits(), 4,300 digits): a problem of the document, at its place."""
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as error:
        raise yaml.MarkedYAMLError(
            problem=f"this value cannot be read: {error}", problem_mark=node.start_mark
        ) from None


def _unicode(value: Any, node: Node) -> Any:
    """A string must be Unicode text: YAML's `"\\ud800"` escape (and JSON's) yields a lone
    surrogate, which is no character (Unicode 3.9, D76) and cannot be encoded as UTF-8 in a
    diagnostic, an event or an API answer."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise yaml.MarkedYAMLError(
                problem="a string holds a lone surrogate escape (\\ud800-\\udfff), "
                "which is not a Unicode character",
                problem_mark=node.start_mark,
            ) from None
    return value


def _key_text(key: Any) -> str:
    """YAML allows `1:` or `true:` as keys; FDL keys are names, so keep their text."""
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _position(node: Node) -> Position:
    start, end = node.start_mark, node.end_mark
    style = node.style if isinstance(node, ScalarNode) else None
    return Position(start.line + 1, start.column + 1, style, start.line == end.line)


# PyYAML's words for the mistakes people make most, and what they mean to a flow author.
_PLAIN_PROBLEMS = {
    "expected <block end>, but found '<block mapping start>'": (
        "this line is indented differently from the lines of the same block"
    ),
    "mapping values are not allowed here": (
        "unexpected ':' (quote a value that contains ': ', or check the indentation)"
    ),
    "found character '\\t' that cannot start any token": (
        "a tab character; YAML is indented with spaces only"
    ),
}


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    problem = exc.problem or "invalid syntax"
    if problem in _PLAIN_PROBLEMS:
        return _error(file, "", position, f"not valid YAML: {_PLAIN_PROBLEMS[problem]}")
    context = f" ({exc.context})" if exc.context else ""
    return _error(file, "", position, f"not valid YAML: {problem}{context}")


def _error(file: str, path: str, position: Position, message: str) -> Diagnostic:
    return Diagnostic(Severity.ERROR, message, path, position.line, position.column, file)
