"""What a task activity may hand back to Temporal: bounded before it leaves the activity.

Temporal refuses a payload over 2 MB (PayloadsTooLarge, TMPRL1103) and then retries the
activity's completion for ever, calling the function again and again; a failure over the limit
is replaced by "Failure exceeds size limit", which loses the FnF error name. So the activity
itself decides, before returning:

- an output over the per-event quota of the step's success event (FnF limits: "Maximum event
  data size, per event, 32 KiB") fails the attempt with a catchable FnF.RuntimeError that names
  the event and field, like the workflow's own check (worker/interpreter/budget.py); with no
  quota (0) the output is still bounded by SAFE_OUTPUT_BYTES, under Temporal's limit;
- error names and causes are cut to FnF's size (ReportTaskFailed: Cause of 1-4096 characters)
  by `truncate_cause`, the one bounding function every runtime uses, and made valid Unicode;
- the ledger of attempts (heartbeat details, and the final failure's details) keeps only its
  newest LEDGER_RECORDS attempts, and whole causes only for the newest of those, so that
  thousands of retries (FDL allows 10 000 per retrier) still fit.
"""

from __future__ import annotations

import json
from typing import Any

from translator.json_values import repaired_text
from worker.functions.errors import truncate_cause
from worker.interpreter.budget import LIMIT_SETTING, SAFE_PAYLOAD_BYTES
from worker.interpreter.data import data_size

SAFE_OUTPUT_BYTES = SAFE_PAYLOAD_BYTES
"""The largest output a task may return when no quota is set, leaving room in the result for
the attempts ledger."""

LEDGER_RECORDS = 1000
"""Attempts the ledger keeps; older ones are only counted (their events were reported as they
happened: worker/activities/reports.py)."""

LEDGER_WHOLE_CAUSES = 16
"""Attempts of the ledger, newest first, whose causes are kept whole; older ones are cut to
LEDGER_OLD_CAUSE_CHARS (their events were already reported as they happened)."""
LEDGER_OLD_CAUSE_CHARS = 256


def bound_text(text: str) -> str:
    """An error name or cause at FnF's size (one function for every runtime), as valid
    Unicode: a lone surrogate (a function's exception message can hold one) becomes U+FFFD,
    since Temporal cannot carry it (protobuf strings are UTF-8) and used to retry the failed
    attempt's completion for ever."""
    return truncate_cause(repaired_text(text))


def output_over(output: Any, step: str, event: str, limit: int) -> str | None:
    """Why `output` cannot be the data of event `event` of step `step`, or None if it can.
    `limit` is the per-event quota in bytes of compact UTF-8 JSON (0: none)."""
    if limit > 0:
        size = data_size(output)
        if size > limit:
            return (
                f"event {event} of step {step}: its output is {size} bytes of JSON, over the "
                f"{limit}-byte limit of one event's data ({LIMIT_SETTING})"
            )
    wire = len(json.dumps(output))
    if wire > SAFE_OUTPUT_BYTES:
        return (
            f"event {event} of step {step}: its output is {wire} bytes of JSON, over the "
            f"{SAFE_OUTPUT_BYTES}-byte limit of a task's result"
        )
    return None


def bound_ledger_causes(causes: list[str | None]) -> list[str | None]:
    """The ledger's causes, older ones cut short (see LEDGER_WHOLE_CAUSES)."""
    keep_from = len(causes) - LEDGER_WHOLE_CAUSES
    return [
        cause
        if cause is None or index >= keep_from or len(cause) <= LEDGER_OLD_CAUSE_CHARS
        else _cut(cause, LEDGER_OLD_CAUSE_CHARS)
        for index, cause in enumerate(causes)
    ]


def _cut(text: str, size: int) -> str:
    marker = "...(truncated)"
    return text[: size - len(marker)] + marker
