"""Default limits and thresholds a deployment may change (the FNF_* settings of
worker/settings.py). Kept free of Temporal, the translator and pydantic, so that every `fnf`
command can read its settings without importing them (about 0.3 s of CPU at each start)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CONTINUE_AS_NEW_AT = 10_000
"""Temporal history length at which a run hands over to a fresh one (its limit is 51,200)."""

DEFAULT_FOREACH_BATCH_THRESHOLD = 500
"""A foreach over more items than this runs them in batches of child executions."""
DEFAULT_FOREACH_BATCH_SIZE = 500
"""Items per batch child: about six Temporal events an item keeps a batch near 3,000 events."""
DEFAULT_NESTED_HANDOVER_STEPS = 100
"""Steps a nested sequence runs in one execution before a long history hands its rest over."""

DEFAULT_REDRIVE_MAX_COUNT = 1000
"""Redrives one execution may have (Step Functions' limit)."""
DEFAULT_REDRIVE_MAX_AGE = 14 * 24 * 3600.0
"""Seconds after its close an execution may be redriven (Step Functions: 14 days)."""


@dataclass(frozen=True)
class RedriveLimits:
    max_count: int = DEFAULT_REDRIVE_MAX_COUNT
    max_age: float = DEFAULT_REDRIVE_MAX_AGE
