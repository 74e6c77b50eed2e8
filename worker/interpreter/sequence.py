"""Run a `steps:` list: data flow between steps, jumps, catch, and the step events."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from translator.graph import StepNode
from worker.interpreter import inline, versions
from worker.interpreter.attempt_reports import AttemptReports
from worker.interpreter.budget import INPUT_BOUND_PATCH, DataBudget, check_payload
from worker.interpreter.callbacks import Callbacks
from worker.interpreter.cancellation import CancelScope, Reason
from worker.interpreter.context import ExecutionFacts, context_object
from worker.interpreter.data import error_output, step_input, step_output
from worker.interpreter.events import EventLog
from worker.interpreter.failures import (
    UNEXPECTED_ERROR_PATCH,
    StepFailure,
    is_unexpected,
    matches,
    unexpected_failure,
)
from worker.interpreter.inline import run_choice, run_plain, straight
from worker.interpreter.legible import CurrentDetails, caught_note
from worker.interpreter.local_functions import LocalFunctions
from worker.interpreter.parts import PartRuns
from worker.interpreter.plans import Plans
from worker.interpreter.redrive import Frame, StepPoint, mark_frame
from worker.interpreter.steps import EXECUTORS
from worker.interpreter.steps.base import StepRun
from worker.interpreter.work import WorkMeter


@dataclass
class Interpreter:
    facts: ExecutionFacts
    log: EventLog
    callbacks: Callbacks = field(default_factory=Callbacks)
    attempt_reports: AttemptReports = field(default_factory=AttemptReports)
    budget_per_step: bool = False
    """Runs started before per-event quotas: a step's input, output and local together."""
    scope: CancelScope = field(default_factory=CancelScope)
    """Why this sequence's work would be cancelled (worker/interpreter/cancellation.py)."""
    child_stops: dict[str, Reason] = field(default_factory=dict)
    """Stop errors that `sync` sub-flows reported before they closed, by workflow id."""
    cancels_cleanly: bool = True
    """False for an execution started before the cancellation rules (cancellation.PATCH)."""
    routes_tasks: bool = False
    """Function tasks run on their registry `taskQueue` (runs since TASK_QUEUE_PATCH)."""
    local_functions: LocalFunctions = field(default_factory=LocalFunctions)
    """Which functions this run calls as local activities (registry `localActivity`)."""
    meter: WorkMeter = field(default_factory=WorkMeter)
    """The work done since the workflow last yielded, shared by every sequence of the run."""
    plans: Plans = field(default_factory=Plans)
    """What is compiled once per step node (worker/interpreter/plans.py), shared likewise."""
    parts: PartRuns | None = None
    """Starts child runs for large foreach steps and long nested sequences (parts.py)."""
    path: str = ""
    """The branch or iteration this sequence runs in (`Both#1/Each#0`; root: empty)."""
    details: CurrentDetails = field(default_factory=CurrentDetails)
    """What the run is doing now, as the Temporal UI shows it (legible.py), shared."""

    def __post_init__(self) -> None:
        self.plans.share_constants = self.log.lean

    def within(self, scope: CancelScope) -> Interpreter:
        """The same interpreter for the members of a parallel or foreach step."""
        return replace(self, scope=scope)

    def member(self, path: str) -> Interpreter:
        """The same interpreter for one branch or iteration, named by its path."""
        return replace(self, path=path)

    async def run_sequence(
        self,
        steps: list[StepNode],
        container_input: Any,
        start: Frame | None = None,
        ran: int = 0,
    ) -> dict[str, Any]:
        """Run from the first step (or, redriven, from `start`'s) until a step ends the
        sequence; returns its local. A failure or a stop leaving it carries where it was
        (worker/interpreter/redrive.py). `ran`: steps of the sequence already run (`start`
        then says where it goes on: `first_plain`)."""
        local: dict[str, Any] = {}
        position: int | None = 0 if steps else None
        point = None
        if start is not None:
            local, position, point = start["local"], start["position"], start.get("step")
        straight_ok = inline.COMPILED and not self.budget_per_step
        while position is not None:
            try:
                if self.parts is not None and self.parts.hands_over(self, steps, ran):
                    return await self.parts.run_rest(self, steps, position, local, container_input)
                if ran and self.meter.spent():
                    await self.meter.pause()  # a long loop inside a step: keep activations short
                node = steps[position]
                kind = node["type"] if straight_ok and point is None else ""  # inline.straight
                if kind in inline.PLAIN:
                    local, following = run_plain(self, node, container_input, local)
                elif kind == "choice":
                    local, following = await run_choice(self, node, container_input, local)
                else:
                    local, following = await self.run_step(node, container_input, local, point)
            except (StepFailure, asyncio.CancelledError) as error:
                mark_frame(error, position, local)
                raise
            point = None
            position = following
            ran += 1
        return local

    def first_plain(
        self, steps: list[StepNode], container_input: Any
    ) -> tuple[dict[str, Any], int | None] | None:
        """`run_sequence`'s first turn when its first step is a pass, succeed or fail step
        on the straight path, without a coroutine: its local and where the sequence goes on
        (`run_sequence(steps, container_input, {"local": ..., "position": ...}, ran=1)`).
        None, having run nothing, for any other first step, or when the sequence hands its
        rest over at once. A first turn never pauses (`ran` is 0)."""
        if not steps or not inline.COMPILED or self.budget_per_step:
            return None
        node = steps[0]
        if node["type"] not in inline.PLAIN:
            return None
        if self.parts is not None and self.parts.hands_over(self, steps, 0):
            return None
        local: dict[str, Any] = {}
        try:
            return run_plain(self, node, container_input, local)
        except (StepFailure, asyncio.CancelledError) as error:
            mark_frame(error, 0, local)
            raise

    def run_step(
        self,
        node: StepNode,
        container_input: Any,
        local: dict[str, Any],
        redrive: StepPoint | None = None,
    ) -> Awaitable[tuple[dict[str, Any], int | None]]:
        """One step, awaited: the container's new local and where the sequence continues.

        An unexpected error of the interpreter (not a StepFailure, not one of Temporal's)
        fails the step with FnF.RuntimeError naming it, past its catch: left to Temporal it
        would fail the workflow task, retried for ever (UNEXPECTED_ERROR_PATCH).

        pass, succeed, fail and choice steps take the straight path (worker/interpreter/
        inline.py), which does the same without an executor: a choice's coroutine is the
        step's awaitable itself, and a pass, succeed or fail step runs when it is called
        (its caller awaits at once), so neither costs a coroutine around it."""
        way = straight(self, node, redrive)
        if way == "plain":
            return _ready(run_plain(self, node, container_input, local))
        if way == "choice":
            return run_choice(self, node, container_input, local)
        return self._generic_step(node, container_input, local, redrive)

    async def _generic_step(
        self,
        node: StepNode,
        container_input: Any,
        local: dict[str, Any],
        redrive: StepPoint | None = None,
    ) -> tuple[dict[str, Any], int | None]:
        """`run_step` of a step with an executor (worker/interpreter/steps)."""
        self.meter.charge()
        # Minted before the step's event id is taken: minting may yield to sibling branches.
        secret = await self.callbacks.mint() if waits_for_callback(node) else None
        entered_id = self.log.next_id()
        try:
            return await self._run_step(node, container_input, local, entered_id, secret, redrive)
        except Exception as error:
            failure = self.unexpected(node, error, entered_id)
            if failure is None:
                raise
            raise failure from None

    def unexpected(self, node: StepNode, error: Exception, entered_id: int) -> StepFailure | None:
        """The step's FnF.RuntimeError for an unexpected `error` (its StepFailed recorded),
        or None when `error` is to propagate as it is."""
        if not is_unexpected(error) or not versions.patched(UNEXPECTED_ERROR_PATCH):
            return None
        failure = unexpected_failure(f"step {node['name']}", error)
        failure.located(node["name"], self.path)
        # Nothing awaits before StepEntered: if no event followed entered_id, it is unused.
        if self.log.next_id() > entered_id:
            failed = {"error": failure.error, "cause": failure.cause}
            self.log.record("StepFailed", node["name"], failed, entered_id, checked=False)
        return failure

    async def _run_step(
        self,
        node: StepNode,
        container_input: Any,
        local: dict[str, Any],
        entered_id: int,
        secret: str | None,
        redrive: StepPoint | None = None,
    ) -> tuple[dict[str, Any], int | None]:
        name = node["name"]
        plan = self.plans.of(node)
        waiting = None if secret is None else self.callbacks.issue(self.facts, entered_id, secret)
        remap = None
        if waiting is not None:
            remap = self._remapper(node, container_input, local, entered_id)
        run = StepRun(self, node, entered_id, plan, waiting, remap, redrive=redrive)
        context = run.context if plan.reads_context else None
        inputs = plan.inputs
        if inputs is None:
            value = self.log.merge(container_input, local)
        else:
            value = inputs.evaluate(container_input, local, context)
        budget = DataBudget(name, self.facts.step_data_limit) if self.budget_per_step else None
        try:
            self.log.record("StepEntered", name, {"input": value})
            if budget is not None:
                budget.charge(value)  # before the step runs anything
            if self.log.data_limit <= 0 and versions.patched(INPUT_BOUND_PATCH):
                check_payload("StepEntered", name, "input", value)
            outcome = await EXECUTORS[node["type"]].execute(node, value, run)
            outputs = plan.outputs
            if outputs is None:
                output = step_output(None, node["type"], value, outcome.local, {})
            else:
                output = outputs.evaluate(value, outcome.local, context)
            if budget is not None:
                budget.charge(outcome.local, output)
            exited = self.log.merge(local, output)
            self.log.record("StepExited", name, {"input": value, "local": exited}, entered_id)
        except StepFailure as failure:
            return self.handle_failure(node, value, local, failure, entered_id)
        except asyncio.CancelledError:
            self.log.record("StepFailed", name, self.scope.why().detail(), entered_id)
            raise
        return exited, outcome.jump if outcome.jump is not None else node["next"]

    def _remapper(
        self, node: StepNode, container_input: Any, local: dict[str, Any], entered_id: int
    ) -> Callable[[str], dict[str, Any]]:
        """The step's input mapped again with another task token (a retried callback)."""

        def remap(new_token: str) -> dict[str, Any]:
            new_context = context_object(self.facts, node["name"], entered_id, new_token)
            join = self.log.merge
            return step_input(node["inputMappings"], container_input, local, new_context, join)

        return remap

    def handle_failure(
        self,
        node: StepNode,
        value: dict[str, Any],
        local: dict[str, Any],
        failure: StepFailure,
        entered_id: int,
    ) -> tuple[dict[str, Any], int | None]:
        policy = next(
            (c for c in node.get("catch", []) if matches(failure.error, c["errors"])), None
        )
        name = node["name"]
        if policy is None:
            failed = {"error": failure.error, "cause": failure.cause}
            self.log.record("StepFailed", name, failed, entered_id, checked=False)
            raise failure.located(name, self.path)
        local = self.log.merge(
            local, error_output(node.get("errorMappings"), value, failure.error, failure.cause)
        )
        detail: dict[str, Any] = {
            "input": value,
            "local": local,
            "resourceArn": node["resource"]["arn"],
            "error": failure.error,
            "cause": failure.cause,
            "retryCount": failure.retry_count,
            "goto": policy["gotoName"],
        }
        self.log.record("StepExited", name, detail, entered_id, checked=False)
        self.details.caught = caught_note(
            name, self.path, failure.error, failure.cause, policy["gotoName"]
        )
        return local, policy["goto"]


async def _ready(outcome: tuple[dict[str, Any], int | None]) -> tuple[dict[str, Any], int | None]:
    return outcome


def waits_for_callback(node: StepNode) -> bool:
    return node["type"] == "task" and node.get("pattern") == "waitForCallback"
