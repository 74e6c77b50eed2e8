"""Task steps end to end on the time-skipping server: real activities, real function processes.

The saga cases follow the seed's distributed-transaction guide: every success/failure
combination, FC.Unknown from a process that exits mid-request, the 1 s / 2 s / 4 s backoff, and
compensations that receive the transaction ids of the bookings they undo.
"""

from __future__ import annotations

import json
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from tests.worker.conftest import Outcome, RunFlow

OK, FAIL = "success", False


def saga_input(train: Any = OK, flight: Any = OK, hotel: Any = OK) -> dict[str, Any]:
    return {
        "buy_train_ticket_result": train,
        "reserve_flight_result": flight,
        "reserve_hotel_result": hotel,
    }


def task_events(step: str, outcomes: list[str]) -> list[str]:
    trail = [f"StepEntered:{step}"]
    for outcome in outcomes:
        trail += [f"TaskScheduled:{step}", f"TaskStarted:{step}", f"{outcome}:{step}"]
    return [*trail, f"StepExited:{step}"]


ORDER_FAILED = ["StepEntered:OrderFailed", "StepStarted:OrderFailed", "StepFailed:OrderFailed"]


def seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def test_saga_succeeds_when_every_booking_does(run_flow: RunFlow) -> None:
    outcome = await run_flow("saga", saga_input())
    assert outcome.status == "Succeeded", outcome
    assert outcome.trail() == [
        "ExecutionStarted",
        *task_events("BuyTrainTicket", ["TaskSucceeded"]),
        *task_events("ReserveFlight", ["TaskSucceeded"]),
        *task_events("ReserveHotel", ["TaskSucceeded"]),
        "StepEntered:OrderSucceeded",
        "StepStarted:OrderSucceeded",
        "StepSucceeded:OrderSucceeded",
        "StepExited:OrderSucceeded",
        "ExecutionSucceeded",
    ]
    assert outcome.output is not None
    assert {k: outcome.output[k] for k in ("buy_train_ticket", "reserve_flight")} == {
        "buy_train_ticket": "success",
        "reserve_flight": "success",
    }
    assert {"buy_train_ticket_txnID", "reserve_flight_txnID", "reserve_hotel_txnID"} <= set(
        outcome.output
    )


async def test_saga_hotel_failure_retries_then_compensates(run_flow: RunFlow) -> None:
    outcome = await run_flow("saga", saga_input(hotel=FAIL))
    assert (outcome.status, outcome.error, outcome.cause) == ("Failed", "", "")
    assert outcome.trail() == [
        "ExecutionStarted",
        *task_events("BuyTrainTicket", ["TaskSucceeded"]),
        *task_events("ReserveFlight", ["TaskSucceeded"]),
        *task_events("ReserveHotel", ["TaskFailed"] * 4),
        *task_events("CancelFlight", ["TaskSucceeded"]),
        *task_events("CancelTrainTicket", ["TaskSucceeded"]),
        *ORDER_FAILED,
        "ExecutionFailed",
    ]
    exited = outcome.detail("StepExited", "ReserveHotel")
    assert exited["error"] == "FC.Unknown"
    assert exited["cause"].startswith(
        '{"errorMessage":"Process exited unexpectedly before completing request (duration: '
    )
    assert (exited["retryCount"], exited["goto"]) == (3, "CancelFlight")
    assert exited["input"] == {"operation": "reserve_hotel", "reserve_hotel": False}
    assert exited["resourceArn"] == "acs:fc:::services/fnf-demo/functions/Operation"
    booked = outcome.detail("TaskSucceeded", "ReserveFlight")["output"]
    train = outcome.detail("TaskSucceeded", "BuyTrainTicket")["output"]
    assert exited["local"] == {**train, **booked}
    cancel_flight = outcome.detail("StepEntered", "CancelFlight")["input"]
    cancel_train = outcome.detail("StepEntered", "CancelTrainTicket")["input"]
    assert cancel_flight["reserve_flight_txnID"] == booked["reserve_flight_txnID"]
    assert cancel_train["buy_train_ticket_txnID"] == train["buy_train_ticket_txnID"]
    # Attempt n+1 is scheduled when attempt n fails and starts after its backoff, so the gaps
    # between schedulings show the first two backoffs, and the step's length all three.
    assert retry_schedule(outcome, "ReserveHotel") == pytest.approx([0, 1, 2], abs=0.75)
    assert step_duration(outcome, "ReserveHotel") == pytest.approx(1 + 2 + 4, abs=1.5)


def retry_schedule(outcome: Outcome, step: str) -> list[float]:
    """Seconds between the TaskScheduled events of consecutive attempts (server time): each is
    the previous attempt's run time plus the backoff before it."""
    times = [
        seconds(e["Time"])
        for e in outcome.events
        if e["Type"] == "TaskScheduled" and e["StepName"] == step
    ]
    return [later - earlier for earlier, later in pairwise(times)]


def step_duration(outcome: Outcome, step: str) -> float:
    entered = [e for e in outcome.events if e["Type"] == "StepEntered" and e["StepName"] == step]
    exited = [e for e in outcome.events if e["Type"] == "StepExited" and e["StepName"] == step]
    return seconds(exited[0]["Time"]) - seconds(entered[0]["Time"])


def expected_saga_trail(train: bool, flight: bool, hotel: bool) -> list[str]:
    """The seed's story: a failed booking is caught, and what was booked before is undone."""
    trail = ["ExecutionStarted"]
    trail += task_events("BuyTrainTicket", ["TaskSucceeded" if train else "TaskFailed"])
    if not train:
        return [*trail, *ORDER_FAILED, "ExecutionFailed"]
    trail += task_events("ReserveFlight", ["TaskSucceeded" if flight else "TaskFailed"])
    if flight:
        trail += task_events("ReserveHotel", ["TaskSucceeded"] if hotel else ["TaskFailed"] * 4)
        if hotel:
            return trail  # checked by the success test in full
        trail += task_events("CancelFlight", ["TaskSucceeded"])
    trail += task_events("CancelTrainTicket", ["TaskSucceeded"])
    return [*trail, *ORDER_FAILED, "ExecutionFailed"]


@pytest.mark.parametrize(
    ("train", "flight", "hotel"),
    [(t, f, h) for t in (True, False) for f in (True, False) for h in (True, False)][1:],
)
async def test_saga_every_failure_combination(
    run_flow: RunFlow, train: bool, flight: bool, hotel: bool
) -> None:
    outcome = await run_flow(
        "saga", saga_input(OK if train else FAIL, OK if flight else FAIL, OK if hotel else FAIL)
    )
    assert outcome.status == "Failed"
    assert outcome.trail() == expected_saga_trail(train, flight, hotel)


async def test_error_handling_retries_per_policy_then_catches(run_flow: RunFlow) -> None:
    outcome = await run_flow("error-handling", {"fail": True})
    assert outcome.status == "Succeeded", outcome
    exited = outcome.detail("StepExited", "hello")
    assert exited["error"] == "ErrorNeedsRetry"
    assert exited["retryCount"] == 3
    assert outcome.output == {"errMsg": exited["cause"], "errCode": "ErrorNeedsRetry"}
    assert outcome.types("hello").count("TaskFailed") == 4
    assert [e["StepName"] for e in outcome.events if e["Type"] == "StepEntered"] == [
        "hello",
        "final",
    ]


async def test_polling_fails_at_job_failed_once_try_count_passes_three(run_flow: RunFlow) -> None:
    outcome = await run_flow("polling", {"delay": 3600})
    assert (outcome.status, outcome.error, outcome.cause) == ("Failed", "", "")
    checks = [
        e
        for e in outcome.events
        if e["Type"] == "TaskSucceeded" and e["StepName"] == "GetJobStatus"
    ]
    assert [json.loads(e["EventDetail"])["output"]["try_count"] for e in checks] == [1, 2, 3, 4]
    failed = ["StepEntered:JobFailed", "StepStarted:JobFailed", "StepFailed:JobFailed"]
    assert outcome.trail()[-4:] == [*failed, "ExecutionFailed"]
    assert outcome.types("Wait10s").count("StepSucceeded") == 4
