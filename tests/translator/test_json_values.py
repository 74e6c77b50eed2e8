"""translator/json_values.py, the one check of a JSON value entering an execution."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from translator.json_values import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    JsonValueError,
    check_json_value,
    parse_json_value,
)


def nested(levels: int) -> object:
    """`levels` arrays, one inside the other."""
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"s": "\ud800"}, "lone surrogate"),
        ({"\udfff": 1}, "lone surrogate"),
        ({"n": float("nan")}, "cannot express (nan)"),
        ([float("inf")], "cannot express (inf)"),
        ({"n": -int("9" * 1001)}, "more than 1000 digits"),
        (nested(MAX_JSON_DEPTH + 1), "nests deeper than 64 levels"),
    ],
)
def test_values_that_are_not_json_are_refused(value: object, said: str) -> None:
    with pytest.raises(JsonValueError, match=said.replace("(", r"\(").replace(")", r"\)")):
        check_json_value(value, "the result")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"s": "\\ud800"}', "lone surrogate"),
        ('{"n": NaN}', "(NaN)"),
        ('{"n": -Infinity}', "(-Infinity)"),
        ('{"n": 1e400}', "(inf)"),
        ('{"n": ' + "1" * 5000 + "}", "more than 1000 digits"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper"),
    ],
)
def test_texts_that_are_not_json_are_refused(text: str, said: str) -> None:
    with pytest.raises(JsonValueError) as refused:
        parse_json_value(text, "Input")
    assert said in str(refused.value)


def test_the_limits_themselves_pass() -> None:
    check_json_value(nested(MAX_JSON_DEPTH), "Input")
    check_json_value({"n": int("9" * 1000), "m": -int("9" * 1000)}, "Input")


def test_a_text_over_the_request_limit_is_refused_by_its_utf8_size() -> None:
    """FnF's 1,024 KiB: counted in UTF-8 bytes, so a text of fewer characters may be over."""
    at_limit = '"' + "x" * (MAX_JSON_BYTES - 2) + '"'
    assert len(parse_json_value(at_limit, "Input")) == MAX_JSON_BYTES - 2
    over = '"' + "é" * (MAX_JSON_BYTES // 2) + '"'  # 524,290 characters, 1,048,578 bytes
    with pytest.raises(JsonValueError, match="Input is 1048578 bytes, over the 1048576-byte"):
        parse_json_value(over, "Input")


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    )
)
def test_every_json_value_passes_and_reads_back(value: object) -> None:
    text = json.dumps(value)
    assert parse_json_value(text, "Input") == json.loads(text)
