"""FnF's quota on the data of one event (FnF limits: "Maximum event data size, per event,
32 KiB"): a step's input, its output and its local are each measured on their own, as compact
UTF-8 JSON, where an event carries them. One over the limit fails the step with a catchable
FnF.RuntimeError that names the event and the field (FDL decision 11).

Runs started before the quota was per event keep `DataBudget`, which charged a step's input,
output and local together, so that they replay as they ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from worker.interpreter.data import data_size
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure

LIMIT_SETTING = "FNF_EVENT_DATA_LIMIT"

SAFE_PAYLOAD_BYTES = 1024 * 1024
"""The most data one Temporal payload of ours may carry when no quota is set: half of
Temporal's 2 MB payload limit (PayloadsTooLarge, TMPRL1103), as Temporal's JSON (non-ASCII
escaped). A task's output (worker/activities/payload_bounds.py), a callback report's Output
and an execution's output with quota 0 are bounded by it."""

RESULT_BOUND_PATCH = "execution-output-under-payload-limit"
"""Executions started since this patch fail, rather than never complete, when their output
(quota 0) is too large for Temporal to take."""

INPUT_BOUND_PATCH = "step-input-under-payload-limit"
"""Executions started since this patch fail a step, rather than never schedule its work, when
its input (quota 0) is too large for Temporal to take as an activity's or a sub-flow's input."""


class EventDataTooLarge(StepFailure):
    """`field` of event `kind` (of step `step`, if any) is `size` bytes, over `limit`."""

    def __init__(self, kind: str, step: str, field: str, size: int, limit: int) -> None:
        where = f"event {kind} of step {step}" if step else f"event {kind}"
        super().__init__(
            RUNTIME_ERROR,
            f"{where}: its {field} is {size} bytes of JSON, over the {limit}-byte limit of "
            f"one event's data ({LIMIT_SETTING})",
        )


def text_size_over(text: str, limit: int) -> int | None:
    """The UTF-8 size of JSON `text` when it exceeds `limit` (> 0), else None. A character
    takes at most four bytes, so a short text is let through by its length alone."""
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode())
    return size if size > limit else None


def check_value(kind: str, step: str, field: str, value: Any, limit: int) -> None:
    """The quota for a payload before the event that carries it is written."""
    if limit > 0:
        size = data_size(value)
        if size > limit:
            raise EventDataTooLarge(kind, step, field, size, limit)


def check_payload(kind: str, step: str, field: str, value: Any) -> None:
    """With no quota, data that Temporal carries (an execution's output, a step's input that
    becomes an activity's or a sub-flow's input) still has to fit one Temporal payload."""
    size = len(json.dumps(value))
    if size > SAFE_PAYLOAD_BYTES:
        where = f"event {kind} of step {step}" if step else f"event {kind}"
        raise StepFailure(
            RUNTIME_ERROR,
            f"{where}: its {field} is {size} bytes of JSON, over the {SAFE_PAYLOAD_BYTES}-byte "
            "limit of one Temporal payload",
        )


def check_member_locals(step: str, value: Any, limit: int) -> None:
    """The quota for a parallel's or foreach's `$local` (the array of its members' locals),
    which no event carries whole: checked before the step's StepSucceeded, so that a step is
    never recorded as succeeded and then failed."""
    if limit > 0:
        size = data_size(value)
        if size > limit:
            raise StepFailure(
                RUNTIME_ERROR,
                f"step {step}: the step's $local is {size} bytes of JSON, over the {limit}-byte "
                f"limit of one event's data ({LIMIT_SETTING})",
            )


@dataclass
class DataBudget:
    """Runs started before per-event quotas: charged with the step's input first, then its
    local and output, all together; each value is measured once. A limit of 0 or less
    measures nothing."""

    step_name: str
    limit: int
    spent: int = 0

    def charge(self, *values: Any) -> None:
        if self.limit <= 0:
            return
        self.spent += data_size(*values)
        if self.spent > self.limit:
            raise StepFailure(
                RUNTIME_ERROR,
                f"step {self.step_name}: input, output and local total {self.spent} bytes of "
                f"JSON, over the {self.limit}-byte limit of a step (FNF_STEP_DATA_LIMIT)",
            )
