"""JSONPath: every supported form compiles to the documented segments and evaluates safely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from translator.errors import ExpressionError
from translator.expressions import compare, evaluate_path, json_equal, parse_path

PARSE_CASES: list[tuple[str, list[dict[str, Any]], bool]] = [
    ("$", [], False),
    ("$.a.b", [{"field": "a"}, {"field": "b"}], False),
    ("$.a[0]", [{"field": "a"}, {"index": 0}], False),
    ("$.a[-1]", [{"field": "a"}, {"index": -1}], False),
    ("$['odd key']", [{"field": "odd key"}], False),
    ('$["odd key"]', [{"field": "odd key"}], False),
    ("$.a['b.c']", [{"field": "a"}, {"field": "b.c"}], False),
    ("$.video-key", [{"field": "video-key"}], False),
    ("$.reserve_flight_txnID", [{"field": "reserve_flight_txnID"}], False),
    ("$.true", [{"field": "true"}], False),
    ("$[0]", [{"index": 0}], False),
    (
        "$.events[0].oss.object.key",
        [
            {"field": "events"},
            {"index": 0},
            {"field": "oss"},
            {"field": "object"},
            {"field": "key"},
        ],
        False,
    ),
    ("$[*].name", [{"wildcard": True}, {"field": "name"}], True),
    ("$.a.*", [{"field": "a"}, {"wildcard": True}], True),
    (
        "$.items[*].parts[*]",
        [{"field": "items"}, {"wildcard": True}, {"field": "parts"}, {"wildcard": True}],
        True,
    ),
    ("$.a[1:3]", [{"field": "a"}, {"slice": [1, 3, None]}], True),
    ("$.a[::2]", [{"field": "a"}, {"slice": [None, None, 2]}], True),
    ("$.a[-2:]", [{"field": "a"}, {"slice": [-2, None, None]}], True),
    ("$..name", [{"descend": True}, {"field": "name"}], True),
    ("$.a..b", [{"field": "a"}, {"descend": True}, {"field": "b"}], True),
    (
        "$.items[?(@.ok == true)].id",
        [
            {"field": "items"},
            {"filter": [{"path": [{"field": "ok"}], "op": "==", "value": True, "coerce": True}]},
            {"field": "id"},
        ],
        True,
    ),
    (
        '$.items[?(@.price < 10 & @.kind == "x")]',
        [
            {"field": "items"},
            {
                "filter": [
                    {"path": [{"field": "price"}], "op": "<", "value": 10, "coerce": True},
                    {"path": [{"field": "kind"}], "op": "==", "value": "x", "coerce": True},
                ]
            },
        ],
        True,
    ),
    (
        "$.a[?(@.x.y != 'q' && @[0] >= -1.5)]",
        [
            {"field": "a"},
            {
                "filter": [
                    {
                        "path": [{"field": "x"}, {"field": "y"}],
                        "op": "!=",
                        "value": "q",
                        "coerce": True,
                    },
                    {"path": [{"index": 0}], "op": ">=", "value": -1.5, "coerce": True},
                ]
            },
        ],
        True,
    ),
    (
        "$.a[?(@.x)]",
        [{"field": "a"}, {"filter": [{"path": [{"field": "x"}], "op": "exists", "value": None}]}],
        True,
    ),
    (
        "$.a[?(@ > 2)]",
        [{"field": "a"}, {"filter": [{"path": [], "op": ">", "value": 2, "coerce": True}]}],
        True,
    ),
    (
        "$.a[?(@.x <= null)]",
        [
            {"field": "a"},
            {"filter": [{"path": [{"field": "x"}], "op": "<=", "value": None, "coerce": True}]},
        ],
        True,
    ),
    (
        "$..[?(@.k)]",
        [
            {"descend": True},
            {"filter": [{"path": [{"field": "k"}], "op": "exists", "value": None}]},
        ],
        True,
    ),
]


@pytest.mark.parametrize(("text", "segments", "multi"), PARSE_CASES)
def test_parse_path_segments(text: str, segments: list[dict[str, Any]], multi: bool) -> None:
    spec = parse_path(text)
    assert spec == {"text": text, "segments": segments, "multi": multi}
    assert json.loads(json.dumps(spec)) == spec


DOC = {
    "a": {"b": 1, "c": [10, 20, 30, 40]},
    "items": [
        {"id": 1, "ok": True, "price": 5, "kind": "x", "parts": [1, 2]},
        {"id": 2, "ok": False, "price": 50, "kind": "x", "parts": [3]},
        {"id": 3, "ok": 1, "price": 7, "kind": "y"},
        {"id": 4, "price": 5.0, "kind": "x", "parts": []},
    ],
    "obj": {"p": {"k": 1}, "q": {"k": 2}, "r": 3},
    "video-key": "v.mp4",
    "odd key": "odd",
    "nul": None,
    "s": "text",
}

EVAL_CASES: list[tuple[str, Any, Any]] = [
    # present
    ("$", {"x": 1}, {"x": 1}),
    ("$.a.b", DOC, 1),
    ("$.a.c[0]", DOC, 10),
    ("$.a.c[-1]", DOC, 40),
    ("$.a.c[-4]", DOC, 10),
    ("$['odd key']", DOC, "odd"),
    ("$.video-key", DOC, "v.mp4"),
    ("$.nul", DOC, None),
    ("$[1]", ["x", "y"], "y"),
    # missing or wrong type: null, never an exception
    ("$.nope", DOC, None),
    ("$.a.nope.deeper", DOC, None),
    ("$.a.c[4]", DOC, None),
    ("$.a.c[-5]", DOC, None),
    ("$.a.b.c", DOC, None),
    ("$.a[0]", DOC, None),
    ("$.s.x", DOC, None),
    ("$.s[0]", DOC, None),
    ("$.x", None, None),
    ("$.x", [1, 2], None),
    ("$[0]", {"0": "key, not index"}, None),
    ("$['0']", {"0": "key"}, "key"),
    # slices
    ("$.a.c[1:3]", DOC, [20, 30]),
    ("$.a.c[-2:]", DOC, [30, 40]),
    ("$.a.c[::2]", DOC, [10, 30]),
    ("$.a.c[::-1]", DOC, [40, 30, 20, 10]),
    ("$.a.c[5:9]", DOC, []),
    ("$.a.b[0:1]", DOC, []),
    # wildcards over lists and objects, flattening
    ("$.a.c[*]", DOC, [10, 20, 30, 40]),
    ("$.obj[*]", DOC, [{"k": 1}, {"k": 2}, 3]),
    ("$.obj.*.k", DOC, [1, 2]),
    ("$.items[*].id", DOC, [1, 2, 3, 4]),
    ("$.items[*].parts", DOC, [[1, 2], [3], []]),
    ("$.items[*].parts[*]", DOC, [1, 2, 3]),
    ("$[*].parts[*]", [{"parts": [1, 2]}, {"parts": [3]}], [1, 2, 3]),
    ("$[*].result", [{"result": "pass1"}, {"result": "pass2"}], ["pass1", "pass2"]),
    ("$[*]", "scalar", []),
    ("$.nope[*]", DOC, []),
    ("$[*]", [], []),
    # descend: the node itself and every descendant, document order
    ("$..k", DOC, [1, 2]),
    ("$..b", {"b": 0, "x": [{"b": 1, "y": {"b": 2}}]}, [0, 1, 2]),
    ("$.a..b", DOC, [1]),
    ("$..nothing", DOC, []),
    # filters: every op, on list elements and object values, strict typing
    ("$.items[?(@.ok == true)].id", DOC, [1]),
    ("$.items[?(@.ok != true)].id", DOC, [2, 3, 4]),
    ("$.items[?(@.price < 7)].id", DOC, [1, 4]),
    ("$.items[?(@.price <= 7)].id", DOC, [1, 3, 4]),
    ("$.items[?(@.price > 7)].id", DOC, [2]),
    ("$.items[?(@.price >= 7)].id", DOC, [2, 3]),
    ("$.items[?(@.price == 5)].id", DOC, [1, 4]),
    ('$.items[?(@.price < 10 & @.kind == "x")].id', DOC, [1, 4]),
    ("$.items[?(@.kind == 'y')].id", DOC, [3]),
    ("$.items[?(@.ok)].id", DOC, [1, 2, 3]),
    ("$.items[?(@.ok == null)].id", DOC, [4]),
    ("$.items[?(@.kind > 'x')].id", DOC, [3]),
    ("$.items[?(@.kind > 1)].id", DOC, []),
    ("$.items[?(@.parts[0] == 3)].id", DOC, [2]),
    ("$.obj[?(@.k >= 2)]", DOC, [{"k": 2}]),
    ("$.a.c[?(@ > 25)]", DOC, [30, 40]),
    ("$.s[?(@ == 1)]", DOC, []),
    ("$..[?(@.k == 1)]", DOC, [{"k": 1}]),
]


@pytest.mark.parametrize(("text", "data", "expected"), EVAL_CASES)
def test_evaluate_path(text: str, data: Any, expected: Any) -> None:
    spec = parse_path(text)
    result = evaluate_path(spec, data)
    assert result == expected
    assert type(result) is type(expected)
    assert evaluate_path(json.loads(json.dumps(spec)), data) == expected


ERROR_CASES: list[tuple[str, str, int]] = [
    ("", "invalid JSONPath '': a path must start with '$'", 0),
    ("a.b", "invalid JSONPath 'a.b': a path must start with '$'", 0),
    ("$a", "invalid JSONPath '$a': unexpected 'a'", 1),
    ("$.a[", "invalid JSONPath '$.a[': unexpected end of path", 4),
    ("$.a]", "invalid JSONPath '$.a]': unexpected ']'", 3),
    ("$..", "invalid JSONPath '$..': unexpected end of path", 3),
    ("$.", "invalid JSONPath '$.': unexpected end of path", 2),
    ("$['a", "invalid JSONPath '$['a': unterminated string", 4),
    ("$.a#", "invalid JSONPath '$.a#': unexpected character '#'", 3),
    ("$.a\n]", "invalid JSONPath '$.a\n]': unexpected ']'", 4),
    ("$.a[0,1]", "invalid JSONPath '$.a[0,1]': a list of several indexes is not supported", 5),
    ("$['a','b']", "invalid JSONPath '$['a','b']': a list of several keys is not supported", 5),
    ("$.a + 1", "invalid JSONPath '$.a + 1': arithmetic is not supported", 0),
    ("$.a.`len`", "invalid JSONPath '$.a.`len`': named operators (`...`) are not supported", 4),
    ("$.@", "invalid JSONPath '$.@': '@' may only start a filter test", 2),
    (
        "$.a[?(@.x || @.y)]",
        "invalid JSONPath '$.a[?(@.x || @.y)]': '||' inside a filter is not supported",
        10,
    ),
    (
        "$.a[?(!@.x)]",
        "invalid JSONPath '$.a[?(!@.x)]': the filter operator '!' is not supported",
        6,
    ),
    (
        "$.a[?(@.x =~ 'a')]",
        "invalid JSONPath '$.a[?(@.x =~ 'a')]': the filter operator '=~' is not supported",
        10,
    ),
    (
        "$.a[?(@.x > $.y)]",
        "invalid JSONPath '$.a[?(@.x > $.y)]': a filter may only compare with a literal value",
        12,
    ),
    (
        "$.a[?(@.x == foo)]",
        "invalid JSONPath '$.a[?(@.x == foo)]': compare with a quoted string, not a bare word",
        4,
    ),
    (
        "$.a[?($.x == 1)]",
        "invalid JSONPath '$.a[?($.x == 1)]': a filter test must start with '@'",
        4,
    ),
    ("$.a.$", "invalid JSONPath '$.a.$': '$' may only start a path", 4),
    (
        "$.a[?(@[*] == 1)]",
        "invalid JSONPath '$.a[?(@[*] == 1)]': "
        "a filter test may only use keys and indexes after '@'",
        6,
    ),
]


@pytest.mark.parametrize(("text", "message", "column"), ERROR_CASES)
def test_parse_path_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_path(text)
    assert caught.value.message == message
    assert caught.value.column == column


def test_shown_text_and_offset_for_embedding_callers() -> None:
    spec = parse_path("$.a", shown="$input.a")
    assert spec["text"] == "$input.a"
    with pytest.raises(ExpressionError) as caught:
        parse_path("$.a]", shown="$input.a]", offset=5)
    assert caught.value.message == "invalid JSONPath '$input.a]': unexpected ']'"
    assert caught.value.column == 8


def test_deep_paths_do_not_hit_the_recursion_limit() -> None:
    text = "$" + ".a" * 3000
    spec = parse_path(text)
    data: Any = 1
    for _ in range(3000):
        data = {"a": data}
    assert evaluate_path(spec, data) == 1


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("==", 1, 1.0, True),
        ("==", True, 1, False),
        ("==", None, None, True),
        ("==", [1, {"a": True}], [1.0, {"a": True}], True),
        ("==", [1, {"a": True}], [1, {"a": 1}], False),
        ("==", {"a": 1}, {"b": 1}, False),
        ("==", [1], [1, 2], False),
        ("==", [], {}, False),
        ("!=", None, "x", True),
        ("!=", 0, False, True),
        ("<", 1, 2.5, True),
        ("<", "a", "b", True),
        ("<", "a", 1, False),
        ("<", None, 1, False),
        ("<", False, True, False),
        ("<=", 2, 2, True),
        (">", 3, 2, True),
        (">", [2], [1], False),
        (">=", "b", "b", True),
    ],
)
def test_compare_is_strict_without_strings(op: str, left: Any, right: Any, expected: bool) -> None:
    assert compare(op, left, right) is expected
    if op == "==":
        assert json_equal(left, right) is expected


def test_evaluation_does_not_import_jsonpath_ng() -> None:
    """Workflow code evaluates compiled paths; the parser library must stay out of it."""
    spec = json.dumps(parse_path("$.items[?(@.ok == true)].id"))
    script = (
        "import json, sys\n"
        "from translator.expressions import evaluate_path, evaluate_condition\n"
        f"spec = json.loads({spec!r})\n"
        "assert evaluate_path(spec, {'items': [{'ok': True, 'id': 7}]}) == [7]\n"
        "assert not [m for m in sys.modules if m.startswith('jsonpath_ng')]\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root)
