"""The `fnf_flow` fixture, loaded through the package's `pytest11` entry point as in a
user's suite (nothing in this repository's conftest provides it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SAGA = Path(__file__).resolve().parents[2] / "examples" / "saga"


def test_saga_case_through_the_fixture(fnf_flow: Any) -> None:
    result = fnf_flow(SAGA / "flow.yaml", mocks=SAGA / "mocks.yaml", case="hotel-fails")
    assert result.passed and result.calls["ReserveHotel"] == 4
    assert result.steps[-2:] == ["CancelTrainTicket", "OrderFailed"]


def test_wrong_expectation_fails_the_test_with_its_reasons(fnf_flow: Any) -> None:
    mocks = {
        "cases": {
            "only": {
                "input": {"reserve_hotel_result": "success"},
                "mocks": {"BuyTrainTicket": [{"error": "FC.Unknown", "cause": "sold out"}]},
                "expect": {"status": "Succeeded", "steps": ["BuyTrainTicket", "OrderSucceeded"]},
            }
        }
    }
    with pytest.raises(AssertionError) as failed:
        fnf_flow(SAGA / "flow.yaml", mocks=mocks)
    assert str(failed.value).splitlines() == [
        "case 'only': status: expected Succeeded, got Failed with : ",
        "case 'only': steps: expected BuyTrainTicket -> OrderSucceeded, got BuyTrainTicket -> "
        "OrderFailed",
    ]
    result = fnf_flow(SAGA / "flow.yaml", mocks=mocks, check=False)
    assert (result.passed, result.status) == (False, "Failed")


def test_input_replaces_the_cases_and_paths_are_relative_to_the_test(fnf_flow: Any) -> None:
    relative = Path("..") / ".." / "examples" / "saga"
    result = fnf_flow(
        relative / "flow.yaml", mocks=relative / "mocks.yaml", case="success", input={"x": 1}
    )
    assert result.passed
    assert result.events[0]["Type"] == "ExecutionStarted"


async def test_the_fixture_works_inside_an_asyncio_test(fnf_flow: Any) -> None:
    result = fnf_flow(SAGA / "flow.yaml", mocks=SAGA / "mocks.yaml", case="train-fails")
    assert result.calls == {"BuyTrainTicket": 1}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"x": float("nan")}, "the input holds a number JSON cannot express"),
        ({"x": 10**1500}, "an integer of more than 1000 digits"),
        ([1, 2], "Input should be a valid dictionary"),
    ],
)
def test_an_input_that_cannot_enter_an_execution_is_refused(
    fnf_flow: Any, given: Any, message: str
) -> None:
    """`input=` passes the check a case's own input passes (it used to start the run)."""
    with pytest.raises(ValueError, match=message):
        fnf_flow(SAGA / "flow.yaml", mocks=SAGA / "mocks.yaml", case="success", input=given)
