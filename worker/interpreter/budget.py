"""FnF's data budget of one step (FDL decision 11): its input, output and local together may
take at most `limit` bytes of compact JSON, else the step fails with FnF.RuntimeError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.interpreter.data import data_size
from worker.interpreter.failures import RUNTIME_ERROR, StepFailure


@dataclass
class DataBudget:
    """Charged with the step's input first, then its local and output; each value is measured
    once. A limit of 0 or less measures nothing."""

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
