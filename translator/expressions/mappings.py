"""Mapping `source` values: references into `$input`, `$local` or `$context`, or constants.

FDL's rule is lexical: a string starting with `$input`, `$local` or `$context` is a reference and
anything else, of any JSON type, is a constant. So `"$.x"` is the literal text `$.x` (almost
certainly a mistake, hence `is_dollar_literal` for the validator), while `"$inputs"` is a broken
reference and an error rather than a silent constant.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeAlias, TypedDict, final

from translator.errors import ExpressionError
from translator.expressions.member_names import name_end
from translator.expressions.paths import JSON, PathSpec, evaluate_path, parse_path, path_reader

ScopeName: TypeAlias = Literal["input", "local", "context"]


@final
class ConstSource(TypedDict):
    const: JSON


@final
class RefSource(TypedDict):
    ref: ScopeName
    path: PathSpec


Source: TypeAlias = ConstSource | RefSource


class Mapping(TypedDict):
    """One compiled mapping entry; `target` is a literal key (dots do not nest)."""

    target: str
    source: Source


class Scopes(TypedDict):
    """What `$input`, `$local` and `$context` mean where the mappings are evaluated."""

    input: Any
    local: Any
    context: Any


_ROOTS: tuple[ScopeName, ...] = ("input", "local", "context")

CONTEXT_FIELDS: frozenset[tuple[str, ...]] = frozenset(
    {
        (),
        ("task",),
        ("task", "token"),
        ("execution",),
        ("execution", "name"),
        ("flow",),
        ("flow", "name"),
        ("step",),
        ("step", "name"),
        ("step", "eventId"),
    }
)
"""The `$context` paths the interpreter fills in (project decision 7); others are errors."""

_KNOWN_CONTEXT = "task.token, execution.name, flow.name, step.name, step.eventId"


def is_dollar_literal(value: Any) -> bool:
    """A constant that looks like a JSONPath (`$`, `$.x`, `$[0]`): valid, but likely a slip."""
    return isinstance(value, str) and (value == "$" or value.startswith(("$.", "$[")))


def compile_source(value: Any) -> Source:
    """Compile one mapping source; raises ExpressionError for a malformed reference."""
    scope = _scope_of(value)
    if scope is None:
        return {"const": _json_constant(value)}
    text: str = value
    root_length = len(scope) + 1
    rest = text[root_length:]
    if rest and rest[0] not in ".[":
        raise _bad_root(text, root_length)
    path = parse_path("$" + rest, shown=text, offset=root_length - 1)
    if scope == "context":
        _check_context(path)
    return {"ref": scope, "path": path}


def _bad_root(text: str, root_length: int) -> ExpressionError:
    """`$inputs.x` or `$input x`: a reference by the FDL rule, but not a valid one."""
    word = text[: name_end(text, 1)]
    if len(word) > root_length:
        message = f"unknown reference '{word}' (use $input, $local or $context)"
    else:
        message = f"unexpected '{text[root_length]}' after '{text[:root_length]}'"
    return ExpressionError(message, root_length)


def _scope_of(value: Any) -> ScopeName | None:
    if not isinstance(value, str):
        return None
    return next((root for root in _ROOTS if value.startswith("$" + root)), None)


def _check_context(path: PathSpec) -> None:
    """Only the documented `$context` fields exist; point at the first unknown one."""
    segments = path["segments"]
    fields = tuple(s["field"] for s in segments if "field" in s)
    if len(fields) == len(segments) and fields in CONTEXT_FIELDS:
        return
    text = path["text"]
    known = 0
    while known < len(fields) and fields[: known + 1] in CONTEXT_FIELDS:
        known += 1
    prefix = "$context" + "".join("." + name for name in fields[:known])
    column = len(prefix) + 1 if text.startswith(prefix + ".") else len(prefix)
    message = f"unknown context field '{text}' (known: {_KNOWN_CONTEXT})"
    raise ExpressionError(message, min(column, len(text)))


def _json_constant(value: Any) -> JSON:
    """A fresh JSON copy of a constant; YAML-only values (dates, sets...) are rejected."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError(f"a constant must be a finite number, not {value}")
        return value
    if isinstance(value, list):
        return [_json_constant(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ExpressionError("a constant object must have string keys")
        return {key: _json_constant(item) for key, item in value.items()}
    kind = type(value).__name__
    raise ExpressionError(f"a constant must be JSON, not a {kind} (quote it if it is text)")


def evaluate_source(source: Source, scopes: Scopes) -> Any:
    """The source's value, shared with the scope or the compiled plan it comes from, not
    copied: JSON values are never changed in place once made (callers build new objects, as
    `merge` does), so sharing is safe, and a mapping costs the same whatever it picks."""
    if "const" in source:
        return source["const"]
    return evaluate_path(source["path"], scopes[source["ref"]])


def evaluate_mappings(mappings: list[Mapping], scopes: Scopes) -> dict[str, Any]:
    """Build the mapped object in list order; a later mapping of the same target wins."""
    result: dict[str, Any] = {}
    for mapping in mappings:
        result[mapping["target"]] = evaluate_source(mapping["source"], scopes)
    return result


class MappingsPlan:
    """`evaluate_mappings` bound to one mapping list, compiled at its second use: an
    interpreter that runs the same step many times (a loop) then reads each source's scope
    and path without looking them up again, and a step run once costs no compiling. Same
    order, same values (shared, never copied) as `evaluate_mappings`; a list that does not
    compile (a malformed graph) is evaluated by `evaluate_mappings` itself, so it fails where
    it always did."""

    __slots__ = ("_constant", "_entries", "_mappings", "_share", "_uses", "reads_context")

    def __init__(self, mappings: list[Mapping], share_constant: bool = False) -> None:
        self._mappings = mappings
        self._entries: tuple[tuple[str, int, Any], ...] | None = None
        self._constant: dict[str, Any] | None = None
        """With `share_constant`, once compiled, the object of a list of constants only
        (`{n: 0}`, `{d0: 5}`): the same object every time. An object is never changed in
        place once made (the interpreter merges into new ones), so sharing it is as safe as
        sharing the constants themselves, and its size, once measured, stays known
        (worker/interpreter/sizes.py; runs sized the older way get a new object each time,
        as their work meter counted)."""
        self._share = share_constant
        self._uses = 0
        self.reads_context = _reads_context(mappings)
        """Whether `$context` is read: without, `evaluate` may be given None for it."""

    def evaluate(self, input_value: Any, local: Any, context: Any) -> dict[str, Any]:
        constant = self._constant
        if constant is not None:
            return constant
        entries = self._entries
        if entries is None:
            self._uses += 1
            if self._uses != 2 or (entries := self._compile()) is None:
                scopes = Scopes(input=input_value, local=local, context=context)
                return evaluate_mappings(self._mappings, scopes)
            if self._constant is not None:
                return self._constant
        values = (input_value, local, context)
        return {
            target: read if scope < 0 else read(values[scope]) for target, scope, read in entries
        }

    def _compile(self) -> tuple[tuple[str, int, Any], ...] | None:
        try:
            self._entries = tuple(_entry(mapping) for mapping in self._mappings)
        except Exception:
            self._entries = None
        entries = self._entries
        if self._share and entries is not None and all(scope == _CONST for _, scope, _ in entries):
            self._constant = {target: value for target, _, value in entries}
        return entries


def _reads_context(mappings: list[Mapping]) -> bool:
    """Whether a source reads `$context` (True when the list cannot be read: a malformed
    graph is evaluated with everything at hand)."""
    try:
        for mapping in mappings:  # a loop, not any(): no generator for every plan made
            source = mapping["source"]
            if "ref" in source and source["ref"] == "context":
                return True
    except Exception:
        return True
    return False


_CONST = -1
_CONTEXT = 2
_SCOPE_INDEX = {"input": 0, "local": 1, "context": _CONTEXT}


def _entry(mapping: Mapping) -> tuple[str, int, Any]:
    """(target, scope index or _CONST, path reader or the constant)."""
    source = mapping["source"]
    if "const" in source:
        return mapping["target"], _CONST, source["const"]
    return mapping["target"], _SCOPE_INDEX[source["ref"]], path_reader(source["path"])
