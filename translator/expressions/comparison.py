"""Comparing JSON values: one rule for choice conditions and JSONPath filters alike.

Equality is structural (`1 == 1.0`, `[1] == [1.0]`); a string compared with a number or a
boolean is first read as that type when it spells one (see `coerce_operands`); ordering holds
between two numbers or two strings only. Pure functions: they run inside workflow code.
"""

from __future__ import annotations

import math
import re
from typing import Any


def is_number(value: object) -> bool:
    """JSON numbers: Python's bool is an int, but `true` is never the number 1 in FDL."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar_equal(left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is None and right is None


def json_equal(left: Any, right: Any) -> bool:
    """Strict structural equality (`1 == 1.0`, `true != 1`, `"1" != 1`), iterative for depth."""
    pairs = [(left, right)]
    while pairs:
        a, b = pairs.pop()
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            pairs.extend(zip(a, b, strict=True))
        elif isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            pairs.extend((value, b[key]) for key, value in a.items())
        elif isinstance(a, list | dict) or isinstance(b, list | dict) or not _scalar_equal(a, b):
            return False
    return True


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def number_in(text: str) -> int | float | None:
    """The number a string spells (`"1"`, `"-2.5"`, `"1e3"`), or None.

    The decimal forms of Go's strconv.ParseFloat, which FnF's expression engine (gval) uses to
    read a string as a number; NaN, infinities and hex floats are left out: JSON has no such
    numbers. Integers stay exact (gval would round them through float64).
    """
    if not _DECIMAL.fullmatch(text):
        return None
    if not any(c in text for c in ".eE"):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: out of any JSON number's range
            return None
    value = float(text)
    return value if math.isfinite(value) else None


def boolean_in(text: str) -> bool | None:
    """The boolean a string spells, as gval's convertToBool reads it: `true`/`TRUE`,
    `false`/`FALSE`, or a number (true unless zero); None for any other text."""
    if text in ("true", "TRUE"):
        return True
    if text in ("false", "FALSE"):
        return False
    number = number_in(text)
    return None if number is None else number != 0


def _read_as(text: str, other: Any) -> Any:
    """`text` read as the type of `other` when `other` is a number or boolean and it can be."""
    if isinstance(other, bool):
        converted: Any = boolean_in(text)
    elif is_number(other):
        converted = number_in(text)
    else:
        return text
    return text if converted is None else converted


def coerce_operands(left: Any, right: Any) -> tuple[Any, Any]:
    """A string compared with a number or a boolean is read as that type first.

    This is how Alibaba's own samples compare (`$.end == "true"` against a function's
    `{"end": true}`), and what gval, whose Go-style literals FDL conditions share, does for such
    pairs. Nothing else converts: null, arrays and objects, numbers against booleans, and two
    strings compare as they are.
    """
    if isinstance(left, str) and not isinstance(right, str):
        return _read_as(left, right), right
    if isinstance(right, str) and not isinstance(left, str):
        return left, _read_as(right, left)
    return left, right


def _plain(op: str, left: Any, right: Any) -> bool:
    """Two numbers of one type or two strings, compared without a single isinstance (which
    Temporal's workflow sandbox wraps, at microseconds a call): the hot path of choice loops."""
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return op == ">=" and bool(left >= right)


def compare(op: str, left: Any, right: Any, *, coerce: bool = True) -> bool:
    """Apply a comparison operator, after `coerce_operands` unless `coerce` is false.

    `==` is structural equality and `!=` its negation; ordering holds only between two numbers
    or two strings (by code point), so it is false for booleans, null, arrays and objects.
    `coerce=False` is the strict rule of graphs compiled before strings were read as numbers
    and booleans (their nodes lack the `coerce` flag): a pinned execution keeps its rule.
    """
    kind = type(left)
    if kind is type(right) and (kind is int or kind is str or kind is float):
        return _plain(op, left, right)  # no conversion applies: Python's own comparison
    if coerce:
        left, right = coerce_operands(left, right)
    if op == "==":
        return json_equal(left, right)
    if op == "!=":
        return not json_equal(left, right)
    ordered = (is_number(left) and is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not ordered:
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return op == ">=" and bool(left >= right)
