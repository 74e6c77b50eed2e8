"""pass, succeed, fail and choice steps run straight through, without an executor's coroutines.

A loop of inline steps runs the same few nodes thousands of times, and the generic path
(`Interpreter.run_step` -> `_run_step` -> the executor's `execute` -> its `run`) costs a
coroutine, an await and a StepRun object per layer at every step. None of them ever yields for
these steps: a pass, succeed or fail step is pure computation, and a choice awaits only the
sequence of the option it takes. So these steps run here as plain functions (a choice as one
coroutine around its option's sequence) that do exactly what the generic path does, in the
same order: the same events with the same ids, times and data, the same quota checks, the same
work meter charge, the same patch questions, the same errors, and the same redrive marks.
`tests/worker/test_inline_fast.py` runs random inline flows both ways and compares every event,
the output and the commands (a history recorded one way replays the other).

`COMPILED` turns the straight path off (every step then takes the generic path): a switch for
those tests and for measuring, not a setting.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from translator.graph import StepNode
from worker.interpreter import versions
from worker.interpreter.budget import INPUT_BOUND_PATCH, check_payload
from worker.interpreter.context import context_object
from worker.interpreter.data import step_output
from worker.interpreter.events import CLOSED, OPENED, PASSED, EventLog
from worker.interpreter.failures import StepFailure
from worker.interpreter.plans import StepPlan
from worker.interpreter.redrive import mark_step, take_frame

if TYPE_CHECKING:
    from worker.interpreter.sequence import Interpreter

COMPILED = True
"""Whether pass, succeed, fail and choice steps take the straight path (tests turn it off)."""

FOLDED = True
"""Whether the straight path keeps a step's events as folded records (worker/interpreter/
events.py `Folded`) rather than row by row: a switch for tests and measuring, not a setting."""

PLAIN = frozenset({"pass", "succeed", "fail"})
"""Steps that never await anything: run by `run_plain`, no coroutine at all."""


def straight(interpreter: Interpreter, node: StepNode, redrive: Any) -> str | None:
    """The kind of step `node` is when it takes the straight path ("plain" or "choice"),
    else None: a redriven step (its point to follow), and runs that charge the old per-step
    budget, take the generic path."""
    if not COMPILED or redrive is not None or interpreter.budget_per_step:
        return None
    kind = node["type"]
    if kind in PLAIN:
        return "plain"
    if kind == "choice":
        return "choice"
    return None


def run_plain(
    interpreter: Interpreter, node: StepNode, container_input: Any, local: dict[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """A pass, succeed or fail step, as `Interpreter.run_step` runs it. A pass or succeed
    step that folds (`StepPlan.folds`) runs here from end to end, in as few calls as can be:
    a loop runs it thousands of times."""
    interpreter.meter.charge()
    log = interpreter.log
    entered_id = log.first_id + log.count
    try:
        plans = interpreter.plans
        plan = plans.by_id.get(id(node))
        if plan is None or plan.node is not node:
            plan = plans.of(node)
        merge = log.sizes.merge if log.data_limit > 0 else log.merge
        context = None
        if plan.reads_context:
            context = context_object(interpreter.facts, node["name"], entered_id, None)
        inputs = plan.inputs
        if inputs is None:
            value = merge(container_input, local)
        else:
            value = inputs.evaluate(container_input, local, context)
        if plan.folds and FOLDED:
            name = node["name"]
            if log.data_limit > 0:
                time = log.enters_at(name, value)
            else:
                time = _enters_folded(log, name, value)
            if time is not None:
                try:
                    outputs = plan.outputs  # _exits_folded (PASSED), inline
                    output = {} if outputs is None else outputs.evaluate(value, {}, context)
                    exited = merge(local, output)
                    over = log.folds(PASSED, name, time, entered_id, value, exited)
                    if over is not None:
                        raise over
                except StepFailure as failed:
                    log.unfold(PASSED, name, time, entered_id, value, None, 3)
                    return interpreter.handle_failure(node, value, local, failed, entered_id)
                except Exception:  # nothing awaits in here: no cancellation to pass on
                    log.unfold(PASSED, name, time, entered_id, value, None, 3)
                    raise
                return exited, node["next"]
        return _plain(interpreter, node, plan, context, value, local, entered_id)
    except Exception as error:
        failure = interpreter.unexpected(node, error, entered_id)
        if failure is None:
            raise
        raise failure from None


def _entered(
    interpreter: Interpreter,
    node: StepNode,
    plan: StepPlan,
    container_input: Any,
    local: dict[str, Any],
    entered_id: int,
) -> tuple[dict[str, Any] | None, Any]:
    """The step's `$context` (when its mappings read it) and its input."""
    context = None
    if plan.reads_context:
        context = context_object(interpreter.facts, node["name"], entered_id, None)
    inputs = plan.inputs
    if inputs is None:
        return context, interpreter.log.merge(container_input, local)
    return context, inputs.evaluate(container_input, local, context)


def _record_entered(interpreter: Interpreter, name: str, value: Any) -> None:
    log = interpreter.log
    log.record_step("StepEntered", name, {"input": value})
    if log.data_limit <= 0 and versions.patched(INPUT_BOUND_PATCH):
        check_payload("StepEntered", name, "input", value)


def _exited(
    interpreter: Interpreter,
    node: StepNode,
    plan: StepPlan,
    context: dict[str, Any] | None,
    value: Any,
    step_local: Any,
    local: dict[str, Any],
    entered_id: int,
) -> dict[str, Any]:
    """The step's output merged into the container's local, and its StepExited."""
    outputs = plan.outputs
    if outputs is None:
        output = step_output(None, node["type"], value, step_local, {})
    else:
        output = outputs.evaluate(value, step_local, context)
    log = interpreter.log
    exited = log.merge(local, output)
    log.record_step("StepExited", node["name"], {"input": value, "local": exited}, entered_id)
    return exited


def _plain(
    interpreter: Interpreter,
    node: StepNode,
    plan: StepPlan,
    context: dict[str, Any] | None,
    value: Any,
    local: dict[str, Any],
    entered_id: int,
) -> tuple[dict[str, Any], int | None]:
    """A pass, succeed or fail step recording its events one by one."""
    name = node["name"]
    log = interpreter.log
    try:
        _record_entered(interpreter, name, value)
        if node["type"] == "fail":
            log.record("StepStarted", name, None, entered_id, None)
            raise StepFailure(node.get("error", ""), node.get("cause", ""))
        log.mark("StepStarted", name, entered_id)
        step_local: dict[str, Any] = {}
        log.mark("StepSucceeded", name, entered_id)
        exited = _exited(interpreter, node, plan, context, value, step_local, local, entered_id)
    except StepFailure as failure:
        return interpreter.handle_failure(node, value, local, failure, entered_id)
    return exited, node["next"]


def _enters_folded(log: EventLog, name: str, value: Any) -> str | None:
    """The Time of the step's events when it may fold its StepEntered (and StepStarted),
    else None: nothing is recorded or changed yet, and the step records its events one by
    one, failing exactly where it always did (an input over the quota or over one payload).
    With a quota this is `EventLog.enters_at` alone; without, Temporal's payload limit is
    checked first (where the events recorded one by one check it: both precede anything
    the step sends, so the patch question comes at the same point of the commands)."""
    if log.data_limit <= 0 and versions.patched(INPUT_BOUND_PATCH):
        try:
            check_payload("StepEntered", name, "input", value)
        except StepFailure:
            return None
    return log.enters_at(name, value)


async def run_choice(
    interpreter: Interpreter, node: StepNode, container_input: Any, local: dict[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """A choice step, as `Interpreter.run_step` runs it: one coroutine (the generic path's
    handlers nested in it), awaiting only the sequence of the option it takes."""
    interpreter.meter.charge()
    log = interpreter.log
    entered_id = log.first_id + log.count
    try:
        name = node["name"]
        plans = interpreter.plans
        plan = plans.by_id.get(id(node))
        if plan is None or plan.node is not node:
            plan = plans.of(node)
        context = None
        if plan.reads_context:
            context = context_object(interpreter.facts, name, entered_id, None)
        inputs = plan.inputs
        if inputs is None:
            value = (log.sizes.merge if log.data_limit > 0 else log.merge)(container_input, local)
        else:
            value = inputs.evaluate(container_input, local, context)
        try:
            if not FOLDED:
                time = None
            elif log.data_limit > 0:
                time = log.enters_at(name, value, opens=True)  # OPENED folded, if it may
            else:
                time = _enters_folded(log, name, value)
                if time is not None:
                    log.fold(OPENED, name, time, 0, value, None)
            if time is None:
                _record_entered(interpreter, name, value)
                log.mark("StepStarted", name, entered_id)
            option = plan.select(value)
            jump = None
            step_local: dict[str, Any] = {}
            if option is not None:
                steps = option["steps"]
                try:
                    first = interpreter.first_plain(steps, value)
                    if first is None:
                        step_local = await interpreter.run_sequence(steps, value, None)
                    elif first[1] is None:
                        step_local = first[0]
                    else:
                        resume = {"local": first[0], "position": first[1]}
                        step_local = await interpreter.run_sequence(steps, value, resume, 1)
                except (StepFailure, asyncio.CancelledError) as error:
                    mark_step(error, {"option": take_frame(error)})  # as ChoiceStep marks it
                    raise
                jump = option["goto"]
            if FOLDED:  # _exits_folded (CLOSED), inline
                time = "" if log.closed else log.time_now()
                try:
                    outputs = plan.outputs
                    if outputs is None:  # step_output of a choice: its option's local
                        output = step_local if type(step_local) is dict else {}
                    else:
                        output = outputs.evaluate(value, step_local, context)
                    merge = log.sizes.merge if log.data_limit > 0 else log.merge
                    exited = merge(local, output)
                    over = log.folds(CLOSED, name, time, entered_id, value, exited)
                    if over is not None:
                        raise over
                except Exception:  # nothing awaits in here: no cancellation to pass on
                    log.unfold(CLOSED, name, time, entered_id, value, None, 1)
                    raise
            else:
                log.mark("StepSucceeded", name, entered_id)
                exited = _exited(
                    interpreter, node, plan, context, value, step_local, local, entered_id
                )
        except StepFailure as failure:
            return interpreter.handle_failure(node, value, local, failure, entered_id)
        except asyncio.CancelledError:
            log.record("StepFailed", name, interpreter.scope.why().detail(), entered_id)
            raise
        return exited, jump if jump is not None else node["next"]
    except Exception as error:
        unexpected = interpreter.unexpected(node, error, entered_id)
        if unexpected is None:
            raise
        raise unexpected from None
