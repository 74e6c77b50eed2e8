"""Choice conditions: parse trees, evaluation semantics (decision 6) and exact error reports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from translator.errors import ExpressionError
from translator.expressions import evaluate_condition, parse_condition, parse_path, truthy

DATA: dict[str, Any] = {
    "status": "ready",
    "n": 3,
    "f": 1.5,
    "zero": 0,
    "neg": -2,
    "big": 1000,
    "has_more": True,
    "hasMore": False,
    "marker": "",
    "prefix": "logs/",
    "faceIndex": 1,
    "faceCount": 2,
    "total_size": 10,
    "small_file_limit": 10,
    "event_id": 4001,
    "total_group_count": 1,
    "total_group_threshold": 5,
    "detectFaceData": {"FaceCount": 0, "Faces": []},
    "flag": True,
    "flagText": "true",
    "one": 1,
    "oneText": "1",
    "nothing": None,
    "list": [1, 2],
    "obj": {},
    "items": [{"ok": True, "id": 1}, {"ok": False, "id": 2}],
    "quote": 'say "hi"',
    "path": "C:\\temp",
    "unicode": "é😀",
    "video-key": "v.mp4",
}

CASES: list[tuple[str, bool]] = [
    # == and != on strings, numbers, booleans, null
    ('$.status == "ready"', True),
    ('$.status == "failed"', False),
    ('$.status != "ready"', False),
    ('$.status != "failed"', True),
    ("$.n == 3", True),
    ("$.n == 4", False),
    ("$.n != 4", True),
    ("$.n == 3.0", True),
    ("$.f == 1.5", True),
    ("$.flag == true", True),
    ("$.flag == false", False),
    ("$.hasMore == false", True),
    ("$.nothing == null", True),
    ("$.nothing != null", False),
    # ordering comparisons
    ("$.n > 2", True),
    ("$.n > 3", False),
    ("$.n >= 3", True),
    ("$.n >= 4", False),
    ("$.n < 4", True),
    ("$.n < 3", False),
    ("$.n <= 3", True),
    ("$.n <= 2", False),
    ("$.f < 2", True),
    ('$.status > "abc"', True),
    ('$.status < "abc"', False),
    ('"a" <= "a"', True),
    # logical operators, precedence and parentheses
    ("$.has_more && $.n == 3", True),
    ("$.has_more && $.n == 4", False),
    ("$.hasMore || $.n == 3", True),
    ("$.hasMore || $.n == 4", False),
    ("true || true && false", True),
    ("(true || true) && false", False),
    ("false && false || true", True),
    ("false && (false || true)", False),
    ("$.n == 1 || $.n == 2 || $.n == 3", True),
    ("$.n > 0 && $.n < 5 && $.f > 1", True),
    ("$.has_more && ($.event_id >= 4000 || $.total_group_count >= $.total_group_threshold)", True),
    ("$.hasMore && ($.event_id >= 4000 || $.total_group_count >= $.total_group_threshold)", False),
    # negation
    ("!$.hasMore", True),
    ("!$.has_more", False),
    ("!!$.has_more", True),
    ("!($.n > 5)", True),
    ("!$.n == 3", False),
    ("!($.n == 3)", False),
    # literals: double quotes, backticks, escapes, numbers
    ("$.status == `ready`", True),
    ('$.quote == "say \\"hi\\""', True),
    ('$.quote == `say "hi"`', True),
    ('$.path == "C:\\\\temp"', True),
    ("$.path == `C:\\temp`", True),
    ('$.unicode == "\\u00e9\\ud83d\\ude00"', True),
    ('"a\\tb" == "a\tb"', True),
    ('"line\\nbreak" != "line\\\\nbreak"', True),
    ('"\\/" == "/"', True),
    ("$.neg == -2", True),
    ("$.neg > -3", True),
    ("$.neg < -2.5", False),
    ("$.big == 1e3", True),
    ("$.big == 1E+3", True),
    ("$.f == 15e-1", True),
    ("$.zero == -0", True),
    # path vs path, nested fields, arrays
    ("$.faceIndex < $.faceCount", True),
    ("$.faceCount < $.faceIndex", False),
    ("$.total_size <= $.small_file_limit", True),
    ("$.detectFaceData.FaceCount == 0", True),
    ("$.detectFaceData.Faces == $.list", False),
    ("$['video-key'] == `v.mp4`", True),
    ("$.video-key == `v.mp4`", True),
    ("$.items[0].ok", True),
    ("$.items[1].ok", False),
    ("$.items[-1].id == 2", True),
    ("$.items[*].id", True),
    ("$.items[?(@.ok == true)].id", True),
    ("$.nope[*]", True),
    # bare paths and literals judged by truthiness
    ("$.has_more", True),
    ("$.hasMore", False),
    ("$.marker", False),
    ("$.prefix", True),
    ("$.zero", False),
    ("$.n", True),
    ("$.nothing", False),
    ("$.list", True),
    ("$.obj", True),
    ("$.detectFaceData.Faces", True),
    ("$", True),
    ("true", True),
    ("false", False),
    ("null", False),
    ("0", False),
    ("0.0", False),
    ("1", True),
    ('""', False),
    ('"x"', True),
    ("``", False),
    # `!= ""` string tests
    ('$.marker != ""', False),
    ('$.prefix != ""', True),
    ('$.missing != ""', True),
    # missing keys behave as null
    ('$.missing == "ready"', False),
    ('$.missing == "failed"', False),
    ("$.missing == null", True),
    ("$.missing != null", False),
    ("$.missing", False),
    ("!$.missing", True),
    ("$.missing > 1", False),
    ("$.missing < 1", False),
    ("$.missing >= 1", False),
    ("$.missing <= 1", False),
    ("!($.missing > 1)", True),
    ("null > 1", False),
    ("null >= null", False),
    ("$.a.b.c == null", True),
    ("$.status.x == null", True),
    ("$.items[9].id == null", True),
    ("$.missing == $.alsoMissing", True),
    # a string against a number or boolean is read as that type (gval's rule); nothing else mixes
    ('1 == "1"', True),
    ('1 != "1"', False),
    ("true == 1", False),
    ("false == 0", False),
    ('"true" == true', True),
    ("$.flag == `true`", True),
    ("$.flagText == true", True),
    ('$.flagText == "true"', True),
    ("$.one == true", False),
    ("$.oneText == 1", True),
    ("1 == 1.0", True),
    ('"2" > 1', True),
    ('"2" < 1', False),
    ("true > false", False),
    ("$.list == $.list", True),
    ("$.list > $.list", False),
    ("$.obj == $.obj", True),
    ("$.obj == null", False),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_evaluate_condition(text: str, expected: bool) -> None:
    condition = parse_condition(text)
    assert json.loads(json.dumps(condition)) == condition
    assert evaluate_condition(condition, DATA) is expected
    assert evaluate_condition(json.loads(json.dumps(condition)), DATA) is expected


def _path(text: str) -> dict[str, Any]:
    return {"path": parse_path(text)}


TREES: list[tuple[str, Any]] = [
    (
        '$.status == "ready"',
        {"cmp": "==", "coerce": True, "left": _path("$.status"), "right": {"lit": "ready"}},
    ),
    ("$.x > -1", {"cmp": ">", "coerce": True, "left": _path("$.x"), "right": {"lit": -1}}),
    ("1 != 2.5", {"cmp": "!=", "coerce": True, "left": {"lit": 1}, "right": {"lit": 2.5}}),
    ("1e3 <= 1", {"cmp": "<=", "coerce": True, "left": {"lit": 1000.0}, "right": {"lit": 1}}),
    (
        "`a\\n` >= null",
        {"cmp": ">=", "coerce": True, "left": {"lit": "a\\n"}, "right": {"lit": None}},
    ),
    ("true < false", {"cmp": "<", "coerce": True, "left": {"lit": True}, "right": {"lit": False}}),
    ("$.has_more", _path("$.has_more")),
    ("($.a)", _path("$.a")),
    ("!$.a", {"not": _path("$.a")}),
    ("!!$.a", {"not": {"not": _path("$.a")}}),
    ("$.a && $.b && $.c", {"and": [_path("$.a"), _path("$.b"), _path("$.c")]}),
    ("$.a || $.b || $.c", {"or": [_path("$.a"), _path("$.b"), _path("$.c")]}),
    ("$.a || $.b && $.c", {"or": [_path("$.a"), {"and": [_path("$.b"), _path("$.c")]}]}),
    ("($.a || $.b) && $.c", {"and": [{"or": [_path("$.a"), _path("$.b")]}, _path("$.c")]}),
    ("$.a && ($.b && $.c)", {"and": [_path("$.a"), {"and": [_path("$.b"), _path("$.c")]}]}),
    (
        "!$.a == $.b",
        {"cmp": "==", "coerce": True, "left": {"not": _path("$.a")}, "right": _path("$.b")},
    ),
    (
        "$.items[?(@.name == ')')].id==1",
        {
            "cmp": "==",
            "coerce": True,
            "left": _path("$.items[?(@.name == ')')].id"),
            "right": {"lit": 1},
        },
    ),
    ("  \t$.a\n", _path("$.a")),
]


@pytest.mark.parametrize(("text", "tree"), TREES)
def test_parse_tree(text: str, tree: Any) -> None:
    assert parse_condition(text) == tree


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (0, False),
        (0.0, False),
        ("", False),
        (True, True),
        (1, True),
        (-0.5, True),
        ("0", True),
        ("false", True),
        ([], True),
        ({}, True),
        ([0], True),
    ],
)
def test_truthy(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_and_or_short_circuit() -> None:
    """The right side is never looked at when the left decides (and would not fail anyway)."""
    assert evaluate_condition(parse_condition("false && $.x[0].y > 1"), "not an object") is False
    assert evaluate_condition(parse_condition("true || $.x[0].y > 1"), None) is True


INVALID: list[tuple[str, str, int]] = [
    ("", "empty condition", 0),
    ("   ", "empty condition", 0),
    ("$.a = 1", "unexpected '=' (did you mean '=='?)", 4),
    ("$.a === 1", "unexpected '=' (did you mean '=='?)", 6),
    ("$.a & $.b", "single '&' is not an operator (use '&&')", 4),
    ("$.a | $.b", "single '|' is not an operator (use '||')", 4),
    ("$.a and $.b", "unexpected 'and' (use '&&')", 4),
    ("$.a or $.b", "unexpected 'or' (use '||')", 4),
    ("not $.a", "unexpected 'not' (use '!')", 0),
    ("$.a == True", "unexpected 'True' (did you mean 'true'?)", 7),
    ("$.a == NULL", "unexpected 'NULL' (did you mean 'null'?)", 7),
    ("$.a == None", "unexpected 'None' (did you mean 'null'?)", 7),
    ("$.a == ready", "unexpected 'ready' (quote strings with \"...\"; paths start with '$')", 7),
    ("$.a == 'x'", 'single quotes are not supported (use "..." or `...`)', 7),
    ('$.a == "ready', "unterminated string", 7),
    ("$.a == `ready", "unterminated string", 7),
    ('"\\q"', "invalid escape '\\q' in string", 1),
    ('"abc\\', "invalid escape '\\' in string", 4),
    ('"\\u12"', "invalid '\\u' escape in string (expected 4 hex digits)", 1),
    ('"\\u12g4"', "invalid '\\u' escape in string (expected 4 hex digits)", 1),
    ('"\\ud800"', "invalid '\\u' escape in string (lone surrogate)", 1),
    ('"\\udc00"', "invalid '\\u' escape in string (lone surrogate)", 1),
    ("$.a == 1 == 2", "unexpected '==' (comparisons cannot be chained; use '&&')", 9),
    ("1 < 2 < 3", "unexpected '<' (comparisons cannot be chained; use '&&')", 6),
    ("$.a &&", "expected an expression after '&&'", 6),
    ("$.a && ", "expected an expression after '&&'", 7),
    ("$.a || && $.b", "expected an expression after '||'", 7),
    ("$.a ==", "expected an expression after '=='", 6),
    ("!", "expected an expression after '!'", 1),
    ("()", "expected an expression after '('", 1),
    ("($.a", "expected ')'", 4),
    ("($.a $.b)", "expected ')'", 5),
    ("$.a)", "unexpected ')'", 3),
    ("== 1", "unexpected '=='", 0),
    ("&& $.a", "unexpected '&&'", 0),
    ("$.a $.b", "unexpected '$.b' (expected an operator)", 4),
    ("$.a == 1 2", "unexpected '2' (expected an operator)", 9),
    ("$.a (1)", "unexpected '('", 4),
    ("$.a == -", "unexpected '-' (arithmetic is not supported)", 7),
    ("$.a + 1", "unexpected '+' (arithmetic is not supported)", 4),
    ("$.a == 1.", "unexpected character '.'", 8),
    ("$.a == #", "unexpected character '#'", 7),
    ("$.a == []", "unexpected '[' (array literals are not supported)", 7),
    ("$.a == {}", "unexpected '{' (object literals are not supported)", 7),
    ("1e999 > 1", "number out of range", 0),
    ("$.a[", "unterminated '[' in path", 3),
    ("$.a == $.b[?(@.c == ']'", "unterminated '[' in path", 10),
    ("$.a == $.b]", "unexpected character ']'", 10),
    ("$.a == $..", "invalid JSONPath '$..': unexpected end of path", 10),
    ("$.a == $a", "invalid JSONPath '$a': unexpected 'a'", 8),
    ("$.a[0,1] > 1", "invalid JSONPath '$.a[0,1]': a list of several indexes is not supported", 5),
    ("(" * 51 + "1" + ")" * 51, "condition nested too deeply (more than 50 levels)", 50),
    ("!" * 51 + "1", "condition nested too deeply (more than 50 levels)", 50),
]


@pytest.mark.parametrize(("text", "message", "column"), INVALID)
def test_invalid_conditions(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_condition(text)
    assert caught.value.message == message
    assert caught.value.column == column


def test_nesting_up_to_the_limit_is_fine() -> None:
    text = "(" * 25 + "!" * 25 + "true" + ")" * 25
    assert evaluate_condition(parse_condition(text), None) is False


def test_long_flat_chains_do_not_recurse() -> None:
    text = " && ".join(["$.n == 3"] * 2000)
    assert evaluate_condition(parse_condition(text), DATA) is True
