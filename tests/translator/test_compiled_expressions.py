"""Conditions and mappings compiled once (`condition_judge`, `MappingsPlan`, `path_reader`) give
exactly what the tree-walking evaluators give, for any data: the interpreter uses the compiled
forms in loops, and an execution must see the same answers either way."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.expressions import (
    MappingsPlan,
    Scopes,
    compile_source,
    condition_judge,
    evaluate_condition,
    evaluate_mappings,
    evaluate_path,
    parse_condition,
    parse_path,
    path_reader,
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-3, 3, allow_nan=False)
    | st.sampled_from(["", "1", "2.0", "true", "a", "b"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4)
    ),
    max_leaves=12,
)
DATA = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), VALUES, max_size=4) | VALUES

CONDITIONS = [
    "$.a == 1",
    "$.a != 1",
    '$.a == "1"',
    "$.a.b > 0",
    "$.a <= 2.5",
    "$.a <= 2",
    "$.a >= -1",
    "$.a < 1",
    "$.a > -2",
    '$.b >= "a"',
    "$.c < $.d",
    "$.a == true",
    "$.a == null",
    "$.a",
    "!$.b",
    "$.a && $.b.c",
    "$.a == 1 && $.b == 2 && $.c == 0",
    '$.a < 2 && $.b != "a" && $.c >= 0.5',
    '$.a == "1" && $.b.c == 2',
    "$.a == 1 || $.b != 2 || !($.c > 1)",
    "($.a || $.b) && !$.c",
    "$.a[0] == 1",
    "$.a[*] == 1",
    "$.a.b.c.d == 3",
    "1 == 1",
    '"x"',
    "0",
    "$.a == $.b",
]
PATHS = ["$", "$.a", "$.a.b", "$.a.b.c", "$.a[0]", "$.a[*]", "$..b", "$.a[?(@.b == 1)]"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CONDITIONS), DATA)
def test_a_compiled_condition_judges_as_the_tree_does(text: str, data: Any) -> None:
    condition = parse_condition(text)
    assert condition_judge(condition)(data) is evaluate_condition(condition, data)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PATHS), DATA)
def test_a_path_reader_reads_as_the_path_does(text: str, data: Any) -> None:
    path = parse_path(text)
    assert path_reader(path)(data) == evaluate_path(path, data)


def test_strict_comparisons_of_old_graphs_stay_strict() -> None:
    """Graphs compiled before coercion lack the `coerce` flag and compare strictly."""
    condition = parse_condition('$.a == "1"')
    condition.pop("coerce")  # type: ignore[misc]
    for data in ({"a": 1}, {"a": "1"}, {"a": True}, {"a": None}):
        assert condition_judge(condition)(data) is evaluate_condition(condition, data)


def test_a_malformed_condition_fails_when_judged_as_before() -> None:
    broken: Any = {"cmp": "==", "left": {"path": {"text": "$.a"}}, "right": {"lit": 1}}
    judge = condition_judge(broken)  # compiling does not fail
    try:
        evaluate_condition(broken, {"a": 1})
    except KeyError as expected:
        try:
            judge({"a": 1})
        except KeyError as error:
            assert error.args == expected.args
        else:
            raise AssertionError("the compiled judge did not fail")


SOURCES = ["$input.a", "$input.a.b", "$local", "$local.c", "$context.step.name", 3, "text", None]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), st.sampled_from(SOURCES)), max_size=5),
    DATA,
    DATA,
)
def test_a_mappings_plan_maps_as_the_list_does(
    pairs: list[tuple[str, Any]], input_value: Any, local: Any
) -> None:
    mappings: Any = [{"target": t, "source": compile_source(s)} for t, s in pairs]
    context = {"step": {"name": "s", "eventId": 3}}
    expected = evaluate_mappings(mappings, Scopes(input=input_value, local=local, context=context))
    plan = MappingsPlan(mappings)
    reads = any(s == "$context.step.name" for _, s in pairs)
    assert plan.reads_context is reads
    for _ in range(3):  # the first use, the one that compiles, and one after
        got = plan.evaluate(input_value, local, context if reads else None)
        assert got == expected
        assert list(got) == list(expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(SOURCES)), max_size=3),
    DATA,
    DATA,
)
def test_a_plan_of_constants_shares_one_object_when_asked(
    pairs: list[tuple[str, Any]], input_value: Any, local: Any
) -> None:
    """Lean runs (worker/interpreter/sizes.py LeanSizes) share the object of a list of
    constants; other lists, and plans not asked to share, give a new object each time."""
    mappings: Any = [{"target": t, "source": compile_source(s)} for t, s in pairs]
    context = {"step": {"name": "s", "eventId": 3}}
    expected = evaluate_mappings(mappings, Scopes(input=input_value, local=local, context=context))
    constants = all("const" in mapping["source"] for mapping in mappings)
    for share in (False, True):
        plan = MappingsPlan(mappings, share)
        got = [plan.evaluate(input_value, local, context) for _ in range(4)]
        assert all(value == expected and list(value) == list(expected) for value in got)
        shared = got[1] is got[2] is got[3]  # the uses after the one that compiles
        assert shared is (share and constants)


EDGES = [-2, -1, 0, 1, 2, 2.5, "1", "2", "a", "", True, False, None, [1], {"b": 1, "c": 0}]


def test_compiled_conditions_on_the_edges() -> None:
    """Every condition against values at and around its literals, each of every type."""
    for text in CONDITIONS:
        condition = parse_condition(text)
        judge = condition_judge(condition)
        for a in EDGES:
            for b in (None, 2, "a", {"c": 1}):
                data = {"a": a, "b": b, "c": a, "d": b}
                assert judge(data) is evaluate_condition(condition, data), (text, data)
