"""`fnf test-step`: one step evaluated on its own, the FDL counterpart of Step Functions'
TestState API (a state's input and output processing, a Choice's chosen branch, and for a Task
the retry or catch that a given error meets, without running the rest of the machine).

Nothing here is a second interpreter: the step's mappings and a choice's conditions are the
plans the interpreter compiles (worker/interpreter/plans.py), the data rules are its own
(worker/interpreter/data.py), a wait's delay and a foreach's collection are read by the step
executors' own functions (so a value the run fails on fails here too), a retry is decided by
the task activity's `next_retry` (worker/activities/retry.py) with its per-retrier counters,
and a catch is matched as sequence.py matches it. Task responses are the mock file's
(worker/mocking/model.py): each attempt takes the next one, so a list of errors followed by a
return shows retries that end in success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from translator.graph import FlowGraph, StepNode, child_sequences
from worker.activities.retry import count_retry, next_retry
from worker.interpreter.context import ExecutionFacts, context_object
from worker.interpreter.data import error_output, merge, step_output
from worker.interpreter.failures import INVALID_LOCAL, StepFailure, matches
from worker.interpreter.plans import StepPlan, plan_step
from worker.interpreter.steps.fanout import foreach_items
from worker.interpreter.steps.wait import wait_seconds
from worker.mocking.model import MOCK_MISSING, MockResponse, expanded

PLACEHOLDER_TOKEN = "<task token>"
"""What `$context.task.token` reads for a waitForCallback step (no execution issues one)."""

MAX_ATTEMPTS_SHOWN = 1000


class StepNotFound(LookupError):
    """No step has that name, or several do (in different scopes) and no path chose one."""


@dataclass
class Located:
    node: StepNode
    siblings: list[StepNode]


@dataclass
class StepCheck:
    """What one visit of the step does with the given input (JSON: `as_json`)."""

    step: str
    type: str
    path: str
    input: dict[str, Any] | None = None
    """The step's input after inputMappings ($input inside the step)."""
    local: Any = None
    """The step's own $local: a task's result or callback report, a choice option's local."""
    output: dict[str, Any] | None = None
    """After outputMappings: what the step adds to its scope's $local."""
    scope_local: dict[str, Any] | None = None
    """The scope's $local after the step."""
    next: str | None = None
    """The step that runs next (None: the sequence ends, or the step fails)."""
    choice: dict[str, Any] | None = None
    wait_seconds: float | None = None
    """A wait step's delay for this input, as its timer would get it (0: a time past)."""
    iterations: int | None = None
    """A foreach step's number of items in its collection."""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    """Each task attempt: its response and what it led to (a retry with its retrier and
    backoff, success, a catch, or the step's failure)."""
    error: str | None = None
    cause: str | None = None
    caught: dict[str, Any] | None = None
    """The catch that took the error: its index, errors, goto, and the errorMappings output."""
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The fields that apply, in FnF's camelCase (`scopeLocal`); `next` always."""
        shown = {
            _camel(key): value for key, value in self.__dict__.items() if value not in (None, [])
        }
        shown["next"] = self.next
        return shown


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def locate(graph: FlowGraph, name: str) -> Located:
    """The step called `name`, or at `name` as a path (`Parallel/branches[0]/Step`-style paths
    are the compiled graph's `path`)."""
    found: list[Located] = []

    def walk(steps: list[StepNode]) -> None:
        for step in steps:
            if name in (step["name"], step["path"]):
                found.append(Located(step, steps))
            for nested in child_sequences(step):
                walk(nested)

    walk(graph["steps"])
    if len(found) == 1:
        return found[0]
    if not found:
        raise StepNotFound(f"the flow has no step named {name!r}")
    paths = ", ".join(located.node["path"] for located in found)
    raise StepNotFound(f"several steps are named {name!r}; give one's path: {paths}")


def check_step(
    graph: FlowGraph,
    name: str,
    container_input: dict[str, Any],
    container_local: dict[str, Any] | None = None,
    responses: list[MockResponse] | None = None,
    flow_name: str = "flow",
    repeat_last: bool = False,
) -> StepCheck:
    """Evaluate step `name` once: its scope's $input is `container_input` and its $local
    `container_local`. A task's attempts take `responses` in turn (each repeated `times`);
    when they run out the attempt fails with fnf.MockMissing, as in `fnf test`, unless
    `repeat_last` (one --error on the command line: the whole retry schedule)."""
    located = locate(graph, name)
    node, local = located.node, dict(container_local or {})
    plan = plan_step(node)
    waits = node.get("pattern") == "waitForCallback"
    facts = ExecutionFacts(flow_name, "test-step")
    context = context_object(facts, node["name"], 0, PLACEHOLDER_TOKEN if waits else None)
    check = StepCheck(node["name"], node["type"], node["path"])
    value = merge(container_input, local) if plan.inputs is None else None
    if plan.inputs is not None:
        value = plan.inputs.evaluate(container_input, local, context)
    assert value is not None
    check.input = value
    kind = node["type"]
    if kind == "task":
        listed = expanded(responses or [])
        return _task(check, located, plan, value, local, context, listed, repeat_last)
    if kind == "fail":
        check.error, check.cause = node.get("error", ""), node.get("cause", "")
        return check
    step_local: Any = {}
    jump = node["next"]
    try:
        if kind == "choice":
            step_local, jump = _choice(check, plan, node, value)
        elif kind == "wait":
            check.wait_seconds = wait_seconds(node, value, _wall_clock)
        elif kind in ("parallel", "foreach"):
            if kind == "foreach":
                check.iterations = len(foreach_items(node, value))
            check.note = f"the {kind} step's members are not run here (run the flow with fnf test)"
    except StepFailure as failure:
        check.error, check.cause = failure.error, failure.cause
        return check
    return _finish(check, located, plan, value, step_local, local, context, jump)


def _wall_clock() -> datetime:
    """A wait's timestamp is compared with now: the wall clock, as no execution runs."""
    return datetime.now(UTC)


def _choice(
    check: StepCheck, plan: StepPlan, node: StepNode, value: dict[str, Any]
) -> tuple[Any, int | None]:
    for index, (holds, option) in enumerate(plan.choices):
        if holds is not None and holds(value):
            check.choice = {"option": index, "condition": option["conditionText"]}
            break
    else:
        option = node.get("default")  # type: ignore[assignment]
        check.choice = {"option": "default"} if option is not None else {"option": None}
    if option is None:
        return {}, node["next"]
    check.choice["goto"] = option["gotoName"]
    check.choice["steps"] = [step["name"] for step in option["steps"]]
    if option["steps"]:
        check.note = "the option's own steps are not run here; its $local is taken as {}"
    return {}, option["goto"] if option["goto"] is not None else node["next"]


def _task(
    check: StepCheck,
    located: Located,
    plan: StepPlan,
    value: dict[str, Any],
    local: dict[str, Any],
    context: dict[str, Any],
    responses: list[MockResponse],
    repeat_last: bool,
) -> StepCheck:
    node = located.node
    if not responses:
        check.note = "no response given (--result, --error or --mock): mappings only"
        return check
    policies = node.get("retry", [])
    counters: list[int] = []
    for number in range(1, MAX_ATTEMPTS_SHOWN + 1):
        error: str | None
        if number > len(responses) and not repeat_last:
            error, cause, result = MOCK_MISSING, _ran_out(node["name"], len(responses)), None
        else:
            error, cause, result = _outcome(responses[min(number, len(responses)) - 1])
        attempt: dict[str, Any] = {"attempt": number}
        check.attempts.append(attempt)
        if error is None:
            attempt["result"] = result
            return _finish(check, located, plan, value, result, local, context, node["next"])
        attempt.update(error=error, cause=cause)
        decision = next_retry(policies, counters, error)
        if decision is None:
            return _unhandled(check, located, value, local, error, cause, number - 1)
        counters = count_retry(counters, decision, len(policies))
        attempt["retry"] = {
            "retrier": decision.policy,
            "errors": policies[decision.policy]["errors"],
            "delaySeconds": decision.delay_seconds,
            "retriesUsed": counters[decision.policy],
        }
    check.note = f"stopped after {MAX_ATTEMPTS_SHOWN} attempts"
    return check


def _ran_out(step: str, listed: int) -> str:
    return f"task step {step!r} has only {listed} response{'s' if listed != 1 else ''}"


def _outcome(response: MockResponse) -> tuple[str | None, str, Any]:
    """(error, cause, result) of one attempt: a callback report stands for the task's end."""
    if response.error is not None:
        return response.error, response.cause, None
    report = response.callback
    if report is not None and report.fail is not None:
        return report.fail.error, report.fail.cause, None
    result = report.succeed if report is not None else response.output
    if not isinstance(result, dict):
        return INVALID_LOCAL, "the result is not a JSON object", None
    return None, "", result


def _unhandled(
    check: StepCheck,
    located: Located,
    value: dict[str, Any],
    local: dict[str, Any],
    error: str,
    cause: str,
    retries: int,
) -> StepCheck:
    """No retry left: the first catch that lists the error goes to its step, else the step
    fails (as worker/interpreter/sequence.py handles a StepFailure)."""
    node = located.node
    check.error, check.cause = error, cause
    for index, policy in enumerate(node.get("catch", [])):
        if matches(error, policy["errors"]):
            mapped = error_output(node.get("errorMappings"), value, error, cause)
            check.caught = {
                "catch": index,
                "errors": policy["errors"],
                "goto": policy["gotoName"],
                "retryCount": retries,
                "errorMappings": mapped,
            }
            check.scope_local = merge(local, mapped)
            check.next = policy["gotoName"]
            return check
    return check


def _finish(
    check: StepCheck,
    located: Located,
    plan: StepPlan,
    value: dict[str, Any],
    step_local: Any,
    local: dict[str, Any],
    context: dict[str, Any],
    jump: int | None,
) -> StepCheck:
    node = located.node
    check.local = step_local
    if plan.outputs is None:
        output = step_output(None, node["type"], value, step_local, {})
    else:
        output = plan.outputs.evaluate(value, step_local, context)
    check.output = output
    check.scope_local = merge(local, output)
    check.next = None if jump is None else located.siblings[jump]["name"]
    return check
