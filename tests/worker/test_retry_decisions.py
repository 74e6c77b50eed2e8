"""Per-policy retry decisions, as FDL's retry algorithm (spec 6.2) describes them."""

from __future__ import annotations

import pytest

from translator.graph import RetryNode
from worker.activities.retry import RetryDecision, count_retry, next_retry


def policy(errors: list[str], **overrides: float) -> RetryNode:
    base: RetryNode = {
        "errors": errors,
        "intervalSeconds": 1,
        "maxIntervalSeconds": 86400,
        "maxAttempts": 3,
        "multiplier": 2,
    }
    return {**base, **overrides}  # type: ignore[typeddict-item]


def delays(policies: list[RetryNode], errors: list[str]) -> list[float | None]:
    """Feed a series of failures; the delay granted for each (None: on to catch)."""
    counters: list[int] = []
    granted: list[float | None] = []
    for error in errors:
        decision = next_retry(policies, counters, error)
        granted.append(None if decision is None else decision.delay_seconds)
        if decision is None:
            break
        counters = count_retry(counters, decision, len(policies))
    return granted


def test_saga_hotel_backoff_is_1_2_4_then_catch() -> None:
    assert delays([policy(["FC.Unknown"])], ["FC.Unknown"] * 4) == [1, 2, 4, None]


def test_guide_example_10_20_40() -> None:
    policies = [policy(["FnF.ALL"], intervalSeconds=10, maxIntervalSeconds=300)]
    assert delays(policies, ["Anything"] * 4) == [10, 20, 40, None]


def test_max_interval_caps_the_delay() -> None:
    policies = [policy(["E"], intervalSeconds=10, multiplier=10, maxIntervalSeconds=50)]
    assert delays(policies, ["E"] * 4) == [10, 50, 50, None]


def test_unlisted_error_is_not_retried() -> None:
    assert delays([policy(["FC.Unknown"])], ["ErrorNeedsRetry"]) == [None]


def test_zero_max_attempts_means_no_retry() -> None:
    assert delays([policy(["E"], maxAttempts=0)], ["E"]) == [None]


def test_each_policy_keeps_its_own_counter() -> None:
    policies = [policy(["A"], maxAttempts=1), policy(["FnF.ALL"], maxAttempts=2, multiplier=1)]
    assert delays(policies, ["A", "B", "B", "B"]) == [1, 1, 1, None]


def test_first_listing_policy_decides_even_when_spent() -> None:
    policies = [policy(["A"], maxAttempts=1), policy(["FnF.ALL"], maxAttempts=5)]
    assert delays(policies, ["A", "A"]) == [1, None]


@pytest.mark.parametrize("multiplier", [1, 1.5, 2])
def test_multipliers_from_the_samples(multiplier: float) -> None:
    policies = [policy(["E"], intervalSeconds=2, multiplier=multiplier)]
    assert delays(policies, ["E"] * 3) == [2, 2 * multiplier, 2 * multiplier**2]


def test_decision_names_the_policy() -> None:
    policies = [policy(["A"]), policy(["B"])]
    assert next_retry(policies, [], "B") == RetryDecision(policy=1, delay_seconds=1)
