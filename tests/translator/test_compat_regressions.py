"""Flows that validated before a grammar change keep validating and reading the same data:
`.0` member names (outside RFC 9535's shorthand), `choices:` left null; and warnings for paths
that read what their author may not mean (invisible spaces, mixed-type filter comparisons)."""

from __future__ import annotations

import pytest

from translator import compile_text, validate_text
from translator.expressions import (
    evaluate_condition,
    evaluate_path,
    parse_condition,
    parse_path,
    path_notes,
)

ITEM_ZERO = """\
version: v1
type: flow
steps:
  - type: pass
    name: P
    inputMappings:
      - target: first
        source: $input.items.0
"""

NULL_CHOICES = """\
version: v1
type: flow
steps:
  - type: choice
    name: C
    choices:
    default:
      goto: D
  - type: pass
    name: D
"""


def _errors(text: str) -> list[str]:
    result = validate_text(text, "flow.yaml")
    return [d.message for d in result.diagnostics if d.severity == "error"]


def test_dot_digit_member_still_validates() -> None:
    """`$input.items.0` validated (and read the key "0") before the RFC 9535 change; a stored
    flow that used it can no longer be started after the upgrade."""
    assert _errors(ITEM_ZERO) == []


def test_default_only_choice_with_null_choices() -> None:
    """A generator that writes `choices:` with nothing after it emits the same default-only
    choice as one that leaves `choices` out; both should be accepted with the warning."""
    assert _errors(NULL_CHOICES) == []


def _warnings(text: str) -> list[str]:
    result = validate_text(text, "flow.yaml")
    return [d.message for d in result.diagnostics if d.severity == "warning"]


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("$.items.0", {"items": {"0": "k"}}, "k"),
        ("$.items.0", {"items": ["first"]}, None),  # an array's element was never read so
        ("$.items.01", {"items": {"1": "one", "01": "zero-one"}}, "one"),  # the number's key
        ("$.a.0.b", {"a": {"0": {"b": 2}}}, 2),
        ("$..0", {"x": {"0": 3}}, [3]),
        ("$.a[?(@.0 == 1)]", {"a": [{"0": 1}, {"0": 2}]}, [{"0": 1}]),
    ],
)
def test_dot_digit_reads_what_it_read_before(text: str, data: object, expected: object) -> None:
    """Earlier releases (jsonpath_ng's number token) read `.<digits>` as the key spelled by
    the number, on objects only."""
    assert evaluate_path(parse_path(text), data) == expected
    assert path_notes(text)


def test_dot_digit_in_conditions_and_mappings_validates_with_a_warning() -> None:
    flow = ITEM_ZERO + CONDITION_ZERO
    assert _errors(flow) == []
    warned = [m for m in _warnings(flow) if "is not a JSONPath member name" in m]
    assert len(warned) == 2, _warnings(flow)
    condition = parse_condition("$.items.0 == 1")
    assert evaluate_condition(condition, {"items": {"0": 1}}) is True
    assert evaluate_condition(condition, {"items": [1]}) is False
    graph = compile_text(flow)
    assert graph["steps"][0]["inputMappings"][0]["source"]["path"]["segments"][-1] == {"field": "0"}


@pytest.mark.parametrize("written", ["choices:", "choices: null", "choices: ~", "choices: []"])
def test_null_choices_are_absent_choices(written: str) -> None:
    flow = NULL_CHOICES.replace("choices:", written)
    assert _errors(flow) == []
    assert any("has no choices" in m for m in _warnings(flow))
    graph = compile_text(flow)
    assert graph["steps"][0]["choices"] == []


@pytest.mark.parametrize("space", ["\u3000", "\u00a0", "\u200b", "\ufeff", "\u2003"])
def test_a_name_edged_by_an_invisible_space_warns(space: str) -> None:
    flow = INVISIBLE.format(space=space)
    assert _errors(flow) == []
    warned = [m for m in _warnings(flow) if "invisible space" in m]
    assert len(warned) == 3, _warnings(flow)  # the mapping, the condition, the prefix
    assert f"U+{ord(space):04X}" in warned[0]
    assert not [m for m in _warnings(INVISIBLE.format(space="")) if "invisible" in m]


def test_mixed_comparisons_inside_filters_warn_wherever_the_path_is() -> None:
    flow = FILTERS
    messages = [m for m in _warnings(flow) if "@." in m]
    assert any('@.b == "true"' in m for m in messages), messages  # a choice condition
    assert any('@.n > "5"' in m for m in messages), messages  # a foreach collection
    assert len(messages) == 3, messages  # and the mapping source's filter


CONDITION_ZERO = """\
  - type: choice
    name: C
    choices:
      - condition: $.items.0 == 1
        goto: D
    default:
      goto: D
  - type: pass
    name: D
"""

INVISIBLE = """\
version: v1
type: flow
steps:
  - type: pass
    name: P
    inputMappings:
      - target: city
        source: $input.城市{space}
  - type: choice
    name: C
    choices:
      - condition: $.城市{space} == "杭州" || $.{space}a == 1
        goto: D
    default:
      goto: D
  - type: pass
    name: D
"""

FILTERS = """\
version: v1
type: flow
steps:
  - type: pass
    name: P
    inputMappings:
      - target: found
        source: $input.a[?(@.flag == "false")]
  - type: choice
    name: C
    choices:
      - condition: $.a[?(@.b == "true")]
        goto: F
      - condition: $.a[?(@.c == "x")]
        goto: F
    default:
      goto: F
  - type: foreach
    name: F
    iterationMapping:
      collection: $.a[?(@.n > "5")]
      item: x
    steps:
      - type: pass
        name: In
"""
