"""Mapping sources: the FDL constant-or-reference rule, evaluation, and error columns."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from translator.errors import ExpressionError
from translator.expressions import (
    Mapping,
    Scopes,
    compile_source,
    evaluate_mappings,
    evaluate_source,
    is_dollar_literal,
)

CONSTANTS: list[Any] = [
    0,
    -1,
    52428800,
    1.5,
    "",
    "train-model",
    ".avi",
    "POST",
    "http://httpbin.org/post",
    {},
    [],
    ["A", "B", "C"],
    {"a": "b", "c": 1},
    {"outer": {"inner": [1, {"deep": None}]}},
    True,
    False,
    None,
    "$.messageTag",
    "$",
    "$[0]",
    "$foo",
    "input.a",
    " $input.a",
    "$INPUT.a",
]


@pytest.mark.parametrize("value", CONSTANTS)
def test_constants_compile_to_themselves(value: Any) -> None:
    source = compile_source(value)
    assert source == {"const": value}
    assert json.loads(json.dumps(source)) == source
    assert evaluate_source(source, SCOPES) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$.messageTag", True),
        ("$", True),
        ("$[0]", True),
        ("$foo", False),
        ("$input.a", False),
        ("POST", False),
        (".avi", False),
        (1, False),
        (None, False),
    ],
)
def test_is_dollar_literal(value: Any, expected: bool) -> None:
    assert is_dollar_literal(value) is expected


def test_constants_are_copied_when_compiled() -> None:
    """The plan owns its constants; evaluating one shares it (flow data is never changed in
    place, see test_reference_results_share_the_scope)."""
    original = {"list": [1, 2]}
    source = compile_source(original)
    original["list"].append(3)
    assert evaluate_source(source, SCOPES) == {"list": [1, 2]}


SCOPES: Scopes = {
    "input": {
        "a": {"b": "deep"},
        "events": [{"oss": {"object": {"key": "k.mp4"}}}],
        "key_info": ["zero", "one"],
        "video-key": "v",
        "n": 0,
    },
    "local": [
        {"name": "A", "parts": [1, 2], "result": "pass1"},
        {"name": "B", "parts": [3], "result": "pass2"},
        {"name": "C", "parts": []},
    ],
    "context": {
        "task": {"token": "tok-1"},
        "execution": {"name": "exec-1"},
        "flow": {"name": "flow-1"},
        "step": {"name": "step-1", "eventId": 4001},
    },
}

REFERENCES: list[tuple[str, str, list[dict[str, Any]], Any]] = [
    ("$input", "input", [], SCOPES["input"]),
    ("$input.a.b", "input", [{"field": "a"}, {"field": "b"}], "deep"),
    ("$input.a", "input", [{"field": "a"}], {"b": "deep"}),
    ("$input.n", "input", [{"field": "n"}], 0),
    ("$input['video-key']", "input", [{"field": "video-key"}], "v"),
    ("$input.video-key", "input", [{"field": "video-key"}], "v"),
    (
        "$input.events[0].oss.object.key",
        "input",
        [
            {"field": "events"},
            {"index": 0},
            {"field": "oss"},
            {"field": "object"},
            {"field": "key"},
        ],
        "k.mp4",
    ),
    ("$input.key_info[1]", "input", [{"field": "key_info"}, {"index": 1}], "one"),
    ("$input.key_info[-1]", "input", [{"field": "key_info"}, {"index": -1}], "one"),
    ("$input.delay", "input", [{"field": "delay"}], None),
    ("$input.a.b.c", "input", [{"field": "a"}, {"field": "b"}, {"field": "c"}], None),
    ("$input.key_info[5]", "input", [{"field": "key_info"}, {"index": 5}], None),
    ("$local", "local", [], SCOPES["local"]),
    ("$local[0].name", "local", [{"index": 0}, {"field": "name"}], "A"),
    ("$local[*].name", "local", [{"wildcard": True}, {"field": "name"}], ["A", "B", "C"]),
    ("$local[*].result", "local", [{"wildcard": True}, {"field": "result"}], ["pass1", "pass2"]),
    (
        "$local[*].parts[*]",
        "local",
        [{"wildcard": True}, {"field": "parts"}, {"wildcard": True}],
        [1, 2, 3],
    ),
    ("$local[*].missing", "local", [{"wildcard": True}, {"field": "missing"}], []),
    ("$context", "context", [], SCOPES["context"]),
    ("$context.task", "context", [{"field": "task"}], {"token": "tok-1"}),
    ("$context.task.token", "context", [{"field": "task"}, {"field": "token"}], "tok-1"),
    ("$context.execution", "context", [{"field": "execution"}], {"name": "exec-1"}),
    ("$context.execution.name", "context", [{"field": "execution"}, {"field": "name"}], "exec-1"),
    ("$context.flow", "context", [{"field": "flow"}], {"name": "flow-1"}),
    ("$context.flow.name", "context", [{"field": "flow"}, {"field": "name"}], "flow-1"),
    ("$context.step", "context", [{"field": "step"}], {"name": "step-1", "eventId": 4001}),
    ("$context.step.name", "context", [{"field": "step"}, {"field": "name"}], "step-1"),
    ("$context.step.eventId", "context", [{"field": "step"}, {"field": "eventId"}], 4001),
]


@pytest.mark.parametrize(("text", "scope", "segments", "expected"), REFERENCES)
def test_references(text: str, scope: str, segments: list[dict[str, Any]], expected: Any) -> None:
    source = compile_source(text)
    multi = any("wildcard" in s for s in segments)
    assert source == {
        "ref": scope,
        "path": {"text": text, "segments": segments, "multi": multi},
    }
    assert json.loads(json.dumps(source)) == source
    assert evaluate_source(source, SCOPES) == expected


def test_reference_results_share_the_scope() -> None:
    """Flow data is never changed in place, so a mapping shares what it picks: its cost does
    not grow with the size of the value."""
    scopes: Scopes = {"input": {"a": {"b": [1]}}, "local": {}, "context": {}}
    assert evaluate_source(compile_source("$input.a"), scopes) is scopes["input"]["a"]
    constant = compile_source({"c": [2]})
    assert evaluate_source(constant, scopes) is constant["const"]


ERRORS: list[tuple[Any, str, int]] = [
    ("$inputs.x", "unknown reference '$inputs' (use $input, $local or $context)", 6),
    ("$locals", "unknown reference '$locals' (use $input, $local or $context)", 6),
    ("$contextual", "unknown reference '$contextual' (use $input, $local or $context)", 8),
    ("$input a", "unexpected ' ' after '$input'", 6),
    ("$input.a[", "invalid JSONPath '$input.a[': unexpected end of path", 9),
    ("$input.a]", "invalid JSONPath '$input.a]': unexpected ']'", 8),
    ("$local..", "invalid JSONPath '$local..': unexpected end of path", 8),
    ("$local.", "invalid JSONPath '$local.': unexpected end of path", 7),
    (
        "$input[0,1]",
        "invalid JSONPath '$input[0,1]': a list of several indexes is not supported",
        8,
    ),
    (
        "$context.foo",
        "unknown context field '$context.foo' "
        "(known: task.token, execution.name, flow.name, step.name, step.eventId)",
        9,
    ),
    (
        "$context.task.foo",
        "unknown context field '$context.task.foo' "
        "(known: task.token, execution.name, flow.name, step.name, step.eventId)",
        14,
    ),
    (
        "$context.execution.input",
        "unknown context field '$context.execution.input' "
        "(known: task.token, execution.name, flow.name, step.name, step.eventId)",
        19,
    ),
    (
        "$context[0]",
        "unknown context field '$context[0]' "
        "(known: task.token, execution.name, flow.name, step.name, step.eventId)",
        8,
    ),
    (
        "$context.task.token.x",
        "unknown context field '$context.task.token.x' "
        "(known: task.token, execution.name, flow.name, step.name, step.eventId)",
        20,
    ),
    (datetime.date(2024, 1, 1), "a constant must be JSON, not a date (quote it if it is text)", 0),
    ({1: "a"}, "a constant object must have string keys", 0),
    (float("nan"), "a constant must be a finite number, not nan", 0),
]


@pytest.mark.parametrize(("value", "message", "column"), ERRORS)
def test_source_errors(value: Any, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_source(value)
    assert caught.value.message == message
    assert caught.value.column == column


def test_evaluate_mappings_in_order_with_later_targets_winning() -> None:
    mappings: list[Mapping] = [
        {"target": "x", "source": compile_source("$input.a.b")},
        {"target": "a.b", "source": compile_source("$input.n")},
        {"target": "missing", "source": compile_source("$input.nope")},
        {"target": "names", "source": compile_source("$local[*].name")},
        {"target": "token", "source": compile_source("$context.task.token")},
        {"target": "x", "source": compile_source("second")},
        {"target": "const", "source": compile_source({"k": [1]})},
    ]
    result = evaluate_mappings(mappings, SCOPES)
    assert result == {
        "x": "second",
        "a.b": 0,
        "missing": None,
        "names": ["A", "B", "C"],
        "token": "tok-1",
        "const": {"k": [1]},
    }
    assert list(result) == ["x", "a.b", "missing", "names", "token", "const"]


def test_fdl_doc_examples() -> None:
    """Parallel: `$local[*].result`; foreach: `names <- $local[*].name` (FDL sections 2.7, 2.8)."""
    parallel: Scopes = {
        "input": {},
        "local": [{"result": "pass1"}, {"result": "pass2"}],
        "context": {},
    }
    mapping: list[Mapping] = [{"target": "results", "source": compile_source("$local[*].result")}]
    assert evaluate_mappings(mapping, parallel) == {"results": ["pass1", "pass2"]}

    foreach: Scopes = {
        "input": {"names": ["a", "b", "c"]},
        "local": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
        "context": {},
    }
    mapping = [{"target": "names", "source": compile_source("$local[*].name")}]
    assert evaluate_mappings(mapping, foreach) == {"names": ["A", "B", "C"]}


def test_empty_mappings_give_an_empty_object() -> None:
    assert evaluate_mappings([], SCOPES) == {}
