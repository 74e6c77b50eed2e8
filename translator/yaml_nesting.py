"""PyYAML loaders that refuse documents nested too deep to compose.

PyYAML's composer builds a node by calling itself once per level of nesting, so a document of
a few thousand `[` or `{a: ` (a 20 KB file) exhausts Python's recursion limit and raises
RecursionError, which is no YAMLError: callers that turn YAML problems into diagnostics,
`InvalidArgument` or one-line CLI errors saw a traceback or a 500 instead. The scanner and
parser are state machines and never recurse, so counting the composer's depth is enough to
make every such document an ordinary, positioned `MarkedYAMLError`.

The bound (200 levels) is the one the flow loader already applies to the data it builds; no
FDL flow, function registry, mock file or key file comes close to it (YAML 1.1 sets none).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node

MAX_DEPTH = 200
"""The deepest nesting of collections a YAML document read by fnf-temporal may have."""


class NestingLimitedLoader(yaml.SafeLoader):
    """SafeLoader whose composer stops at MAX_DEPTH nested collections with a MarkedYAMLError
    at the offending node, before Python's own recursion limit."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._nesting = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # A scalar at the deepest level still has MAX_DEPTH collections around it.
        if self._nesting > MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"the document nests deeper than {MAX_DEPTH} levels",
                problem_mark=self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        self._nesting += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1


class UniqueKeyLoader(NestingLimitedLoader):
    """NestingLimitedLoader that refuses a mapping naming a key twice. PyYAML keeps the last
    value and drops the others without a word: a mock file's second case of one name, a second
    secret for one AccessKey ID, a key mapped to two teams' namespaces. Flows refuse it too
    (translator/source.py, with their own positions)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue  # an unhashable key; construct_mapping reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r} (an earlier value would be silently lost)",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=True)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` with the nesting bound and without duplicate keys: such documents raise
    a YAMLError (the function registry, mock files, AccessKey and namespaces files)."""
    return yaml.load(text, Loader=UniqueKeyLoader)


def one_line(error: yaml.YAMLError) -> str:
    """A YAML error as one line, `line L, column C: problem`, for messages that must stay on
    one line (PyYAML's own text quotes the offending source over several lines)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        problem = error.problem or error.context or "not valid YAML"
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return " ".join(str(error).split())
