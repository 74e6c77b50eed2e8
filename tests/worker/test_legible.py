"""The words the Temporal UI shows (worker/interpreter/legible.py), checked without a server:
bounds, paths and the failure message's forms. tests/e2e/test_temporal_ui.py reads them back
from a running server."""

from __future__ import annotations

from typing import Any

from translator import compile_text
from worker.interpreter.legible import (
    DETAIL_LINES,
    SUMMARY_LIMIT,
    CurrentDetails,
    execution_details,
    failure_message,
    member_path,
    task_summary,
)

FLOW = """
version: v1
type: flow
steps:
  - type: task
    name: Call
    resourceArn: acs:fc:::services/shop/functions/pay
    retry:
      - errors: [FC.Unknown, Busy]
        maxAttempts: 5
      - errors: [FnF.ALL]
  - type: task
    name: Send
    resourceArn: acs:mns:::/queues/orders/messages
"""


def _steps() -> list[Any]:
    return list(compile_text(FLOW)["steps"])


def test_task_summaries_name_the_step_the_resource_and_the_fdl_retry() -> None:
    call, send = _steps()
    assert task_summary(call, "") == (
        "task Call (fc shop/pay; FDL retry FC.Unknown,Busy x5 | FnF.ALL x3)"
    )
    assert task_summary(call, "Both#1/Each#3", attempt=2).startswith(
        "task Call in Both#1/Each#3 attempt 2 (fc shop/pay;"
    )
    assert task_summary(send, "") == "task Send (mns-queue orders)"


def test_summaries_stay_on_one_bounded_line() -> None:
    call = dict(_steps()[0], name="N" * 500)
    text = task_summary(call, "")  # type: ignore[arg-type]
    assert len(text) == SUMMARY_LIMIT and text.endswith("…") and "\n" not in text


def test_member_paths_nest() -> None:
    assert member_path("", "Both", 1) == "Both#1"
    assert member_path("Both#1", "Each", 0) == "Both#1/Each#0"


def test_the_failure_message_forms() -> None:
    assert failure_message("E", "c", "S", "") == "step S failed with E: c"
    assert failure_message("E", "", "S", "P#0") == "step S in P#0 failed with E"
    assert failure_message("", "", "S", "") == "step S failed (no error or cause given)"
    assert failure_message("", "", "S", "", "step T failed with X: y (caught, went to S)") == (
        "step S failed after step T failed with X: y (caught, went to S)"
    )
    assert failure_message("E", "c", "", "") == "the flow failed with E: c"


def test_current_details_list_at_most_a_screenful() -> None:
    details = CurrentDetails()
    details.lines = {n: f"wait W in Each#{n} until then" for n in range(DETAIL_LINES + 5)}
    shown = details.render().splitlines()
    assert len(shown) == DETAIL_LINES + 1 and shown[-1] == "- … and 5 more"
    assert CurrentDetails().render() == "running steps"


def test_execution_details_bound_the_input() -> None:
    text = execution_details("f", "e", {"blob": "x" * 10_000})
    assert text.startswith("**Flow** f\n\n**Execution** e\n\n**Input**")
    assert len(text) < 2_200 and "more chars)" in text
