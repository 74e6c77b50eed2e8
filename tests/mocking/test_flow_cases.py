"""`fnf test`'s runner in process, on the session's time-skipping server: the saga's mock
cases, failing expectations, missing mocks, callbacks, local activities, loops and timeouts.

Every case runs the real FnFFlow workflow and the real task ledger; only the call at the
bottom of the task activities answers from the mock file."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from translator import compile_text
from worker.functions import FunctionRegistry
from worker.mocking.model import MockFileError, check_against_flow, load_mocks, parse_mocks
from worker.mocking.runner import CaseResult, FlowTester, FlowUnderTest
from worker.mocking.step_check import check_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAGA = EXAMPLES / "saga"
SAGA_STEPS_ON_HOTEL_FAILURE = [
    "BuyTrainTicket",
    "ReserveFlight",
    "ReserveHotel",
    "CancelFlight",
    "CancelTrainTicket",
    "OrderFailed",
]


def flow_of(text: str, name: str = "mocked") -> FlowUnderTest:
    return FlowUnderTest(Path(f"{name}.yaml"), name, compile_text(text))


async def run_one(tester: FlowTester, flow: FlowUnderTest, mocks: dict[str, Any]) -> CaseResult:
    mock_file = parse_mocks({"cases": {"case": mocks}})
    [result] = await tester.run_file(flow, mock_file)
    return result


def times_of(result: CaseResult, kind: str, step: str) -> list[datetime]:
    return [
        datetime.fromisoformat(event["Time"].replace("Z", "+00:00"))
        for event in result.events
        if event["Type"] == kind and event["StepName"] == step
    ]


async def test_saga_cases_pass_in_seconds_despite_backoffs(tester: FlowTester) -> None:
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    started = time.monotonic()
    results = await tester.run_file(flow, load_mocks(SAGA / "mocks.yaml"))
    wall = time.monotonic() - started
    assert [(r.case, r.passed, r.status) for r in results] == [
        ("success", True, "Succeeded"),
        ("hotel-fails", True, "Failed"),
        ("train-fails", True, "Failed"),
    ], [r.failures for r in results]
    hotel = results[1]
    assert hotel.steps == SAGA_STEPS_ON_HOTEL_FAILURE
    assert hotel.calls["ReserveHotel"] == 4
    # The retries' backoffs (1 s, 2 s, 4 s) passed on Temporal's clock, not on the wall's.
    [entered] = times_of(hotel, "StepEntered", "ReserveHotel")
    [exited] = times_of(hotel, "StepExited", "ReserveHotel")
    assert (exited - entered).total_seconds() >= 7
    assert wall < 5, wall
    caught = [
        e for e in hotel.events if e["Type"] == "StepExited" and e["StepName"] == "ReserveHotel"
    ]
    detail = json.loads(caught[0]["EventDetail"])
    assert (detail["error"], detail["goto"], detail["retryCount"]) == (
        "FC.Unknown",
        "CancelFlight",
        3,
    )
    # The compensations received the transaction ids the mocked bookings returned.
    cancel = [
        e for e in hotel.events if e["Type"] == "StepEntered" and e["StepName"] == "CancelFlight"
    ]
    assert json.loads(cancel[0]["EventDetail"])["input"]["reserve_flight_txnID"] == "flight-1"


async def test_test_step_agrees_with_the_run(tester: FlowTester) -> None:
    """fnf test-step's decision for the hotel's error is what the execution did."""
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    mocks = load_mocks(SAGA / "mocks.yaml")
    [run] = await tester.run_file(flow, mocks, ["hotel-fails"])
    checked = check_step(
        flow.graph, "ReserveHotel", {}, {}, mocks.case_mocks("hotel-fails")["ReserveHotel"]
    )
    failed = [
        e for e in run.events if e["Type"] == "TaskFailed" and e["StepName"] == "ReserveHotel"
    ]
    assert len(checked.attempts) == len(failed) == 4
    assert checked.caught is not None and checked.next == run.steps[3] == "CancelFlight"


async def test_wrong_expectations_fail_with_clear_messages(tester: FlowTester) -> None:
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    mocks = load_mocks(SAGA / "mocks.yaml").model_dump(by_alias=True, exclude_unset=True)
    mocks["cases"]["hotel-fails"]["expect"] = {
        "status": "Succeeded",
        "steps": ["BuyTrainTicket", "ReserveFlight", "ReserveHotel", "OrderSucceeded"],
        "calls": {"ReserveHotel": 3},
        "error": "FC.Unknown",
        "output": {"reserve_hotel": "success"},
    }
    [result] = await tester.run_file(flow, parse_mocks(mocks), ["hotel-fails"])
    assert not result.passed
    assert result.failures == [
        "status: expected Succeeded, got Failed with : ",
        'output: expected {"reserve_hotel": "success"}, got null',
        "steps: expected BuyTrainTicket -> ReserveFlight -> ReserveHotel -> OrderSucceeded, "
        "got " + " -> ".join(SAGA_STEPS_ON_HOTEL_FAILURE),
        "error: expected 'FC.Unknown', got ''",
        "calls of ReserveHotel: expected 3, got 4",
    ]
    assert result.message().startswith("case 'hotel-fails': status: expected Succeeded")


async def test_a_task_without_mock_fails_the_case_naming_the_step(tester: FlowTester) -> None:
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    case = {"mocks": {"BuyTrainTicket": [{"return": {}}]}, "expect": {"status": "Failed"}}
    result = await run_one(tester, flow, case)
    # fnf.MockMissing is in no retry or catch of the saga: the execution fails there.
    assert result.failures == ["task step 'ReserveFlight' has no mock in this case"]
    assert (result.status, result.error) == ("Failed", "fnf.MockMissing")
    assert result.steps == ["BuyTrainTicket", "ReserveFlight"]


async def test_responses_run_out_fails_the_case(tester: FlowTester) -> None:
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    mocks = load_mocks(SAGA / "mocks.yaml").model_dump(by_alias=True, exclude_unset=True)
    mocks["cases"]["hotel-fails"]["mocks"]["ReserveHotel"] = [
        {"error": "FC.Unknown", "cause": "down", "times": 2}
    ]
    [result] = await tester.run_file(flow, parse_mocks(mocks), ["hotel-fails"])
    ran_out = (
        "task step 'ReserveHotel' was invoked 3 times but its mock lists 2 responses "
        "(add more, or `times:`)"
    )
    assert result.failures[0] == ran_out
    assert result.failures[1:] == [
        "steps: expected " + " -> ".join(SAGA_STEPS_ON_HOTEL_FAILURE) + ", got BuyTrainTicket "
        "-> ReserveFlight -> ReserveHotel",
        "calls of ReserveHotel: expected 4, got 3",
    ]
    assert (result.error, result.cause) == ("fnf.MockMissing", ran_out)


async def test_loop_visits_take_the_next_responses_and_waits_are_skipped(
    tester: FlowTester,
) -> None:
    flow_text = """
version: v1
type: flow
steps:
  - type: task
    name: Poll
    resourceArn: acs:fc:::services/s/functions/poll
  - type: choice
    name: Done
    choices:
      - condition: $.status == "done"
        goto: Finish
    default:
      goto: Nap
  - type: wait
    name: Nap
    duration: 3600
  - type: choice
    name: Back
    choices: []
    default:
      goto: Poll
  - type: pass
    name: Finish
"""
    case = {
        "mocks": {
            "Poll": [{"return": {"status": "running"}, "times": 2}, {"return": {"status": "done"}}]
        },
        "expect": {
            "status": "Succeeded",
            "calls": {"Poll": 3},
            "steps": ["Poll", "Done", "Nap", "Back"] * 2 + ["Poll", "Done", "Finish"],
        },
    }
    started = time.monotonic()
    result = await run_one(tester, flow_of(flow_text), case)
    assert result.passed, result.failures
    assert time.monotonic() - started < 5  # two hour-long waits


CALLBACK = """
version: v1
type: flow
steps:
  - type: task
    name: Approve
    resourceArn: acs:fc:::services/s/functions/ask
    pattern: waitForCallback
    timeoutSeconds: 600
    inputMappings:
      - target: request
        source: $input.request
      - target: token
        source: $context.task.token
    outputMappings:
      - target: approved
        source: $local.approved
    retry:
      - errors: [Rejected]
        maxAttempts: 1
        intervalSeconds: 30
"""


async def test_callback_reports_are_delivered(tester: FlowTester) -> None:
    flow = flow_of(CALLBACK, "approval")
    succeeded = await run_one(
        tester,
        flow,
        {
            "input": {"request": "r-1"},
            "mocks": {
                "Approve": [{"return": {"sent": True}, "callback": {"succeed": {"approved": True}}}]
            },
            "expect": {"status": "Succeeded", "output": {"approved": True}},
        },
    )
    assert succeeded.passed, succeeded.failures
    kinds = [e["Type"] for e in succeeded.events if e["StepName"] == "Approve"]
    assert kinds == [
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "StepExited",
    ]
    # A failed report is retried with a new token; the second submit gets its own report.
    retried = await run_one(
        tester,
        flow,
        {
            "mocks": {
                "Approve": [
                    {"callback": {"fail": {"error": "Rejected", "cause": "no"}}},
                    {"callback": {"fail": {"error": "Rejected", "cause": "still no"}}},
                ]
            },
            "expect": {
                "status": "Failed",
                "error": "Rejected",
                "cause": "still no",
                "calls": {"Approve": 2},
            },
        },
    )
    assert retried.passed, retried.failures


async def test_callback_without_token_in_input_is_a_mock_problem(tester: FlowTester) -> None:
    text = CALLBACK.replace("      - target: token\n        source: $context.task.token\n", "")
    case = {"mocks": {"Approve": [{"callback": {"succeed": {}}}]}}
    result = await run_one(tester, flow_of(text, "approval"), case)
    assert result.failures[0].startswith(
        "task step 'Approve' waits for a callback but its input carries no task token"
    )


async def test_delay_reaching_the_timeout_is_a_task_timeout(tester: FlowTester) -> None:
    text = """
version: v1
type: flow
steps:
  - type: task
    name: Slow
    resourceArn: acs:fc:::services/s/functions/slow
    timeoutSeconds: 2
"""
    case = {
        "mocks": {"Slow": [{"return": {}, "delaySeconds": 30}]},
        "expect": {"status": "Failed", "error": "FnF.TaskTimeout"},
    }
    started = time.monotonic()
    result = await run_one(tester, flow_of(text), case)
    assert result.passed, result.failures
    assert time.monotonic() - started < 5


async def test_foreach_iterations_and_parallel_branches_take_responses(tester: FlowTester) -> None:
    text = """
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: Work
        resourceArn: acs:fc:::services/s/functions/work
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: task
            name: Left
            resourceArn: acs:fc:::services/s/functions/left
      - steps:
          - type: task
            name: Right
            resourceArn: acs:fc:::services/s/functions/right
"""
    case = {
        "input": {"items": [1, 2, 3]},
        "mocks": {
            "Work": [{"return": {"ok": True}, "times": 3}],
            "Left": [{"return": {}}],
            "Right": [{"return": {}}],
        },
        "expect": {"status": "Succeeded", "calls": {"Work": 3, "Left": 1, "Right": 1}},
    }
    result = await run_one(tester, flow_of(text), case)
    assert result.passed, result.failures


async def test_local_activity_functions_answer_from_the_mocks(
    mock_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    registry_file = tmp_path / "functions.yaml"
    handler = (SAGA / "functions.py").as_posix()
    registry_file.write_text(
        "functions:\n"
        f"  fnf-demo/Operation: {{handler: '{handler}:operation', localActivity: true,"
        " timeout: 5}\n"
    )
    registry = FunctionRegistry.load(registry_file)
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    async with FlowTester(mock_env.client, registry) as local_tester:
        results = await local_tester.run_file(flow, load_mocks(SAGA / "mocks.yaml"))
        assert [r.passed for r in results] == [True, True, True], [r.failures for r in results]
        handle = mock_env.client.get_workflow_handle(f"saga/{results[1].execution}")
        history = await handle.fetch_history()
    kinds = {event.WhichOneof("attributes") for event in history.events}
    assert "marker_recorded_event_attributes" in kinds
    assert "activity_task_scheduled_event_attributes" not in kinds


def test_mock_file_is_checked_against_the_flow(tmp_path: Path) -> None:
    flow = FlowUnderTest.load(SAGA / "flow.yaml")
    mocks = parse_mocks(
        {
            "mocks": {"ReserveHotle": [{"return": {}}]},
            "cases": {"a": {"mocks": {"OrderFailed": [{"return": {}}]}}},
        }
    )
    from worker.mocking.model import check_against_flow

    with pytest.raises(MockFileError) as raised:
        check_against_flow(mocks, flow.graph, "m.yaml")
    assert str(raised.value).splitlines() == [
        "m.yaml: mocks.ReserveHotle: the flow has no step named 'ReserveHotle' (did you mean "
        "'ReserveHotel'?)",
        "m.yaml: cases.a.mocks.OrderFailed: 'OrderFailed' is a fail step; only task steps are "
        "mocked",
    ]


async def test_mns_queue_callback_example(tester: FlowTester) -> None:
    """SendMessage is mocked like a function; the token travels in the message body."""
    flow = FlowUnderTest.load(EXAMPLES / "mns-queue-callback" / "flow.yaml")
    case = {
        "mocks": {
            "Task_1": [{"return": {"messageId": "m-1"}, "callback": {"succeed": {"done": True}}}]
        },
        "expect": {"status": "Succeeded", "output": {"done": True}},
    }
    result = await run_one(tester, flow, case)
    assert result.passed, result.failures
    submitted = [e for e in result.events if e["Type"] == "TaskSubmitted"]
    assert json.loads(submitted[0]["EventDetail"]) == {"output": {"messageId": "m-1"}}


SUB_PARENT = """version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fnf:::flow/child
    pattern: sync
  - type: task
    name: After
    resourceArn: acs:fc:::services/s/functions/after
"""
SUB_CHILD = """version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fnf:::flow/grandchild
    pattern: sync
"""
SUB_GRANDCHILD = """version: v1
type: flow
steps:
  - type: task
    name: Work
    resourceArn: acs:fc:::services/s/functions/work
    outputMappings:
      - {target: worked, source: $local.n}
"""


async def test_task_steps_of_sub_flows_take_the_cases_responses(
    tester: FlowTester, tmp_path: Path
) -> None:
    """A sub-flow step runs its flow (the file beside the flow); that flow's task steps, at
    any depth, are mocked by name in the case like the flow's own. Such a mock used to be
    refused ("the flow has no step named"), and the task failed with "not a test case"."""
    for name, text in (
        ("parent", SUB_PARENT),
        ("child", SUB_CHILD),
        ("grandchild", SUB_GRANDCHILD),
    ):
        (tmp_path / f"{name}.yaml").write_text(text)
    flow = FlowUnderTest.load(tmp_path / "parent.yaml")
    case = {
        "mocks": {"Work": [{"return": {"n": 7}}], "After": [{"return": {"done": True}}]},
        "expect": {"status": "Succeeded", "calls": {"Work": 1, "After": 1}},
    }
    result = await run_one(tester, flow, case)
    assert result.failures == []
    assert result.output == {"done": True, "worked": 7}
    missing = await run_one(tester, flow, {"mocks": {"After": [{"return": {}}]}})
    # the grandchild's Work runs under the child's Call, which runs under the parent's Call
    assert missing.failures == ["task step 'Work' (at Call/Call/Work) has no mock in this case"]
    assert missing.error == "fnf.MockMissing"
    with pytest.raises(MockFileError, match="no step named 'Wrok' \\(did you mean 'Work'"):
        await run_one(tester, flow, {"mocks": {"Wrok": [{"return": {}}]}})


NESTED = """
version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: pass
            name: Calm
      - steps:
          - type: task
            name: Shaky
            resourceArn: acs:fc:::services/s/functions/shaky
            retry:
              - errors: [FC.Unknown]
                intervalSeconds: 30
                maxAttempts: 2
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: Work
        resourceArn: acs:fc:::services/s/functions/work
  - type: task
    name: Call
    resourceArn: acs:fnf:::flow/child
    pattern: sync
"""
NESTED_CHILD = """version: v1
type: flow
steps:
  - type: pass
    name: Inside
  - type: task
    name: Deep
    resourceArn: acs:fc:::services/s/functions/deep
"""


async def test_nested_steps_are_listed_and_mocked_by_their_paths(
    tester: FlowTester, tmp_path: Path
) -> None:
    """The report names steps inside branches, iterations and sub-flows by their paths, as
    `fnf run` does (it used to list bare names, so `Work` three times said nothing of which
    iteration); a mock keyed by a path answers only that branch or iteration and wins over the
    bare name; mocks nothing used are reported."""
    (tmp_path / "nested.yaml").write_text(NESTED)
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    flow = FlowUnderTest.load(tmp_path / "nested.yaml")
    case = {
        "input": {"items": [1, 2]},
        "mocks": {
            "Both#1/Shaky": [{"error": "FC.Unknown", "cause": "flaky"}, {"return": {"s": 1}}],
            "Work": [{"return": {"w": "any"}}],
            "Each#1/Work": [{"return": {"w": "second"}}],
            "Deep": [{"return": {}}],
            "Never": [{"return": {}}],
        },
        "expect": {
            "status": "Succeeded",
            "calls": {"Shaky": 2, "Both#1/Shaky": 2, "Work": 2, "Each#0/Work": 1},
            "steps": [
                "Both",
                "Calm",
                "Both#1/Shaky",
                "Each",
                "Each#0/Work",
                "Each#1/Work",
                "Call",
                "Call/Inside",
                "Call/Deep",
            ],
        },
    }
    with pytest.raises(MockFileError, match="no step named 'Never'"):
        await run_one(tester, flow, case)
    del case["mocks"]["Never"]
    case["mocks"]["Each#5/Work"] = [{"return": {}}]
    result = await run_one(tester, flow, case)
    assert result.failures == [], result.steps
    assert sorted(result.steps[1:3]) == ["Both#0/Calm", "Both#1/Shaky"]
    assert result.unused == ["Each#5/Work"]
    works = [e for e in result.events if e["Type"] == "TaskSucceeded" and e["StepName"] == "Work"]
    assert sorted(json.loads(e["EventDetail"])["output"]["w"] for e in works) == ["any", "second"]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("Both#2/Shaky", "has 2 branches"),
        ("Both#0/Shaky", "no step named 'Shaky' in Both#0"),
        ("Nope#0/Work", "no parallel or foreach step named 'Nope'"),
        ("Call/Nope", "no step named 'Nope' in Call"),  # `Call/Deep` names the sub-flow's
        ("Calm/Deep", "'Calm' is neither a branch or iteration"),
        ("Each#0/Each", "no step named 'Each' in Each#0"),
    ],
)
def test_path_keys_are_checked_against_the_flow(tmp_path: Path, key: str, why: str) -> None:
    (tmp_path / "nested.yaml").write_text(NESTED)
    (tmp_path / "child.yaml").write_text(NESTED_CHILD)
    flow = FlowUnderTest.load(tmp_path / "nested.yaml")
    mocks = parse_mocks({"cases": {"c": {"mocks": {key: [{"return": {}}]}}}})
    with pytest.raises(MockFileError, match=why):
        check_against_flow(mocks, flow.graph, subflows=flow.flows)
