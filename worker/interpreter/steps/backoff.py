"""An FDL retry's backoff between two attempts of a task: a durable timer (DESIGN 5) that the
Temporal UI names, and a line of the run's current details while it runs."""

from __future__ import annotations

from temporalio import workflow

from worker.interpreter.legible import backoff_summary, step_label, until
from worker.interpreter.steps.base import StepRun


async def retry_backoff(run: StepRun, error: str, attempt: int, seconds: float) -> None:
    """Sleep `seconds` before attempt `attempt`, which `error` made necessary."""
    name, path = run.node["name"], run.interpreter.path
    doing = f"retry backoff of task {step_label(name, path)} after {error}: "
    doing += f"attempt {attempt} at {until(seconds)}"
    with run.interpreter.details.doing(doing):
        await workflow.sleep(seconds, summary=backoff_summary(name, path, error, attempt, seconds))
