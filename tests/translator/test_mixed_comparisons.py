"""The comparison table: every pair of JSON types under every operator, in conditions and filters.

The rule (README, language decisions): a string compared with a number or a boolean is read as
that type when it spells one (`"1"`, `"2.5"`, `"1e3"`; `"true"`, `"TRUE"`, `"false"`, `"FALSE"`,
or a number, non-zero being true); nothing else converts. `==` is structural equality, `!=` its
negation, and `< <= > >=` order two numbers or two strings only. This is what Alibaba's samples
need (`$.end == "true"` against `{"end": true}`) and what gval, the Go engine whose literals FDL
conditions share, does for those pairs.

Each row gives the results of `== != < <= > >=`, in that order, as T/F.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from translator.expressions import (
    compare,
    evaluate_condition,
    evaluate_path,
    parse_condition,
    parse_path,
)

OPS = ("==", "!=", "<", "<=", ">", ">=")
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

TABLE: list[tuple[Any, Any, str]] = [
    # null
    (None, None, "TFFFFF"),
    (None, False, "FTFFFF"),
    (None, 0, "FTFFFF"),
    (None, "", "FTFFFF"),
    (None, "null", "FTFFFF"),
    (None, "false", "FTFFFF"),
    (None, [], "FTFFFF"),
    (None, {}, "FTFFFF"),
    # boolean
    (True, True, "TFFFFF"),
    (False, True, "FTFFFF"),
    (True, 1, "FTFFFF"),
    (False, 0, "FTFFFF"),
    (True, "true", "TFFFFF"),
    (True, "TRUE", "TFFFFF"),
    (False, "false", "TFFFFF"),
    (False, "FALSE", "TFFFFF"),
    (True, "false", "FTFFFF"),
    (True, "1", "TFFFFF"),
    (True, "-2.5", "TFFFFF"),
    (False, "0", "TFFFFF"),
    (False, "0.0", "TFFFFF"),
    (True, "True", "FTFFFF"),
    (True, "yes", "FTFFFF"),
    (False, "", "FTFFFF"),
    (True, [True], "FTFFFF"),
    (False, {}, "FTFFFF"),
    # number
    (1, 1.0, "TFFTFT"),
    (1, 2.5, "FTTTFF"),
    (-3, -3.5, "FTFFTT"),
    (1, "1", "TFFTFT"),
    (1, "1.0", "TFFTFT"),
    (1000, "1e3", "TFFTFT"),
    (-1, "-1", "TFFTFT"),
    (5, "+5", "TFFTFT"),
    (0.5, ".5", "TFFTFT"),
    (10, "2", "FTFFTT"),
    (2, "10", "FTTTFF"),
    (1, "abc", "FTFFFF"),
    (1, " 1", "FTFFFF"),
    (0, "", "FTFFFF"),
    (1, "true", "FTFFFF"),
    (0, "NaN", "FTFFFF"),
    (1, "Infinity", "FTFFFF"),
    (1, "1e400", "FTFFFF"),
    (16, "0x10", "FTFFFF"),
    (1, [1], "FTFFFF"),
    (1, {"a": 1}, "FTFFFF"),
    # string
    ("a", "a", "TFFTFT"),
    ("a", "b", "FTTTFF"),
    ("10", "9", "FTTTFF"),
    ("1", "1.0", "FTTTFF"),
    ("true", "TRUE", "FTFFTT"),
    ("城市", "城", "FTFFTT"),
    ("", [], "FTFFFF"),
    ("[1]", [1], "FTFFFF"),
    ("{}", {}, "FTFFFF"),
    # array
    ([1, "a"], [1.0, "a"], "TFFFFF"),
    ([1], [2], "FTFFFF"),
    ([1], ["1"], "FTFFFF"),
    ([True], ["true"], "FTFFFF"),
    ([], {}, "FTFFFF"),
    # object
    ({"a": 1}, {"a": 1.0}, "TFFFFF"),
    ({"a": True}, {"a": "true"}, "FTFFFF"),
    ({"a": 1}, {"b": 1}, "FTFFFF"),
]


def _kind(value: Any) -> str:
    return "number" if type(value) in (int, float) else type(value).__name__


def test_the_table_covers_every_pair_of_json_types() -> None:
    pairs = {frozenset((_kind(a), _kind(b))) for a, b, _ in TABLE}
    kinds = {"NoneType", "bool", "number", "str", "list", "dict"}
    assert pairs == {frozenset((a, b)) for a in kinds for b in kinds}


@pytest.mark.parametrize(("left", "right", "expected"), TABLE, ids=repr)
def test_compare(left: Any, right: Any, expected: str) -> None:
    for op, result in zip(OPS, expected, strict=True):
        assert compare(op, left, right) is (result == "T"), op
        assert compare(FLIPPED[op], right, left) is (result == "T"), f"flipped {op}"


@pytest.mark.parametrize(("left", "right", "expected"), TABLE, ids=repr)
def test_conditions_compare_paths_the_same_way(left: Any, right: Any, expected: str) -> None:
    data = {"l": left, "r": right}
    for op, result in zip(OPS, expected, strict=True):
        assert evaluate_condition(parse_condition(f"$.l {op} $.r"), data) is (result == "T")
        assert evaluate_condition(parse_condition(f"$.r {FLIPPED[op]} $.l"), data) is (
            result == "T"
        )


SCALARS = [(a, b, e) for a, b, e in TABLE if not isinstance(b, list | dict)]


@pytest.mark.parametrize(("left", "right", "expected"), SCALARS, ids=repr)
def test_conditions_compare_literals_the_same_way(left: Any, right: Any, expected: str) -> None:
    literal = json.dumps(right, ensure_ascii=False)
    for op, result in zip(OPS, expected, strict=True):
        condition = parse_condition(f"$.l {op} {literal}")
        assert evaluate_condition(condition, {"l": left}) is (result == "T"), op


@pytest.mark.parametrize(("left", "right", "expected"), SCALARS, ids=repr)
def test_filters_compare_the_same_way(left: Any, right: Any, expected: str) -> None:
    literal = json.dumps(right, ensure_ascii=False)
    for op, result in zip(OPS, expected, strict=True):
        spec = parse_path(f"$.items[?(@.v {op} {literal})].id")
        assert evaluate_path(spec, {"items": [{"v": left, "id": 1}]}) == (
            [1] if result == "T" else []
        )


def test_a_missing_path_is_null_and_equals_no_string() -> None:
    for text in ("null", "false", "", "0"):
        condition = parse_condition(f"$.missing == {json.dumps(text)}")
        assert evaluate_condition(condition, {}) is False


def test_trees_compiled_before_the_rule_keep_comparing_strictly() -> None:
    """An execution pins its compiled graph; one started before strings were read as numbers
    and booleans has no `coerce` flag, and replays with the strict rule it ran with."""
    data = {"end": True, "items": [{"v": 1, "id": 1}]}
    condition = parse_condition('$.end == "true"')
    assert evaluate_condition(condition, data) is True
    pinned = json.loads(json.dumps(condition).replace(', "coerce": true', ""))
    assert "coerce" not in json.dumps(pinned)
    assert evaluate_condition(pinned, data) is False

    spec = parse_path('$.items[?(@.v == "1")].id')
    assert evaluate_path(spec, data) == [1]
    pinned_path = json.loads(json.dumps(spec).replace(', "coerce": true', ""))
    assert evaluate_path(pinned_path, data) == []
