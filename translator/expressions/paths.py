"""JSONPath for FDL: parsed once by jsonpath_ng, then evaluated from a plain JSON segment list.

Paths are evaluated inside Temporal workflow code, which must replay identically for the life of
an execution. So jsonpath_ng is only used to *parse* (imported lazily, never by evaluation), and
its tree is turned into the JSON segments below, which a small deterministic walker evaluates.
The compiled form is plain JSON so that it can travel inside the workflow's plan.

What a member name is (`$.城市`) is decided by RFC 9535 (`member_names`), not by jsonpath_ng's
ASCII-only lexer: `parse_path` hands jsonpath_ng such names in bracket form.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, final

from translator.errors import ExpressionError
from translator.expressions.comparison import compare
from translator.expressions.member_names import is_name_first, name_end

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"
FilterOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">=", "exists"]


@final
class FieldSegment(TypedDict):
    field: str


@final
class IndexSegment(TypedDict):
    index: int


@final
class SliceSegment(TypedDict):
    slice: list[int | None]


@final
class WildcardSegment(TypedDict):
    wildcard: Literal[True]


@final
class DescendSegment(TypedDict):
    descend: Literal[True]


@final
class FilterSegment(TypedDict):
    filter: list[FilterTest]


Segment: TypeAlias = (
    FieldSegment | IndexSegment | SliceSegment | WildcardSegment | DescendSegment | FilterSegment
)


class FilterTest(TypedDict):
    """One `@.path op value` test of a filter; `exists` ignores `value` (it is null).

    `coerce` (set by this compiler on every comparison) applies `coerce_operands`; filters
    compiled before it existed lack it and keep comparing strictly, so executions that pinned
    such a graph replay the same way.
    """

    path: list[Segment]
    op: FilterOp
    value: JSON
    coerce: NotRequired[bool]


class PathSpec(TypedDict):
    """A compiled path. `multi` paths evaluate to a list of every match."""

    text: str
    segments: list[Segment]
    multi: bool


_MISSING: Any = object()
"""What a singular lookup finds when a step is absent; callers turn it into null."""


# --- evaluation --------------------------------------------------------------------------------


def evaluate_path(path: PathSpec, data: Any) -> Any:
    """The value at `path` (None if absent), or for a multi path the list of all matches.

    Results share structure with `data`; callers that hand them on copy them.
    """
    segments = path["segments"]
    if not path["multi"]:
        found = _resolve(segments, data)
        return None if found is _MISSING else found
    nodes = [data]
    for segment in segments:
        nodes = [child for node in nodes for child in _step(segment, node)]
    return nodes


def path_reader(path: PathSpec) -> Callable[[Any], Any]:
    """`evaluate_path` bound to `path`, for code that evaluates one path many times (a choice
    loop): a singular path of member names (`$.a.b`, the common case) walks plain objects
    directly; anything else, or data of another shape, takes `evaluate_path` itself, so the
    answer is always the same."""
    segments = path["segments"]
    if path["multi"] or not all("field" in segment for segment in segments):
        return lambda data: evaluate_path(path, data)
    keys = tuple(segment["field"] for segment in segments)  # type: ignore[typeddict-item]
    if len(keys) == 1:
        return _member_reader(path, keys[0])

    def read(data: Any) -> Any:
        node = data
        for key in keys:
            if type(node) is dict:
                node = node.get(key)  # absent is null, as a present null is
            elif node is None:
                return None  # no member of null exists
            else:
                return evaluate_path(path, data)  # an array, a scalar, a dict subclass
        return node

    return read


def _member_reader(path: PathSpec, key: str) -> Callable[[Any], Any]:
    """`path_reader` of `$.key` (one member name, the common case of a condition): `read`
    with its loop unrolled."""

    def read_member(data: Any) -> Any:
        if type(data) is dict:
            return data.get(key)
        if data is None:
            return None
        return evaluate_path(path, data)

    return read_member


def _resolve(segments: list[Segment], data: Any) -> Any:
    """Follow field/index segments; `_MISSING` as soon as a step does not exist."""
    node = data
    for segment in segments:
        found = _step(segment, node)
        if not found:
            return _MISSING
        node = found[0]
    return node


def _step(segment: Segment, node: Any) -> list[Any]:
    """Every node one segment selects from `node`, in document order. (`type(...) is` first:
    Temporal's workflow sandbox wraps isinstance, at microseconds a call.)"""
    if "field" in segment:
        key = segment["field"]
        is_object = type(node) is dict or isinstance(node, dict)
        return [node[key]] if is_object and key in node else []
    if "index" in segment:
        index = segment["index"]
        ok = (type(node) is list or isinstance(node, list)) and -len(node) <= index < len(node)
        return [node[index]] if ok else []
    if "slice" in segment:
        start, stop, step = segment["slice"]
        if not isinstance(node, list) or step == 0:
            return []
        return node[start:stop:step]
    if "wildcard" in segment:
        return _children(node)
    if "descend" in segment:
        return _descendants(node)
    tests = segment["filter"]
    return [child for child in _children(node) if all(_passes(t, child) for t in tests)]


def _children(node: Any) -> list[Any]:
    if isinstance(node, list):
        return list(node)
    if isinstance(node, dict):
        return list(node.values())
    return []


def _descendants(node: Any) -> list[Any]:
    """The node and everything below it, pre-order (iterative: deep data cannot overflow)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(_children(current)))
    return found


def _passes(test: FilterTest, candidate: Any) -> bool:
    found = _resolve(test["path"], candidate)
    if test["op"] == "exists":
        return found is not _MISSING
    value = None if found is _MISSING else found
    return compare(test["op"], value, test["value"], coerce=test.get("coerce", False))


# --- parsing -----------------------------------------------------------------------------------


def parse_path(text: str, *, shown: str | None = None, offset: int = 0) -> PathSpec:
    """Compile a `$...` JSONPath. Raises ExpressionError on anything we cannot evaluate.

    `shown` is the text to report and keep (e.g. `$input.a` for the path `$.a`) and `offset` is
    added to error columns, so callers embedding a path can point into their own text.
    """
    kept = text if shown is None else shown
    label = _printable(kept)
    if not text.startswith("$"):
        raise ExpressionError(f"invalid JSONPath '{label}': a path must start with '$'", offset)
    bracketed = _bracket_names(text, label, offset)
    tree = _jsonpath_tree(text, bracketed, label, offset)
    try:
        segments = _segments(tree, root="Root")
    except _Unsupported as exc:
        column = max(text.find(exc.hint, 1), 0) if exc.hint else 0
        raise ExpressionError(f"invalid JSONPath '{label}': {exc}", column + offset) from None
    multi = any(not ("field" in s or "index" in s) for s in segments)
    return {"text": kept, "segments": segments, "multi": multi}


@dataclass(frozen=True, slots=True)
class _Bracketed:
    """A path with every shorthand name in bracket form; `origin[i]` is where char i came from."""

    text: str
    origin: list[int]

    def source_column(self, column: int) -> int:
        return self.origin[column] if 0 <= column < len(self.origin) else self.origin[-1]


def _bracket_names(
    text: str, label: str, offset: int, notes: list[str] | None = None
) -> _Bracketed:
    """Rewrite `.name` as `['name']` wherever a name follows `$`, `@`, `]`, `*` or another name
    and jsonpath_ng could not read it as written (non-ASCII, or one of its keywords).

    This module, not jsonpath_ng's ASCII-only lexer, thereby decides what a member name is
    (RFC 9535 section 2.5.1.1, see `is_name_first`), and names that happen to be jsonpath_ng
    keywords (`where`, `true`) stay names. Quoted text and numbers (`1.5` in a filter) pass as
    they are; a `.` followed by anything else is left for jsonpath_ng to judge.
    """
    out: list[str] = []
    origin: list[int] = []
    nesting: list[bool] = []
    in_path, quote, pos = False, "", 0
    while pos < len(text):
        char = text[pos]
        if quote:
            width = 2 if char == "\\" else 1
            if char == quote:
                quote = ""
        elif char == "." and in_path:
            width = 2 if text.startswith("..", pos) else 1
            end = _shorthand_end(text, pos + width, label, offset)
            if end > pos + width and notes is not None:
                notes += _name_notes(label, text[pos + width : end])
            if end > pos + width:
                _emit(out, origin, text[pos : pos + width], pos)
                _emit_name(out, origin, text, pos + width, end)
                pos = end
                continue
        else:
            width = 1
            in_path, quote = _after(char, in_path, nesting)
        _emit(out, origin, text[pos : pos + width], pos)
        pos += width
    origin.append(len(text))
    return _Bracketed("".join(out), origin)


_ASCII_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_JSONPATH_NG_KEYWORDS = frozenset({"where", "wherenot"})


def _needs_brackets(name: str) -> bool:
    """Names jsonpath_ng's lexer would not read as one plain name; others are left as written."""
    return not _ASCII_ID.fullmatch(name) or name in _JSONPATH_NG_KEYWORDS


def _after(char: str, in_path: bool, nesting: list[bool]) -> tuple[bool, str]:
    """Whether a `.` right after `char` selects a member, and the quote `char` opens, if any."""
    if char in "'\"`":
        return False, char
    if char == "[":
        nesting.append(in_path)
        return False, ""
    if char == "]":
        return (nesting.pop() if nesting else False), ""
    # RFC 9535 allows blank space between segments (`$.a .b`), and jsonpath_ng skips it
    return char in "$@" or (in_path and char in "* \t\r\n"), ""


def _shorthand_end(text: str, start: int, label: str, offset: int) -> int:
    """End of the member name at `start` (== start when there is none); refuses `.0x`.

    `.0` (digits only) is outside RFC 9535's shorthand, but releases before it read it as the
    member named by the number (`$.items.0` is key "0"; `.01` is key "1"), and deployed flows
    use it: it keeps that reading, and `fnf validate` warns (`path_notes`)."""
    if start < len(text) and "0" <= text[start] <= "9":
        name = text[start : name_end(text, start)]
        if _digits(name):
            return start + len(name)
        message = (
            f"invalid JSONPath '{label}': a name after '.' cannot start with a digit"
            f" (write ['{name}'])"
        )
        raise ExpressionError(message, start + offset)
    if start >= len(text) or not is_name_first(text[start]):
        return start
    end = name_end(text, start)
    if text.startswith("@", end):  # jsonpath_ng would read `a@b` as one name; RFC 9535 does not
        raise ExpressionError(f"invalid JSONPath '{label}': unexpected character '@'", end + offset)
    return end


def path_notes(text: str) -> list[str]:
    """What `fnf validate` warns about the shorthand names of a `$...` path that parses but
    may not read what its author meant: `.0` (outside RFC 9535, kept for earlier flows) and a
    name that starts or ends with an invisible space (`$.城市　` reads the key "城市　")."""
    notes: list[str] = []
    try:
        _bracket_names(text, _printable(text), 0, notes)
    except ExpressionError:
        return []
    return notes


def _name_notes(label: str, name: str) -> list[str]:
    if _digits(name):
        key = legacy_member_name(name)
        return [
            f"'{label}': '.{name}' is not a JSONPath member name (RFC 9535); it reads the key "
            f"\"{key}\", as earlier releases did: write ['{key}'] for that key, or [{key}] "
            f"for an array's element"
        ]
    edges = [char for char in (name[0], name[-1]) if _invisible(char)]
    if not edges:
        return []
    codes = ", ".join(sorted({f"U+{ord(char):04X}" for char in edges}))
    return [
        f"'{label}': the name '{_printable(name)}' starts or ends with an invisible space "
        f"({codes}), which is part of the key it reads; write it in brackets if it is meant"
    ]


def _invisible(char: str) -> bool:
    """Space separators and format characters: U+3000, U+00A0, U+200B, U+FEFF."""
    return unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cf")


def _digits(name: str) -> bool:
    return bool(name) and all("0" <= char <= "9" for char in name)


def legacy_member_name(name: str) -> str:
    """The key a `.<digits>` shorthand reads: the number's decimal form, as before RFC 9535
    names (jsonpath_ng read the digits as a number)."""
    return str(int(name))


def _emit(out: list[str], origin: list[int], chunk: str, start: int) -> None:
    out.append(chunk)
    origin.extend(range(start, start + len(chunk)))


def _emit_name(out: list[str], origin: list[int], text: str, start: int, end: int) -> None:
    name = text[start:end]
    if _digits(name):
        key = legacy_member_name(name)
        out.append("['" + key + "']")
        origin.extend([start, start, *[start] * len(key), end, end])
        return
    if not _needs_brackets(name):
        _emit(out, origin, name, start)
        return
    out.append("['" + name + "']")
    origin.extend([start, start, *range(start, end), end, end])


def _jsonpath_tree(text: str, bracketed: _Bracketed, label: str, offset: int) -> Any:
    """Parse with jsonpath_ng, turning its errors (and deprecated forms) into ExpressionError."""
    from jsonpath_ng.ext.parser import parse  # lazy: evaluation must never load jsonpath_ng

    # Recording warnings is how deprecated forms are spotted; parsing runs at translation time,
    # never concurrently inside workflow code, so the process-wide filter change is harmless.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = parse(bracketed.text)
        except Exception as exc:  # jsonpath_ng raises several types, some undocumented
            reason, column = _describe_failure(bracketed.text, str(exc))
            message = f"invalid JSONPath '{label}': {reason}"
            raise ExpressionError(message, bracketed.source_column(column) + offset) from None
    if any("unquoted word" in str(w.message) for w in caught):
        column = max(text.find("?"), 0) + offset
        message = f"invalid JSONPath '{label}': compare with a quoted string, not a bare word"
        raise ExpressionError(message, column)
    return tree


_PARSE_AT = re.compile(r"Parse error at (\d+):(\d+) near token (.*) \((\S+)\)$", re.DOTALL)
_LEX_AT = re.compile(r"Error on line (\d+), col (\d+).*Unexpected character: (.)", re.DOTALL)


def _describe_failure(text: str, error: str) -> tuple[str, int]:
    """A short reason and the 0-based column, recovered from jsonpath_ng's message."""
    if "end of string" in error:
        return "unexpected end of path", len(text)
    if "EOF in string" in error:
        return "unterminated string", len(text)
    parsed = _PARSE_AT.search(error)
    if parsed:
        column = _absolute(text, int(parsed[1]), int(parsed[2]))
        return f"unexpected '{parsed[3]}'", column
    lexed = _LEX_AT.search(error)
    if lexed:
        column = _absolute(text, int(lexed[1]), int(lexed[2]))
        return f"unexpected character {_shown(lexed[3])}", column
    return error.strip() or "syntax error", 0


def _printable(text: str) -> str:
    """`text` for a message, with lone surrogates (JSON allows `\\ud800`) written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _shown(char: str) -> str:
    """A character for a message: quoted, or as U+XXXX when it cannot be printed (a lone surrogate
    from a JSON `\\ud800` escape would break any UTF-8 output)."""
    return (
        f"'{char}'"
        if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF
        else f"U+{ord(char):04X}"
    )


def _absolute(text: str, line: int, column: int) -> int:
    """jsonpath_ng counts columns from the last newline's offset; make it a text offset."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    base = newlines[line - 2] if 2 <= line <= len(newlines) + 1 else 0
    return min(base + column, len(text))


class _Unsupported(Exception):
    """A valid jsonpath_ng construct outside FDL's JSONPath; `hint` locates it in the text."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


_DESCEND = object()


def _flatten(tree: Any) -> list[Any]:
    """The leaves of the Child/Descendants spine in order (explicit stack: no recursion limit)."""
    leaves: list[Any] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "Child":
            stack += [node.right, node.left]
        elif kind == "Descendants":
            stack += [node.right, _DESCEND, node.left]
        else:
            leaves.append(node)
    return leaves


def _segments(tree: Any, root: str) -> list[Segment]:
    """Segments of a path whose first leaf must be `root` (`Root` for `$`, `This` for `@`).

    jsonpath_ng classes are matched by exact name (not isinstance): several of its extension
    nodes subclass one another, and this module must not import jsonpath_ng at import time.
    """
    leaves = _flatten(tree)
    first = type(leaves[0]).__name__
    if first == root:
        return [_segment(leaf) for leaf in leaves[1:]]
    if first in _UNSUPPORTED and first not in ("Root", "This"):
        raise _unsupported(first)
    if root == "Root":
        raise _Unsupported("a path must start with '$'")
    raise _Unsupported("a filter test must start with '@'", "?")


def _segment(node: Any) -> Segment:
    if node is _DESCEND:
        return {"descend": True}
    kind = type(node).__name__
    if kind == "Fields":
        if len(node.fields) != 1:
            raise _Unsupported("a list of several keys is not supported", ",")
        return {"field": str(node.fields[0])}
    if kind == "Index":
        if len(node.indices) != 1:
            raise _Unsupported("a list of several indexes is not supported", ",")
        return {"index": int(node.indices[0])}
    if kind == "Slice":
        return {"slice": [node.start, node.end, node.step]}
    if kind == "Wildcard":
        return {"wildcard": True}
    if kind == "Filter":
        return {"filter": [_filter_test(e) for e in node.expressions]}
    raise _unsupported(kind)


def _unsupported(kind: str) -> _Unsupported:
    message, hint = _UNSUPPORTED.get(kind, (f"unsupported JSONPath construct ({kind})", ""))
    return _Unsupported(message, hint)


_NAMED_OPERATOR = ("named operators (`...`) are not supported", "`")
_UNSUPPORTED = {
    "Root": ("'$' may only start a path", "$"),
    "This": ("'@' may only start a filter test", "@"),
    "Operation": ("arithmetic is not supported", ""),
    "SortedThis": ("sorting is not supported", ""),
    "Where": ("'where' is not supported", "where"),
    "WhereNot": ("'wherenot' is not supported", "wherenot"),
    "_Union": ("'|' (union) is not supported", "|"),
    "_Intersect": ("'&' (intersection) is not supported", "&"),
    "Parent": _NAMED_OPERATOR,
    "Len": _NAMED_OPERATOR,
    "Keys": _NAMED_OPERATOR,
    "Path": _NAMED_OPERATOR,
    "Split": _NAMED_OPERATOR,
    "Sub": _NAMED_OPERATOR,
    "Str": _NAMED_OPERATOR,
}

_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def _filter_test(expression: Any) -> FilterTest:
    """One conjunct of `[?(...)]`: `@.path`, or `@.path op literal`."""
    kind = type(expression).__name__
    if kind == "Or":
        raise _Unsupported("'||' inside a filter is not supported", "||")
    if kind != "Expression":
        raise _Unsupported(f"unsupported filter ({kind})", "?")
    path = _segments(expression.target, root="This")
    if not all("field" in s or "index" in s for s in path):
        raise _Unsupported("a filter test may only use keys and indexes after '@'", "@")
    if expression.op is None:
        return {"path": path, "op": "exists", "value": None}
    if expression.op not in _OPS:
        hint = str(expression.op)
        raise _Unsupported(f"the filter operator '{hint}' is not supported", hint)
    value = _filter_value(expression.value)
    return {"path": path, "op": expression.op, "value": value, "coerce": True}


def _filter_value(value: Any) -> JSON:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return float(value)
    if isinstance(value, float):
        raise _Unsupported("number out of range")
    raise _Unsupported("a filter may only compare with a literal value", "$")
