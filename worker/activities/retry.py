"""FDL retry policies, decided per failure (DESIGN 7).

FDL lists retriers in order, each with its own attempt counter; one Temporal RetryPolicy cannot
express that. So the task activity asks `next_retry` after every failure: the first policy that
lists the error decides, and either grants a retry after its backoff or sends the error on to
the step's catch. The counters travel in the activity's heartbeat details between attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

from translator.graph import RetryNode
from worker.interpreter.failures import matches


@dataclass(frozen=True)
class RetryDecision:
    """Retry under policy `policy` after `delay_seconds`."""

    policy: int
    delay_seconds: float


def backoff(policy: RetryNode, retries_so_far: int) -> float:
    """Delay before retry n+1: min(interval * multiplier^n, maxInterval)."""
    delay = policy["intervalSeconds"] * policy["multiplier"] ** retries_so_far
    return float(min(delay, policy["maxIntervalSeconds"]))


def next_retry(policies: list[RetryNode], counters: list[int], error: str) -> RetryDecision | None:
    """None when the error must go to catch: no policy lists it, or its policy is spent."""
    for index, policy in enumerate(policies):
        if not matches(error, policy["errors"]):
            continue
        used = counters[index] if index < len(counters) else 0
        if used >= policy["maxAttempts"]:
            return None
        return RetryDecision(index, backoff(policy, used))
    return None


def count_retry(counters: list[int], decision: RetryDecision, size: int) -> list[int]:
    """The counters after granting `decision` (a new list; counters start at zero)."""
    updated = [*counters, *[0] * (size - len(counters))]
    updated[decision.policy] += 1
    return updated
