"""The ledger's side of at-least-once: an attempt whose start never ended is the same FDL
attempt started again (worker/activities/attempts.py), never a retry of its own."""

from __future__ import annotations

from dataclasses import asdict

from worker.activities.attempts import RESTART_REASON, RESTARTS_KEPT, Ledger
from worker.activities.requests import AttemptRecord


def started_again(ledger: Ledger, at: str) -> Ledger:
    """The ledger the next Temporal attempt restores after this one's worker died."""
    ledger.begin(AttemptRecord(started=at))
    return Ledger.restore([ledger.details()])


def test_an_interrupted_start_is_the_same_attempt_started_again() -> None:
    ledger = started_again(Ledger(), "t0")
    record = AttemptRecord(started="t1")
    ledger.begin(record)
    assert ledger.number == 1
    assert (record.restart, record.restarted, record.reason) == (1, ["t0"], RESTART_REASON)


def test_every_restart_counts_and_the_newest_start_times_are_kept() -> None:
    ledger = Ledger()
    times = [f"t{n}" for n in range(RESTARTS_KEPT + 3)]
    for at in times:
        ledger = started_again(ledger, at)
    record = AttemptRecord(started="last")
    ledger.begin(record)
    assert record.restart == len(times)
    assert record.restarted == times[-RESTARTS_KEPT:]
    assert ledger.number == 1


def test_an_attempt_that_ended_is_not_restarted_and_the_retry_is_a_new_attempt() -> None:
    ledger = started_again(Ledger(), "t0")
    record = AttemptRecord(started="t1")
    ledger.begin(record)
    record.ended, record.error = "t2", "Flaky"
    ledger.add(record)
    ledger.current = None
    retried = Ledger.restore([ledger.details()])
    retry = AttemptRecord(started="t3")
    retried.begin(retry)
    assert retried.number == 2
    assert (retry.restart, retry.restarted, retry.reason) == (0, [], None)


def test_a_ledger_saved_before_restarts_existed_restores() -> None:
    """A ledger an older worker left behind: no restart fields on its records."""
    old = {"started": "t0", "scheduled": "", "ended": "", "error": None, "cause": None}
    old["timed_out"] = False
    saved = {"attempts": [], "counters": [], "current": old, "earlier": 0}
    ledger = Ledger.restore([saved])
    record = AttemptRecord(started="t1")
    ledger.begin(record)
    assert record.restart == 1 and record.restarted == ["t0"]
    assert asdict(ledger)["current"]["restart"] == 1


def test_a_start_lost_before_its_first_heartbeat_is_counted_from_temporal_attempts() -> None:
    """A fast attempt sends no heartbeat, so a start lost early leaves no ledger behind:
    Temporal's attempt number (2, with no FDL outcome before it) still shows the restart."""
    record = AttemptRecord(started="t1")
    ledger = Ledger.restore([])  # nothing heartbeated
    ledger.begin(record, temporal_attempt=2)
    assert ledger.number == 1
    assert (record.restart, record.restarted, record.reason) == (1, [], RESTART_REASON)


def test_the_temporal_attempt_after_an_fdl_failure_is_no_restart() -> None:
    ledger = Ledger.restore([])
    failed = AttemptRecord(started="t0", ended="t1", error="Flaky")
    ledger.begin(failed, temporal_attempt=1)
    ledger.add(failed)
    ledger.current, ledger.temporal_attempt = None, 1
    retried = Ledger.restore([ledger.details()])
    retry = AttemptRecord(started="t2")
    retried.begin(retry, temporal_attempt=2)
    assert retried.number == 2 and retry.restart == 0
    lost = AttemptRecord(started="t4")
    Ledger.restore([ledger.details()]).begin(lost, temporal_attempt=4)
    assert (lost.restart, lost.reason) == (2, RESTART_REASON)


def test_a_ledger_saved_before_temporal_attempts_were_kept_counts_only_what_it_saw() -> None:
    saved = {"attempts": [], "counters": [], "current": None, "earlier": 0}
    ledger = Ledger.restore([saved])
    record = AttemptRecord(started="t1")
    ledger.begin(record, temporal_attempt=3)
    assert record.restart == 0


def test_a_heartbeated_first_attempt_keeps_counting_restarts_from_temporal_attempts() -> None:
    """Started, heartbeated, lost; started again and lost before its first heartbeat: the
    third start is the second restart, though the ledger saw only the first start."""
    ledger = Ledger.restore([])
    ledger.begin(AttemptRecord(started="t0"), temporal_attempt=1)
    third = AttemptRecord(started="t2")
    Ledger.restore([ledger.details()]).begin(third, temporal_attempt=3)
    assert (third.restart, third.restarted) == (2, ["t0"])
