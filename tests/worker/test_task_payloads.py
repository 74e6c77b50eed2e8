"""Task requests and results travel compact (fields at their defaults left out), and the shapes
written before, with every field, still decode: running executions and recorded histories
carry them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from temporalio.converter import DataConverter

from worker.activities.attempts import Ledger
from worker.activities.requests import (
    AttemptRecord,
    TaskRequest,
    TaskResult,
    compact,
    task_result_of,
)

RESOURCE = {"kind": "fc", "arn": "acs:fc:::services/s/functions/f", "service": "s"}


def request(**fields: Any) -> TaskRequest:
    return TaskRequest(RESOURCE, {"n": 1}, "flow", "execution", "step", **fields)


def round_trip(value: Any, kind: type) -> Any:
    converter = DataConverter.default.payload_converter
    return converter.from_payloads(converter.to_payloads([value]), [kind])[0]


def test_a_plain_request_carries_only_what_differs_from_the_defaults() -> None:
    assert set(compact(request())) == {"resource", "payload", "flow", "execution", "step"}
    shown = compact(request(retry=[{"errors": ["E"]}], task_event_id=7, output_limit=32768))
    assert shown["retry"] == [{"errors": ["E"]}] and shown["task_event_id"] == 7


def test_compact_and_whole_requests_decode_to_the_same_request() -> None:
    sent = request(params={"a": 1}, timeout_seconds=3.0, task_event_id=4, report_after=0.5)
    assert round_trip(compact(sent), TaskRequest) == sent
    assert round_trip(asdict(sent), TaskRequest) == sent


def test_compact_and_whole_results_decode_to_the_same_result() -> None:
    attempts = [
        AttemptRecord("t0", ended="t1", error="E", cause="c"),
        AttemptRecord("t2", ended="t3", restart=1, restarted=["t1"], reason="lost"),
    ]
    result = TaskResult({"out": [1, None, ""]}, attempts, earlier=2)
    assert task_result_of(round_trip(compact(result), dict)) == result
    assert task_result_of(round_trip(asdict(result), dict)) == result
    assert len(str(compact(result))) < len(str(asdict(result)))


def test_a_compact_ledger_restores_as_a_whole_one_did() -> None:
    ledger = Ledger(counters=[1], earlier=3, temporal_attempt=2)
    ledger.add(AttemptRecord("t0", ended="t1", error="E", cause="c"))
    ledger.current = AttemptRecord("t2")
    assert Ledger.restore([ledger.details()]) == ledger
    whole = asdict(ledger)
    del whole["temporal_attempt"]  # as a worker before this field saved it
    assert Ledger.restore([whole]) == Ledger(
        ledger.attempts, ledger.counters, ledger.current, 3, temporal_attempt=None
    )
