"""Property tests: whatever the input, the translator answers with a graph or diagnostics.

Random YAML documents, FDL-shaped random documents, and random mutations of the example flows
must never make it raise anything but FlowValidationError, and every graph it does produce
must survive a JSON round trip unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator import FlowValidationError, compile_text, validate_text

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*/flow*.yaml"))
EXAMPLE_DATA = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES]

FDL_WORDS = [
    "version", "type", "steps", "name", "task", "pass", "wait", "choice", "succeed", "fail",
    "parallel", "foreach", "branches", "choices", "default", "condition", "goto", "end",
    "resourceArn", "pattern", "retry", "catch", "errors", "inputMappings", "outputMappings",
    "errorMappings", "target", "source", "iterationMapping", "collection", "item", "index",
    "duration", "timestamp", "serviceParams", "timeoutSeconds", "maxAttempts", "v1", "flow",
    "$input.a", "$local[*].x", "$context.task.token", "$.a == 1", "acs:fc:::services/s/functions/f",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(FDL_WORDS),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FDL_WORDS) | st.text(max_size=6), inner, max_size=5),
    ),
    max_leaves=25,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_translates_or_rejects(text: str) -> None:
    result = validate_text(text, "fuzz.yaml")
    try:
        graph = compile_text(text, "fuzz.yaml")
    except FlowValidationError as exc:
        assert not result.ok
        assert exc.errors == result.errors
        return
    assert result.ok
    assert json.loads(json.dumps(graph)) == graph


@SETTINGS
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    assert_translates_or_rejects(text)


@SETTINGS
@given(json_values)
def test_random_yaml_documents(data: Any) -> None:
    assert_translates_or_rejects(yaml.safe_dump(data))


@SETTINGS
@given(
    st.fixed_dictionaries(
        {"version": st.sampled_from(["v1", "v1beta1", "v2"]), "type": st.just("flow")},
        optional={"steps": st.lists(st.dictionaries(st.sampled_from(FDL_WORDS), json_values))},
    )
)
def test_fdl_shaped_documents(data: dict[str, Any]) -> None:
    assert_translates_or_rejects(yaml.safe_dump(data))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(node) if isinstance(node, dict) else list(node)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, value, delete)
    return copy


@SETTINGS
@given(st.data())
def test_mutated_examples(data: st.DataObject) -> None:
    document = data.draw(st.sampled_from(EXAMPLE_DATA))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        delete = bool(path) and data.draw(st.booleans())
        document = _replace(document, path, data.draw(json_values), delete)
    assert_translates_or_rejects(yaml.safe_dump(document, sort_keys=False))


@SETTINGS
@given(st.data())
def test_text_edits_of_examples(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(EXAMPLES)).read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(alphabet=":-[]{}$.'\"\n #&*!|>", max_size=5))
    assert_translates_or_rejects(text[:at] + insert + text[at + cut :])


def test_there_are_examples_to_mutate() -> None:
    assert len(EXAMPLES) >= 8
