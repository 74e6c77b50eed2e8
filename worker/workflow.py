"""FnFFlow: the one generic Temporal workflow that interprets every FDL flow (DESIGN 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from translator.expressions import Scopes, evaluate_mappings
    from translator.graph import FlowGraph, check_format
    from worker.interpreter.context import ExecutionFacts
    from worker.interpreter.events import EventLog
    from worker.interpreter.failures import StepFailure
    from worker.interpreter.sequence import Interpreter

WORKFLOW_NAME = "FnFFlow"


@dataclass
class FlowRun:
    """The workflow input: the pinned definition (DESIGN 2) and the execution's input."""

    graph: dict[str, Any]
    input: dict[str, Any]
    flow_name: str
    execution_name: str


@workflow.defn(name=WORKFLOW_NAME)
class FnFFlow:
    def __init__(self) -> None:
        self._log = EventLog()

    @workflow.query(name="events")
    def events(self) -> list[dict[str, Any]]:
        """The FnF-shaped history so far (GetExecutionHistory reads it)."""
        return self._log.events

    @workflow.run
    async def run(self, run: FlowRun) -> dict[str, Any]:
        graph: FlowGraph = check_format(run.graph)  # type: ignore[arg-type]
        self._log.record("ExecutionStarted", detail={"input": run.input})
        interpreter = Interpreter(ExecutionFacts(run.flow_name, run.execution_name), self._log)
        flow_input = _mapped(graph["inputMappings"], run.input, {}, default=run.input)
        try:
            local = await interpreter.run_sequence(graph["steps"], flow_input)
        except StepFailure as failure:
            self._log.record(
                "ExecutionFailed", detail={"error": failure.error, "cause": failure.cause}
            )
            raise ApplicationError(failure.cause, type=failure.error, non_retryable=True) from None
        output = _mapped(graph["outputMappings"], flow_input, local, default=local)
        self._log.record("ExecutionSucceeded", detail={"output": output})
        return output


def _mapped(
    mappings: Any, value: dict[str, Any], local: dict[str, Any], default: dict[str, Any]
) -> dict[str, Any]:
    """Flow-level mappings: exactly the mapped object when present (even if empty)."""
    if mappings is None:
        return default
    return evaluate_mappings(mappings, Scopes(input=value, local=local, context={}))
