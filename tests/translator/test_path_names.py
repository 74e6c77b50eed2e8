"""Member names in the dot shorthand follow RFC 9535 (section 2.5.1.1) in every place a path is
read: mappings, conditions, filters, foreach collections, wait paths and serviceParams.

name-first = ALPHA / "_" / %x80-D7FF / %xE000-10FFFF; name-char = name-first / DIGIT (and `-`,
kept for keys such as `video-key`). The bracket form keeps working for any key.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator import compile_text, validate_text
from translator.errors import ExpressionError
from translator.expressions import (
    compile_source,
    evaluate_condition,
    evaluate_path,
    is_name_char,
    is_name_first,
    parse_condition,
    parse_path,
)

NAMES = [
    "城市",  # CJK
    "città",  # Latin with a diacritic
    "ключ",  # Cyrillic
    "😀",  # outside the BMP (U+1F600)
    "名_2-b",  # name chars after the first: digit, underscore, dash
    "é1",
    "\u0080",  # the first non-ASCII code point
    "\ud7ff",  # the last one before the surrogates
    "\ue000",  # the first one after them (private use)
    "\U0010ffff",  # the last code point
    "where",  # jsonpath_ng keywords are plain names here
    "wherenot",
    "true",
    "null",
]


@pytest.mark.parametrize("name", NAMES)
def test_shorthand_and_bracket_forms_read_the_same_key(name: str) -> None:
    dotted = parse_path(f"$.a.{name}")
    bracketed = parse_path(f"$.a['{name}']")
    assert dotted["segments"] == bracketed["segments"] == [{"field": "a"}, {"field": name}]
    assert dotted["text"] == f"$.a.{name}"
    assert evaluate_path(dotted, {"a": {name: 42}}) == 42


@pytest.mark.parametrize("name", NAMES)
def test_every_path_reader_accepts_the_name(name: str) -> None:
    source = compile_source(f"$input.{name}.x")
    assert source == {"ref": "input", "path": parse_path(f"$.{name}.x", shown=f"$input.{name}.x")}
    condition = parse_condition(f'$.{name} == "杭州" && $..{name} != null')
    assert evaluate_condition(condition, {name: "杭州"}) is True
    assert evaluate_condition(condition, {name: "上海"}) is False
    found = parse_path(f'$.items[?(@.{name} == "x")].{name}')
    assert evaluate_path(found, {"items": [{name: "x"}, {name: "y"}]}) == ["x"]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("$.0x", "a name after '.' cannot start with a digit (write ['0x'])", 2),
        ("$.城市.1a", "a name after '.' cannot start with a digit (write ['1a'])", 5),
        ("$..9e", "a name after '.' cannot start with a digit (write ['9e'])", 3),
        ("$.a[?(@.0b == 1)]", "a name after '.' cannot start with a digit (write ['0b'])", 8),
        ("$.\ud800", "unexpected character U+D800", 2),  # a lone surrogate is no name
        ("$.a\udfff", "unexpected character U+DFFF", 3),
        ("$.\x7f", "unexpected character U+007F", 2),  # DEL is not in %x80-D7FF
        ("$.城市#", "unexpected character '#'", 4),
        ("$.a@b", "unexpected character '@'", 3),  # jsonpath_ng alone would take `a@b`
    ],
)
def test_what_is_not_a_name_is_refused_with_its_column(
    text: str, message: str, column: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_path(text)
    assert caught.value.message.endswith(message)
    assert caught.value.column == column
    caught.value.message.encode("utf-8")  # printable, even for a lone surrogate


@pytest.mark.parametrize("key", ["0", "1a", "\ud800", "a b", "it's", "\x7f"])
def test_the_bracket_form_reads_any_key(key: str) -> None:
    escaped = key.replace("'", "\\'")
    spec = parse_path(f"$['{escaped}']")
    assert spec["segments"] == [{"field": key}]
    assert evaluate_path(spec, {key: 1}) == 1


def test_blank_space_between_segments_is_allowed() -> None:
    assert parse_path("$.城市 .città\n[0]")["segments"] == [
        {"field": "城市"},
        {"field": "città"},
        {"index": 0},
    ]


def test_a_condition_path_ends_where_the_name_grammar_says() -> None:
    condition = parse_condition('$.城市=="杭州"&&$.😀>1||!$.città')
    assert evaluate_condition(condition, {"城市": "杭州", "😀": 2, "città": ""}) is True
    with pytest.raises(ExpressionError) as caught:
        parse_condition("$.a == $.0a")
    assert caught.value.column == 9


def test_unknown_roots_are_named_with_the_same_grammar() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_source("$input城市.x")
    assert caught.value.message == "unknown reference '$input城市' (use $input, $local or $context)"


FLOW = """\
version: v1
type: flow
inputMappings:
  - {target: 城市, source: $input.城市}
outputMappings:
  - {target: out, source: $local.结果}
steps:
  - type: task
    name: call
    action: fc:InvokeFunction
    serviceParams:
      city: $.城市
    inputMappings:
      - {target: 城市, source: $input.城市}
    outputMappings:
      - {target: 结果, source: $local.回答}
    errorMappings:
      - {target: 原因, source: $local.cause}
      - {target: 城市, source: $input.城市}
    catch:
      - errors: [FnF.ALL]
        goto: 选择
  - type: choice
    name: 选择
    choices:
      - condition: $.城市 == "杭州"
        goto: 每个
    default:
      goto: 每个
  - type: foreach
    name: 每个
    iterationMapping: {collection: $.列表, item: 项}
    steps:
      - type: wait
        name: 等待
        duration: $.秒
      - type: wait
        name: 到时
        timestamp: $.ключ.время
"""


def test_every_place_in_a_flow_compiles_non_ascii_names() -> None:
    result = validate_text(FLOW, "names.yaml")
    assert result.errors == [], [str(d) for d in result.errors]
    graph = compile_text(FLOW)
    call, choice, each = graph["steps"]

    def fields(source: Any) -> list[str]:
        return [s["field"] for s in source["path"]["segments"]]

    assert graph["inputMappings"] is not None and graph["outputMappings"] is not None
    assert fields(graph["inputMappings"][0]["source"]) == ["城市"]
    assert fields(graph["outputMappings"][0]["source"]) == ["结果"]
    assert call["serviceParams"] is not None and call["outputMappings"] is not None
    assert fields(call["serviceParams"][0]["source"]) == ["城市"]
    assert fields(call["outputMappings"][0]["source"]) == ["回答"]
    assert call["errorMappings"] is not None
    assert fields(call["errorMappings"][1]["source"]) == ["城市"]
    assert choice["choices"][0]["condition"] == parse_condition('$.城市 == "杭州"')
    assert [s["field"] for s in each["collection"]["segments"]] == ["列表"]
    wait, until = each["steps"]
    assert fields(wait["duration"]) == ["秒"]
    assert fields(until["timestamp"]) == ["ключ", "время"]


# --- the grammar, generated ------------------------------------------------------------------

_NON_ASCII = st.characters(min_codepoint=0x80, exclude_categories=("Cs",))
_FIRST = st.one_of(st.sampled_from("abcXYZ_"), _NON_ASCII)
_LATER = st.one_of(st.sampled_from("az_-09"), _NON_ASCII)
names = st.builds(lambda first, rest: first + "".join(rest), _FIRST, st.lists(_LATER, max_size=6))


@settings(max_examples=200, deadline=None)
@given(names, names)
def test_generated_names_read_alike_in_every_form(first: str, second: str) -> None:
    assert is_name_first(first[0]) and all(is_name_char(c) for c in first)
    spec = parse_path(f"$.{first}[0].{second}")
    assert spec["segments"] == [{"field": first}, {"index": 0}, {"field": second}]
    data = {first: [{second: "v"}]}
    assert evaluate_path(spec, data) == "v"
    assert evaluate_path(compile_source(f"$input.{first}[0].{second}")["path"], data) == "v"
    assert evaluate_condition(parse_condition(f'$.{first}[0].{second} == "v"'), data) is True


@settings(max_examples=200, deadline=None)
@given(st.characters(exclude_characters="\"'`$.[]()!=<>&|* \t\r\n"), names)
def test_a_character_is_a_name_character_exactly_as_rfc_9535_says(char: str, name: str) -> None:
    code = ord(char)
    first = char.isascii() and (char.isalpha() or char == "_")
    first = first or 0x80 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF
    assert is_name_first(char) is first
    assert is_name_char(char) is (first or (char.isdigit() and char.isascii()) or char == "-")
    text = f"$.{name}{char}"
    if is_name_char(char):
        assert parse_path(text)["segments"] == [{"field": name + char}]
    else:
        with pytest.raises(ExpressionError):
            parse_path(text)
