"""Reading an execution's FnF history in pages, on the time-skipping server: across the runs
continue-as-new chained, and in pieces small enough for Temporal when steps carry a lot."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.worker.conftest import RunFlow
from tests.worker.history_checks import BULKY, BULKY_STEPS, check_paging
from tests.worker.test_task_features import COUNTDOWN
from worker.execution import HISTORY_PAGE_BYTES
from worker.history import read_history, read_history_page, run_tail
from worker.interpreter.events import EventLog

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"


async def test_pages_cross_continue_as_new(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    outcome = await run_flow(
        "pages", {"left": 20}, text=COUNTDOWN, functions=FUNCTIONS, continue_as_new_at=30
    )
    assert outcome.status == "Succeeded" and outcome.runs >= 3
    assert [e["EventId"] for e in outcome.events] == list(range(1, len(outcome.events) + 1))
    await check_paging(temporal_env.client, outcome.workflow_id, outcome.events)


async def test_a_history_larger_than_one_answer_is_read_in_pieces(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Whole, this history is over the 4 MB a worker may send back in one answer (tried: the
    query times out while the worker's answer is refused); page by page it reads fine."""
    client = temporal_env.client
    outcome = await run_flow("bulky", {"blob": "x" * 400_000}, text=BULKY, step_data_limit=0)
    assert outcome.status == "Succeeded"
    total = sum(len(e["EventDetail"]) for e in outcome.events)
    assert total > 4 * HISTORY_PAGE_BYTES, "the history must not fit one answer"
    assert len(outcome.events) == 2 + 4 * BULKY_STEPS
    page = await read_history_page(client, outcome.workflow_id, limit=1000)
    assert sum(len(e["EventDetail"]) for e in page.events) <= HISTORY_PAGE_BYTES + 400_000
    assert page.next_event_id == page.events[-1]["EventId"] + 1
    assert await read_history(client, outcome.workflow_id) == outcome.events


def test_a_page_counts_bytes_as_the_answer_carries_them() -> None:
    """Chinese text travels \\u-escaped in the query's JSON answer: 6 bytes a character."""
    detail = json.dumps({"text": "中" * 1000}, ensure_ascii=False)
    events = [
        {
            "EventId": n,
            "Type": "StepEntered",
            "StepName": "s",
            "Time": "",
            "ScheduleEventId": 0,
            "EventDetail": detail,
        }
        for n in range(1, 11)
    ]
    log = EventLog(events)
    assert len(log.page(1, 100, 20_000)) == 3  # about 6,100 bytes each
    assert log.page(1, 100, 1) == events[:1]  # one event, however large
    assert log.page(5, 2, 10**9) == events[4:6]
    assert log.page(11, 5, 10**9) == []


async def test_a_run_too_large_to_archive_is_read_through_the_query(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """Incompressible data past a run's archive budget (eight steps of 800,000 characters of
    base64, about 4.8 MB compressed against 4 MB): the run keeps no (partial) archive, and
    readers get its events from the query instead, whole and in order."""
    client = temporal_env.client
    blob = secrets.token_urlsafe(600_000)
    outcome = await run_flow("bulky", {"blob": blob}, text=BULKY, step_data_limit=0)
    assert outcome.status == "Succeeded"
    run = (await client.get_workflow_handle(outcome.workflow_id).describe()).run_id
    tail = await run_tail(client, outcome.workflow_id, run)
    assert tail.closed and tail.archive is None
    assert len(outcome.events) == 2 + 4 * BULKY_STEPS
    assert all(blob in e["EventDetail"] for e in outcome.events if e["Type"] == "StepEntered")


async def test_a_closed_run_is_read_from_its_archive(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    outcome = await run_flow("bulky", {"blob": "x" * 1000}, text=BULKY)
    run = (await client.get_workflow_handle(outcome.workflow_id).describe()).run_id
    tail = await run_tail(client, outcome.workflow_id, run)
    assert tail.archive is not None and tail.archive.events == outcome.events
