"""The choice-step condition language: a tokenizer, a recursive-descent parser and an evaluator.

Conditions come from user documents and run inside workflow code, so they are parsed by hand
(never `eval`) into a JSON tree that the interpreter can carry and evaluate deterministically.

Grammar, lowest precedence first::

    or      := and ('||' and)*
    and     := compare ('&&' compare)*
    compare := unary (('==' | '!=' | '<' | '<=' | '>' | '>=') unary)?     # not chainable
    unary   := '!' unary | primary
    primary := '(' or ')' | string | number | 'true' | 'false' | 'null' | path

Semantics: a missing path is null; a string compared with a number or boolean is read as that
type when it spells one, and nothing else converts (`paths.compare`, shared with filters);
ordering only between two numbers or two strings; JavaScript-like truthiness. Paths inside a
condition end where the RFC 9535 name grammar says (`paths.path_end`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, cast, final

from translator.errors import ExpressionError
from translator.expressions.comparison import compare
from translator.expressions.member_names import path_end
from translator.expressions.paths import JSON, PathSpec, evaluate_path, parse_path, path_reader

CmpOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]


@final
class LitNode(TypedDict):
    lit: JSON


@final
class PathNode(TypedDict):
    path: PathSpec


@final
class CmpNode(TypedDict):
    """`coerce` is set on every comparison this parser compiles (see `paths.compare`); trees
    compiled before it existed lack it and compare strictly, as when their execution started."""

    cmp: CmpOp
    left: Condition
    right: Condition
    coerce: NotRequired[bool]


# `not`, `and` and `or` are Python keywords, so these need the functional TypedDict syntax.
NotNode = TypedDict("NotNode", {"not": "Condition"})
AndNode = TypedDict("AndNode", {"and": "list[Condition]"})
OrNode = TypedDict("OrNode", {"or": "list[Condition]"})

Condition: TypeAlias = LitNode | PathNode | NotNode | AndNode | OrNode | CmpNode

MAX_DEPTH = 50
"""Nesting limit for `(` and `!`, so a hostile condition cannot exhaust the Python stack."""


# --- evaluation --------------------------------------------------------------------------------


def truthy(value: Any) -> bool:
    """JavaScript-like truthiness: null, false, 0 and "" are false; [] and {} are true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return bool(value != "")


def evaluate_condition(cond: Condition, data: Any) -> bool:
    """Judge `cond` against the choice step's input `data` (what `$` means in its paths)."""
    return truthy(_value(cond, data))


def _value(node: Condition, data: Any) -> Any:
    # The keyword-named nodes cannot be @final TypedDicts, so mypy needs the casts to narrow.
    if "not" in node:
        return not truthy(_value(cast(NotNode, node)["not"], data))
    if "and" in node:
        return all(truthy(_value(item, data)) for item in cast(AndNode, node)["and"])
    if "or" in node:
        return any(truthy(_value(item, data)) for item in node["or"])
    if "lit" in node:
        return node["lit"]
    if "path" in node:
        return evaluate_path(node["path"], data)
    left, right = _value(node["left"], data), _value(node["right"], data)
    return compare(node["cmp"], left, right, coerce=node.get("coerce", False))


# --- compiled evaluation -----------------------------------------------------------------------

Judge: TypeAlias = Callable[[Any], bool]
"""A condition compiled by `condition_judge`: data in, whether the condition holds."""

_PLAIN_TYPES = (int, str, float)

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
"""`comparison._plain` for two values of one of `_PLAIN_TYPES`, where every one is a bool."""


def condition_judge(cond: Condition) -> Judge:
    """`evaluate_condition` bound to `cond`, compiled once into closures: an interpreter that
    judges the same condition at every turn of a loop walks the tree only once. Nodes are
    read in `_value`'s order and evaluated the same way (same short-circuits, same
    `compare`), so every answer is the same."""
    try:
        return _truth(cond)
    except Exception:  # a malformed tree: it fails where evaluate_condition fails, when judged
        return lambda data: evaluate_condition(cond, data)


def _yields_bool(node: Condition) -> bool:
    """Whether `_value` of the node is always a bool (truthy() of it is itself)."""
    return "lit" not in node and "path" not in node


def _truth(node: Condition) -> Judge:
    value = _compiled(node)
    if _yields_bool(node):
        return value
    return lambda data: truthy(value(data))


def _compiled(node: Condition) -> Callable[[Any], Any]:
    if "not" in node:
        inner = _truth(cast(NotNode, node)["not"])
        return lambda data: not inner(data)
    if "and" in node:
        items = cast(AndNode, node)["and"]
        parts = [_member_literal(item) for item in items]
        if parts and all(part is not None for part in parts):
            return _all_members(tuple(cast(list[MemberTest], parts)))
        return _all_of(tuple(_truth(item) for item in items))
    if "or" in node:
        return _any_of(tuple(_truth(item) for item in node["or"]))
    if "lit" in node:
        literal = node["lit"]
        return lambda data: literal
    if "path" in node:
        return path_reader(node["path"])
    return _comparison(node)


def _all_of(items: tuple[Judge, ...]) -> Judge:
    def holds(data: Any) -> bool:
        for item in items:  # noqa: SIM110 (a loop: no generator per judgement)
            if not item(data):
                return False
        return True

    return holds


MemberTest = tuple[str, type, Callable[[Any, Any], bool], Any, str, bool, Callable[[Any], Any]]
"""`$.name OP literal` taken apart: (name, the literal's type, the plain operator, the
literal, OP, coerce, the path's reader)."""


def _member_literal(node: Condition) -> MemberTest | None:
    """The parts of a comparison that `_comparison` compiles to `_member_against_literal`,
    else None."""
    if type(node) is not dict or "cmp" not in node or not _COMPARISON_KEYS.issuperset(node):
        return None
    cmp = cast(CmpNode, node)
    op, literal = cmp["cmp"], cmp["right"].get("lit")
    plain = _OPERATORS.get(op)
    member = _member_of(cmp["left"])
    if plain is None or type(literal) not in _PLAIN_TYPES or member is None:
        return None
    left = _compiled(cmp["left"])
    return member, type(literal), plain, literal, op, cmp.get("coerce", False), left


def _all_members(parts: tuple[MemberTest, ...]) -> Judge:
    """`_all_of` of `_member_against_literal` judges (`$.d0 == 3 && $.d1 == 0`), in one
    call: the same tests in the same order, stopping at the first that fails."""

    def all_members(data: Any) -> bool:
        plain_object = type(data) is dict
        for member, kind, plain, literal, op, coerce, left in parts:
            value = data.get(member) if plain_object else left(data)
            if type(value) is kind:
                if not plain(value, literal):
                    return False
            elif not compare(op, value, literal, coerce=coerce):
                return False
        return True

    return all_members


def _any_of(items: tuple[Judge, ...]) -> Judge:
    def holds(data: Any) -> bool:
        for item in items:  # noqa: SIM110 (a loop: no generator per judgement)
            if item(data):
                return True
        return False

    return holds


def _comparison(node: CmpNode) -> Judge:
    op, coerce = node["cmp"], node.get("coerce", False)
    left, right = _compiled(node["left"]), _compiled(node["right"])
    literal = node["right"].get("lit")
    plain = _OPERATORS.get(op)
    if plain is not None and type(literal) in _PLAIN_TYPES:
        # `$.x == 3`: compare's own first case (two values of one plain type), inlined.
        kind = type(literal)
        member = _member_of(node["left"])
        if member is not None:
            return _member_against_literal(member, left, plain, literal, op, coerce)

        def against_literal(data: Any) -> bool:
            value = left(data)
            if type(value) is kind:
                return plain(value, literal)
            return compare(op, value, literal, coerce=coerce)

        return against_literal
    return lambda data: compare(op, left(data), right(data), coerce=coerce)


_COMPARISON_KEYS = frozenset({"cmp", "left", "right", "coerce"})


def member_equality(cond: Condition) -> tuple[str, int | str] | None:
    """`$.name == literal` with an integer or text literal, as (name, literal), else None:
    for a plain object whose member has the literal's type, such a condition holds exactly
    when the member equals the literal (`_member_against_literal`), so a choice of several
    can find its option by one lookup (worker/interpreter/plans.py)."""
    try:
        if cond.get("cmp") != "==" or not _COMPARISON_KEYS.issuperset(cond):
            return None
        right = cast(CmpNode, cond)["right"]
        literal = right.get("lit") if type(right) is dict and len(right) == 1 else None
        if type(literal) is not int and type(literal) is not str:
            return None
        member = _member_of(cast(CmpNode, cond)["left"])
    except Exception:  # a malformed tree: judged (and failing) as it always was
        return None
    return None if member is None else (member, literal)


def _member_of(node: Condition) -> str | None:
    """The member name of a `$.name` path node (one field segment), else None."""
    if "path" not in node:
        return None
    path = cast(PathNode, node)["path"]
    if path["multi"] or len(path["segments"]) != 1:
        return None
    field = cast(dict[str, Any], path["segments"][0]).get("field")
    return field if type(field) is str else None


def _member_against_literal(
    member: str,
    left: Callable[[Any], Any],
    plain: Callable[[Any, Any], bool],
    literal: Any,
    op: str,
    coerce: bool,
) -> Judge:
    """`$.name == 3`: against_literal with the member read inline from a plain object
    (`left`, the path's reader, for anything else), so one call judges it."""
    kind = type(literal)

    def member_against_literal(data: Any) -> bool:
        value = data.get(member) if type(data) is dict else left(data)
        if type(value) is kind:
            return plain(value, literal)
        return compare(op, value, literal, coerce=coerce)

    return member_against_literal


# --- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["op", "lit", "path", "end"]
    text: str
    column: int
    value: Any = None


_TWO_CHAR_OPS = ("==", "!=", "<=", ">=", "&&", "||")
_ONE_CHAR_OPS = "<>!()"
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL_WORDS: dict[str, JSON] = {"true": True, "false": False, "null": None}
_WORD_HINTS = {
    "and": "use '&&'",
    "or": "use '||'",
    "not": "use '!'",
    "None": "did you mean 'null'?",
}
_LONE_CHAR_ERRORS = {
    "=": "unexpected '=' (did you mean '=='?)",
    "&": "single '&' is not an operator (use '&&')",
    "|": "single '|' is not an operator (use '||')",
    "'": 'single quotes are not supported (use "..." or `...`)',
    "[": "unexpected '[' (array literals are not supported)",
    "{": "unexpected '{' (object literals are not supported)",
}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _Lexer:
    """Produces one token at a time, so errors are reported in left-to-right order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next(self) -> _Token:
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\r\n":
            self.pos += 1
        start = self.pos
        if start >= len(text):
            return _Token("end", "", start)
        char = text[start]
        if text.startswith(_TWO_CHAR_OPS, start):
            return self._take("op", start, start + 2, text[start : start + 2])
        if char in _ONE_CHAR_OPS:
            return self._take("op", start, start + 1, char)
        if char in _LONE_CHAR_ERRORS:
            raise ExpressionError(_LONE_CHAR_ERRORS[char], start)
        return self._operand(start, char)

    def _operand(self, start: int, char: str) -> _Token:
        if char == '"':
            return self._double_quoted(start)
        if char == "`":
            return self._backtick(start)
        if char == "$":
            return self._path(start)
        number = _NUMBER.match(self.text, start)
        if number:
            return self._take("lit", start, number.end(), _number(number[0], start))
        word = _WORD.match(self.text, start)
        if word:
            return self._word(start, word[0])
        if char in "+-*/%":
            raise ExpressionError(f"unexpected '{char}' (arithmetic is not supported)", start)
        raise ExpressionError(f"unexpected character '{char}'", start)

    def _take(self, kind: Literal["op", "lit", "path"], start: int, end: int, value: Any) -> _Token:
        self.pos = end
        return _Token(kind, self.text[start:end], start, value)

    def _word(self, start: int, word: str) -> _Token:
        if word in _LITERAL_WORDS:
            return self._take("lit", start, start + len(word), _LITERAL_WORDS[word])
        hint = _WORD_HINTS.get(word)
        if hint is None and word.lower() in _LITERAL_WORDS:
            hint = f"did you mean '{word.lower()}'?"
        if hint is None:
            hint = "quote strings with \"...\"; paths start with '$'"
        raise ExpressionError(f"unexpected '{word}' ({hint})", start)

    def _backtick(self, start: int) -> _Token:
        end = self.text.find("`", start + 1)
        if end < 0:
            raise ExpressionError("unterminated string", start)
        return self._take("lit", start, end + 1, self.text[start + 1 : end])

    def _double_quoted(self, start: int) -> _Token:
        text, pos, chars = self.text, start + 1, []
        while pos < len(text) and text[pos] != '"':
            if text[pos] == "\\":
                char, pos = _escape(text, pos)
            else:
                char, pos = text[pos], pos + 1
            chars.append(char)
        if pos >= len(text):
            raise ExpressionError("unterminated string", start)
        return self._take("lit", start, pos + 1, "".join(chars))

    def _path(self, start: int) -> _Token:
        end = path_end(self.text, start)
        snippet = self.text[start:end]
        return self._take("path", start, end, parse_path(snippet, offset=start))


def _number(text: str, column: int) -> int | float:
    """JSON-style number; int when it has no fraction or exponent. Infinity is not JSON."""
    try:
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:  # Python refuses to convert ints with thousands of digits
        raise ExpressionError("number out of range", column) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("number out of range", column)
    return value


def _escape(text: str, pos: int) -> tuple[str, int]:
    """Decode the escape at `text[pos]` (a backslash); returns the char and the next offset."""
    code = text[pos + 1 : pos + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], pos + 2
    if code != "u":
        shown = "\\" + code if code else "\\"
        raise ExpressionError(f"invalid escape '{shown}' in string", pos)
    high = _hex4(text, pos)
    if 0xDC00 <= high <= 0xDFFF:
        raise ExpressionError("invalid '\\u' escape in string (lone surrogate)", pos)
    if not 0xD800 <= high <= 0xDBFF:
        return chr(high), pos + 6
    low = _hex4(text, pos + 6) if text.startswith("\\u", pos + 6) else -1
    if not 0xDC00 <= low <= 0xDFFF:
        raise ExpressionError("invalid '\\u' escape in string (lone surrogate)", pos)
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), pos + 12


def _hex4(text: str, pos: int) -> int:
    digits = text[pos + 2 : pos + 6]
    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise ExpressionError("invalid '\\u' escape in string (expected 4 hex digits)", pos)
    return int(digits, 16)


# --- parser ------------------------------------------------------------------------------------

_CMP_OPS: dict[str, CmpOp] = {op: op for op in ("==", "!=", "<", "<=", ">", ">=")}


def parse_condition(text: str) -> Condition:
    """Parse a choice condition into its JSON tree; raises ExpressionError with a column."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.lexer = _Lexer(text)
        self.previous: _Token | None = None
        self.token = self.lexer.next()
        self.depth = 0

    def parse(self) -> Condition:
        if self.token.kind == "end":
            raise ExpressionError("empty condition", 0)
        node = self._or()
        if not self._at_end():
            raise self._trailing()
        return node

    def _advance(self) -> _Token:
        token = self.token
        self.previous = token
        self.token = self.lexer.next()
        return token

    def _at_end(self) -> bool:
        return self.token.kind == "end"

    def _at(self, op: str) -> bool:
        return self.token.kind == "op" and self.token.text == op

    def _or(self) -> Condition:
        items = [self._and()]
        while self._at("||"):
            self._advance()
            items.append(self._and())
        return items[0] if len(items) == 1 else {"or": items}

    def _and(self) -> Condition:
        items = [self._compare()]
        while self._at("&&"):
            self._advance()
            items.append(self._compare())
        return items[0] if len(items) == 1 else {"and": items}

    def _compare(self) -> Condition:
        left = self._unary()
        op = _CMP_OPS.get(self.token.text) if self.token.kind == "op" else None
        if op is None:
            return left
        self._advance()
        right = self._unary()
        if self.token.kind == "op" and self.token.text in _CMP_OPS:
            message = f"unexpected '{self.token.text}' (comparisons cannot be chained; use '&&')"
            raise ExpressionError(message, self.token.column)
        return {"cmp": op, "left": left, "right": right, "coerce": True}

    def _unary(self) -> Condition:
        if not self._at("!"):
            return self._primary()
        self._enter()
        self._advance()
        node: Condition = {"not": self._unary()}
        self.depth -= 1
        return node

    def _primary(self) -> Condition:
        token = self.token
        if token.kind == "lit":
            self._advance()
            return {"lit": token.value}
        if token.kind == "path":
            self._advance()
            return {"path": token.value}
        if not self._at("("):
            raise self._missing_operand()
        self._enter()
        self._advance()
        node = self._or()
        if not self._at(")"):
            raise ExpressionError("expected ')'", self.token.column)
        self._advance()
        self.depth -= 1
        return node

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            message = f"condition nested too deeply (more than {MAX_DEPTH} levels)"
            raise ExpressionError(message, self.token.column)

    def _missing_operand(self) -> ExpressionError:
        token, previous = self.token, self.previous
        if previous is not None:
            return ExpressionError(f"expected an expression after '{previous.text}'", token.column)
        return ExpressionError(f"unexpected '{token.text}'", token.column)

    def _trailing(self) -> ExpressionError:
        token = self.token
        if token.kind == "op":
            return ExpressionError(f"unexpected '{token.text}'", token.column)
        return ExpressionError(f"unexpected '{token.text}' (expected an operator)", token.column)
