"""Property tests: parsers either succeed or raise ExpressionError; evaluation never raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.errors import ExpressionError
from translator.expressions import (
    Scopes,
    compile_source,
    evaluate_condition,
    evaluate_path,
    evaluate_source,
    parse_condition,
    parse_path,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(["a", "b", "ok", "id", "items", "x-y", "0", ""])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
JSON_DATA = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)

# Fragments that reach deep into the tokenizer and parser far more often than random text.
CONDITION_PIECES = st.sampled_from(
    [
        "$",
        "$.a",
        ".b",
        "[0]",
        "[-1]",
        "[*]",
        "[1:2]",
        "..",
        "['x-y']",
        "[?(@.ok == true)]",
        "[?(@.id > 1 & @.a)]",
        " ",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "&&",
        "||",
        "&",
        "|",
        "!",
        "(",
        ")",
        "[",
        "]",
        '"',
        '"s"',
        '"\\u00e9"',
        '"\\ud83d\\ude00"',
        "\\",
        "`",
        "`r`",
        "'",
        "1",
        "-1",
        "2.5",
        "1e3",
        "-",
        "true",
        "false",
        "null",
        "and",
        "True",
        "x",
        "#",
        "@",
    ]
)
PATH_PIECES = st.sampled_from(
    [
        "$",
        ".",
        "..",
        "a",
        "b",
        "x-y",
        "*",
        "[",
        "]",
        "0",
        "-1",
        ":",
        ",",
        "?",
        "(",
        ")",
        "@",
        "'",
        '"',
        "`",
        "==",
        "<",
        "!",
        "&",
        "&&",
        "||",
        "|",
        " ",
        "true",
        "null",
        "1.5",
        "+",
        "中",
    ]
)


def joined(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(pieces, max_size=12).map("".join)


def _roundtrips(value: Any) -> None:
    assert json.loads(json.dumps(value)) == value


@FUZZ
@given(st.text() | joined(CONDITION_PIECES), JSON_DATA)
def test_parse_condition_never_crashes(text: str, data: Any) -> None:
    try:
        condition = parse_condition(text)
    except ExpressionError as exc:
        assert 0 <= exc.column <= len(text)
        return
    _roundtrips(condition)
    assert evaluate_condition(condition, data) in (True, False)
    assert evaluate_condition(json.loads(json.dumps(condition)), data) in (True, False)


@FUZZ
@given(st.text() | joined(PATH_PIECES), JSON_DATA)
def test_parse_path_never_crashes(text: str, data: Any) -> None:
    try:
        spec = parse_path(text)
    except ExpressionError as exc:
        assert 0 <= exc.column <= len(text)
        return
    _roundtrips(spec)
    result = evaluate_path(spec, data)
    if spec["multi"]:
        assert isinstance(result, list)


@FUZZ
@given(st.sampled_from(["", "$input", "$local", "$context", "$"]), st.text() | joined(PATH_PIECES))
def test_compile_source_never_crashes(root: str, rest: str) -> None:
    text = root + rest
    try:
        source = compile_source(text)
    except ExpressionError as exc:
        assert 0 <= exc.column <= len(text)
        return
    _roundtrips(source)
    scopes: Scopes = {"input": {"a": [1]}, "local": [{"a": 1}], "context": {"task": {}}}
    evaluate_source(source, scopes)


@FUZZ
@given(JSON_DATA)
def test_json_constants_compile_to_themselves(value: Any) -> None:
    source = compile_source(value)
    if not (isinstance(value, str) and value.startswith(("$input", "$local", "$context"))):
        assert source == {"const": value}
    _roundtrips(source)


OPERANDS = st.sampled_from(
    ["$.a", "$.b.ok", "$.items[*].id", "$.items[0]", "1", "-2.5", '"s"', "`t`", "true", "null"]
)


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(" ".join)
    return binary | inner.map(lambda text: f"!({text})") | inner.map(lambda text: f"({text})")


COMPARISONS = st.tuples(
    OPERANDS, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), OPERANDS
).map(" ".join)
WELL_FORMED = st.recursive(OPERANDS | COMPARISONS, _combine, max_leaves=10)


@FUZZ
@given(WELL_FORMED, JSON_DATA)
def test_well_formed_conditions_always_parse(text: str, data: Any) -> None:
    condition = parse_condition(text)
    _roundtrips(condition)
    assert evaluate_condition(condition, data) in (True, False)
