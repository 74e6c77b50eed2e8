"""Load an execution's pinned definition by reference (worker/definitions.py says why)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from worker.definitions import LOAD_DEFINITION, PinnedDefinition, decode

LOAD_TIMEOUT = timedelta(seconds=30)


async def load_pinned(reference: str) -> PinnedDefinition:
    """The definition `reference` names. LoadDefinition's result is recorded in the run's
    history, so a replay decodes the very same bytes (the hash is checked again here)."""
    blob: bytes = await workflow.execute_local_activity(
        LOAD_DEFINITION,
        reference,
        result_type=bytes,
        start_to_close_timeout=LOAD_TIMEOUT,
        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=10),
        summary=f"internal: load the pinned definition {reference[:12]}",
    )
    return decode(blob, reference)
