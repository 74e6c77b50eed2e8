"""The one name grammar: each kind's rule, the names the product generates, and the encoders
built on names (workflow ids, task tokens, visibility queries) staying unambiguous."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from api.services.scheduled_start import execution_name
from cli.run import _names
from tests.name_strategies import names, not_names
from translator import names as grammar
from translator.flow_files import exact_flow_name_from_file, flow_name_from_file
from translator.names import InvalidName, sync_execution_name
from translator.resources import ResourceError, parse_resource_arn
from worker.callbacks.tokens import InvalidTaskToken, TaskToken
from worker.naming import split_workflow_id, workflow_id
from worker.visibility_query import UnsafeQueryValue, literal

UUID_NAME = "0f9e8d7c-6b5a-4c3d-9e8f-7a6b5c4d3e2f"


@pytest.mark.parametrize(
    "name",
    [
        UUID_NAME,  # what StartExecution and `fnf run` generate, leading digit
        "69f71f89-3329-42c4-b508-b41617432db1",  # a name Alibaba's service generated
        "_x",
        "a",
        "9",
        "a" * 128,
        f"my-run:{UUID_NAME}",  # StartSyncExecution's `{ExecutionName}:{UUID}`
        f"{'b' * 128}:{UUID_NAME}",
        "scheduled-exec-20200616T151929Z-" + UUID_NAME,
    ],
)
def test_valid_execution_names(name: str) -> None:
    assert grammar.EXECUTION.check(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-a",  # a leading '-' reads as an option, and nothing generates one
        "a" * 129,
        "城市",
        "é",
        "a b",
        "a/b",
        "a#b",
        'a"b',
        "a\\b",
        "a\n",
        "a:b",  # ':' only before StartSyncExecution's UUID
        f"a:{UUID_NAME}:{UUID_NAME}",
        f":{UUID_NAME}",
        f"a:{UUID_NAME}x",
    ],
)
def test_invalid_execution_names(name: str) -> None:
    with pytest.raises(InvalidName, match=r"ExecutionName .* is invalid: use 1-128"):
        grammar.EXECUTION.check(name, "ExecutionName")


@pytest.mark.parametrize("name", ["1flow", UUID_NAME, "-f", "a:b", "a" * 129, "流程"])
def test_flow_names_keep_the_documented_first_character(name: str) -> None:
    assert not grammar.FLOW.is_valid(name)
    assert not grammar.SCHEDULE.is_valid(name)
    assert not grammar.ALIAS.is_valid(name)


def test_mns_names_follow_mns_rules() -> None:
    for kind in (grammar.QUEUE, grammar.TOPIC, grammar.SUBSCRIPTION):
        assert kind.is_valid("1-queue") and kind.is_valid("q" * 256)
        for bad in ("-q", "q_1", "q" * 257, "q:1", "q/1", "队列"):
            assert not kind.is_valid(bad), (kind.kind, bad)


def test_versions_are_numbers_from_one() -> None:
    assert grammar.FLOW_VERSION.is_valid("1") and grammar.FLOW_VERSION.is_valid("42")
    for bad in ("0", "01", "-1", "v1", "1.0", ""):
        assert not grammar.FLOW_VERSION.is_valid(bad)


def test_generated_names_are_valid() -> None:
    """Every name the product makes fits the grammar it is read back with."""
    for _ in range(64):
        assert grammar.EXECUTION.is_valid(str(uuid.uuid4()))  # StartExecution, fnf run, sub-flows
    fired = execution_name(datetime(2020, 6, 16, 15, 19, 29, tzinfo=UTC), uuid.uuid4())
    assert grammar.EXECUTION_STEM.is_valid(fired)
    synced = sync_execution_name("a" * 128, str(uuid.uuid4()))
    assert grammar.EXECUTION.is_valid(synced) and not grammar.EXECUTION_STEM.is_valid(synced)
    with pytest.raises(InvalidName):
        sync_execution_name(f"a:{UUID_NAME}", str(uuid.uuid4()))
    for _ in range(16):  # `fnf run` without --execution
        flow, execution = _names("orders", None)
        assert grammar.FLOW.is_valid(flow) and grammar.EXECUTION.is_valid(execution)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("orders.yaml", "orders"),
        ("2024-orders.yaml", "_2024-orders"),
        ("城市.yaml", "__"),
        ("my flow.v2.yaml", "my_flow_v2"),
        ("x" * 200 + ".yaml", "x" * 128),
    ],
)
def test_fnf_run_flow_names_from_file_names_are_valid(path: str, expected: str) -> None:
    named = flow_name_from_file(Path(path))
    assert named == expected and grammar.FLOW.is_valid(named)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("orders.yaml", "orders"), ("saga/flow.yaml", "saga"), ("_x-1.json", "_x-1")],
)
def test_flow_commands_take_a_file_name_that_is_a_flow_name(path: str, expected: str) -> None:
    assert exact_flow_name_from_file(Path(path)) == expected


@pytest.mark.parametrize(
    "path", ["城市.yaml", "my flow.yaml", "2024-orders.yaml", "a.b.yaml", "x" * 129 + ".yaml"]
)
def test_flow_commands_refuse_a_file_name_they_would_have_to_change(path: str) -> None:
    """Changing it would give several files one flow name (`城市` and `订单` are both `__`)."""
    with pytest.raises(InvalidName, match="--name"):
        exact_flow_name_from_file(Path(path))


@given(st.sampled_from(grammar.ALL).flatmap(lambda kind: st.tuples(st.just(kind), names(kind))))
@settings(max_examples=300)
def test_generated_strategy_stays_inside_each_grammar(kind_and_name: tuple[object, str]) -> None:
    kind, name = kind_and_name
    assert isinstance(kind, grammar.NameGrammar)
    assert kind.is_valid(name)
    assert all(kind.may_start(name[:cut]) for cut in range(len(name) + 1))


@given(not_names(grammar.EXECUTION))
@settings(max_examples=200)
def test_anything_else_is_refused_with_the_rule(text: str) -> None:
    with pytest.raises(InvalidName, match="is invalid: use"):
        grammar.EXECUTION.check(text)


@given(names(grammar.FLOW), names(grammar.EXECUTION), names(grammar.FLOW), names(grammar.EXECUTION))
@settings(max_examples=300)
@example("a", "b/c", "a/b", "c")  # the pair a '/' in a name would confuse
def test_workflow_ids_are_one_to_one(
    flow: str, execution: str, flow2: str, execution2: str
) -> None:
    if "/" in execution:
        with pytest.raises(InvalidName):
            workflow_id(flow, execution)
        return
    built = workflow_id(flow, execution)
    assert split_workflow_id(built) == (flow, execution)
    if (flow, execution) != (flow2, execution2):
        assert workflow_id(flow2, execution2) != built


def test_workflow_ids_refuse_names_outside_the_grammar() -> None:
    for flow, execution in [("a/b", "c"), ("a", "b/c"), ("", "x"), ("1a", "x"), ("a", "")]:
        with pytest.raises(InvalidName):
            workflow_id(flow, execution)
    assert split_workflow_id("fnf-flow:orders") is None
    assert split_workflow_id("orders/a b") is None


@given(names(grammar.FLOW), names(grammar.EXECUTION), st.integers(1, 10**9))
@settings(max_examples=200)
@example("f", UUID_NAME, 2)
@example("f", f"sync:{UUID_NAME}", 2)
def test_task_tokens_round_trip_for_every_name(flow: str, execution: str, event_id: int) -> None:
    token = TaskToken(flow, execution, event_id, uuid.uuid4().hex)
    assert TaskToken.decode(token.encode()) == token


@pytest.mark.parametrize("execution", ["a b", "-x", "城", "a#b"])
def test_task_tokens_with_names_outside_the_grammar_are_refused(execution: str) -> None:
    forged = TaskToken("flow", execution, 2, uuid.uuid4().hex).encode()
    with pytest.raises(InvalidTaskToken, match="unknown format"):
        TaskToken.decode(forged)


@given(st.sampled_from(grammar.ALL).flatmap(names))
@settings(max_examples=200)
def test_every_name_is_a_safe_query_literal(name: str) -> None:
    assert literal(name) == f'"{name}"'


@pytest.mark.parametrize(
    "value", ['x"', 'zzz" OR FnFFlowName = "other', "a\\", "it's", "a b", "(", "城", "\n"]
)
def test_query_literals_refuse_what_would_need_escaping(value: str) -> None:
    with pytest.raises(UnsafeQueryValue):
        literal(value)
    assert not grammar.EXECUTION.may_start(value)


@pytest.mark.parametrize(
    "arn",
    [
        "acs:mns:::/queues/q_1/messages",
        "acs:mns:::/queues/-q/messages",
        "acs:mns:::/topics/" + "t" * 257 + "/messages",
        "acs:fnf:::flow/1child",
        "acs:fc:::services/1svc/functions/f",
    ],
)
def test_resource_arns_use_the_same_grammar(arn: str) -> None:
    with pytest.raises(ResourceError, match=r"name '[^']*' is invalid: use 1-"):
        parse_resource_arn(arn)
