"""A choice's compiled selector (worker/interpreter/plans.py `selector`) picks the option
ChoiceStep always picked, the first whose condition holds or else the default, for any input;
options testing one member against literals are found by a lookup that judges nothing when
the member has the literals' type (a loop's `$.d == 0`, `$.d == 1`, ... at every turn)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.expressions import condition_judge, evaluate_condition, parse_condition
from worker.interpreter.plans import plan_step, selector

CONDITIONS = [
    "$.a == 0",
    "$.a == 1",
    "$.a == 2",
    '$.a == "1"',
    '$.a == "x"',
    "$.a == 1.0",
    "$.a == true",
    "$.a > 1",
    "$.a.b == 1",
    "$.b == 1",
    '$.b == "x"',
    "$.a == 1 && $.b == 1",
    None,  # an option without a condition is never taken
]
MEMBERS = st.one_of(
    st.integers(-1, 3),
    st.sampled_from(["0", "1", "x", "", True, False, None, 1.0, 2.5, [1], {"b": 1}]),
)
DATA = st.fixed_dictionaries(
    {}, optional={"a": MEMBERS, "b": MEMBERS, "c": MEMBERS}
) | st.sampled_from([None, 1, "a", [{"a": 1}], True])


def _choice(texts: list[str | None], default: bool) -> dict[str, Any]:
    options = [
        {"condition": None if t is None else parse_condition(t), "steps": [], "goto": i}
        for i, t in enumerate(texts)
    ]
    node: dict[str, Any] = {
        "type": "choice",
        "name": "c",
        "inputMappings": None,
        "outputMappings": None,
        "choices": options,
    }
    if default:
        node["default"] = {"steps": [], "goto": None}
    return node


def _expected(node: dict[str, Any], data: Any) -> Any:
    for option in node["choices"]:
        condition = option["condition"]
        if condition is not None and evaluate_condition(condition, data):
            return option
    return node.get("default")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CONDITIONS), max_size=7), st.booleans(), DATA)
def test_the_selector_picks_as_the_options_are_judged(
    texts: list[str | None], default: bool, data: Any
) -> None:
    node: Any = _choice(texts, default)
    assert plan_step(node).select(data) is _expected(node, data)


def test_member_literals_are_looked_up_not_judged() -> None:
    node: Any = _choice(["$.d == 9", *(f"$.d == {k}" for k in range(9))], True)
    judged: list[int] = []

    def counted(index: int, judge: Callable[[Any], bool]) -> Callable[[Any], bool]:
        def holds(data: Any) -> bool:
            judged.append(index)
            return judge(data)

        return holds

    choices = tuple(
        (counted(i, condition_judge(option["condition"])), option)
        for i, option in enumerate(node["choices"])
    )
    select = selector(node, choices)
    for digit in range(10):
        assert select({"d": digit}) is _expected(node, {"d": digit})
    assert select({"d": 10}) is node["default"]
    assert judged == []  # every member had its literals' type
    for other in ("9", 9.0, True, None):  # another type: judged, "9" == 9 coerced
        assert select({"d": other}) is _expected(node, {"d": other})
    assert judged and judged[0] == 0
