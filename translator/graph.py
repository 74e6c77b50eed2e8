"""The FlowGraph: a compiled flow as plain JSON data, ready for the interpreter.

A FlowGraph is pinned into every execution's input, so it must be JSON-serialisable, stable and
complete: the interpreter walks it without parsing any string again. Mapping sources, conditions
and paths are already compiled (see `translator.expressions`), `goto` names are resolved to
positions in the step's own sequence, and every step has a flow-wide unique `id`.

Sequences are lists of step nodes. After a step finishes, the interpreter continues at the
index in `next` (a choice option's or catch policy's `goto` overrides it); `next: None` ends the
sequence, which is how `end: true`, `succeed` and falling off the end are all expressed.

`FORMAT_VERSION` changes whenever this shape changes incompatibly; the interpreter refuses
graphs of a format it does not know instead of misreading them.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from translator.expressions import Condition, Mapping, PathSpec, Source
from translator.resources import Resource

FORMAT_VERSION = 1

StepType = Literal["task", "pass", "wait", "choice", "succeed", "fail", "parallel", "foreach"]
Pattern = Literal["requestResponse", "sync", "waitForCallback"]


class RetryNode(TypedDict):
    errors: list[str]
    intervalSeconds: float
    maxIntervalSeconds: float
    maxAttempts: int
    multiplier: float


class CatchNode(TypedDict):
    errors: list[str]
    goto: int
    gotoName: str


class ServiceParam(TypedDict):
    key: str
    source: Source


class OptionNode(TypedDict):
    """A choice option; `condition` is None for the default option."""

    condition: Condition | None
    conditionText: str | None
    steps: list[StepNode]
    goto: int | None
    gotoName: str | None


class StepNode(TypedDict):
    id: int
    name: str
    type: StepType
    path: str
    next: int | None
    inputMappings: list[Mapping] | None
    outputMappings: list[Mapping] | None
    # task
    resource: NotRequired[Resource]
    pattern: NotRequired[Pattern]
    timeoutSeconds: NotRequired[int | None]
    serviceParams: NotRequired[list[ServiceParam] | None]
    errorMappings: NotRequired[list[Mapping] | None]
    retry: NotRequired[list[RetryNode]]
    catch: NotRequired[list[CatchNode]]
    # wait
    duration: NotRequired[Source | None]
    timestamp: NotRequired[Source | None]
    # choice
    choices: NotRequired[list[OptionNode]]
    default: NotRequired[OptionNode | None]
    # fail
    error: NotRequired[str]
    cause: NotRequired[str]
    # parallel
    branches: NotRequired[list[list[StepNode]]]
    # foreach
    collection: NotRequired[PathSpec]
    item: NotRequired[str]
    index: NotRequired[str | None]
    maxConcurrency: NotRequired[int]
    steps: NotRequired[list[StepNode]]


class FlowGraph(TypedDict):
    format: int
    fdlVersion: str
    timeoutSeconds: int
    inputMappings: list[Mapping] | None
    outputMappings: list[Mapping] | None
    steps: list[StepNode]
    stepCount: int


class GraphFormatError(ValueError):
    pass


def check_format(graph: FlowGraph) -> FlowGraph:
    """Reject a graph written by an incompatible translator before interpreting any of it."""
    found = graph.get("format") if isinstance(graph, dict) else None
    if found != FORMAT_VERSION:
        raise GraphFormatError(
            f"FlowGraph format {found!r} is not supported (this build reads {FORMAT_VERSION})"
        )
    return graph


def iter_steps(steps: list[StepNode]) -> list[StepNode]:
    """Every step node of a sequence and of all nested sequences, in document order."""
    found: list[StepNode] = []
    for step in steps:
        found.append(step)
        for nested in child_sequences(step):
            found.extend(iter_steps(nested))
    return found


def child_sequences(step: StepNode) -> list[list[StepNode]]:
    """The sequences nested directly in a step (branches, iteration body, choice options)."""
    if step["type"] == "parallel":
        return list(step["branches"])
    if step["type"] == "foreach":
        return [step["steps"]]
    if step["type"] == "choice":
        options = list(step["choices"])
        if step.get("default"):
            options.append(step["default"])  # type: ignore[arg-type]
        return [option["steps"] for option in options]
    return []
