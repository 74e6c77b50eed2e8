"""Compile a validated FlowDocument into a FlowGraph (see `translator.graph`)."""

from __future__ import annotations

from typing import Any

from translator.expressions import Mapping, Source, compile_source, parse_condition, parse_path
from translator.graph import (
    FORMAT_VERSION,
    CatchNode,
    FlowGraph,
    OptionNode,
    RetryNode,
    ServiceParam,
    StepNode,
)
from translator.model import (
    ChoiceDefault,
    ChoiceOption,
    ChoiceStep,
    FailStep,
    FlowDocument,
    ForeachStep,
    MappingEntry,
    ParallelStep,
    Step,
    TaskStep,
    WaitStep,
)
from translator.model.steps import MAX_FOREACH_CONCURRENCY, ONE_YEAR_SECONDS
from translator.resources import parse_action, parse_resource_arn


def compile_document(document: FlowDocument) -> FlowGraph:
    compiler = _Compiler()
    steps = compiler.sequence(document.steps, "steps")
    return FlowGraph(
        format=FORMAT_VERSION,
        fdlVersion=document.version,
        timeoutSeconds=document.timeoutSeconds or ONE_YEAR_SECONDS,
        inputMappings=compile_mappings(document.inputMappings),
        outputMappings=compile_mappings(document.outputMappings),
        steps=steps,
        stepCount=compiler.step_count,
    )


def compile_mappings(entries: list[MappingEntry] | None) -> list[Mapping] | None:
    if entries is None:
        return None
    return [Mapping(target=e.target, source=compile_source(e.source)) for e in entries]


def input_source(value: Any) -> Source:
    """serviceParams, wait and foreach values: `$` / `$.x` read the step input, else constant."""
    if isinstance(value, str) and value.startswith("$"):
        return {"ref": "input", "path": parse_path(value)}
    return {"const": value}


class _Compiler:
    def __init__(self) -> None:
        self.step_count = 0

    def sequence(self, steps: list[Step], path: str) -> list[StepNode]:
        index = {step.name: i for i, step in enumerate(steps)}
        return [self.step(step, f"{path}[{i}]", i, index) for i, step in enumerate(steps)]

    def step(self, step: Step, path: str, position: int, index: dict[str, int]) -> StepNode:
        node = StepNode(
            id=self.step_count,
            name=step.name,
            type=step.type,
            path=path,
            next=_next(step, position, len(index)),
            inputMappings=compile_mappings(step.inputMappings),
            outputMappings=compile_mappings(step.outputMappings),
        )
        self.step_count += 1
        if isinstance(step, TaskStep):
            self._task(node, step, index)
        elif isinstance(step, WaitStep):
            node["duration"] = None if step.duration is None else input_source(step.duration)
            node["timestamp"] = None if step.timestamp is None else input_source(step.timestamp)
        elif isinstance(step, ChoiceStep):
            self._choice(node, step, path, index)
        elif isinstance(step, FailStep):
            node["error"] = step.error or ""
            node["cause"] = step.cause or ""
        elif isinstance(step, ParallelStep):
            node["branches"] = [
                self.sequence(branch.steps, f"{path}.branches[{b}].steps")
                for b, branch in enumerate(step.branches)
            ]
        elif isinstance(step, ForeachStep):
            self._foreach(node, step, path)
        return node

    def _task(self, node: StepNode, step: TaskStep, index: dict[str, int]) -> None:
        if step.resourceArn is not None:
            node["resource"] = parse_resource_arn(step.resourceArn)
        else:
            node["resource"] = parse_action(str(step.action))
        node["pattern"] = step.pattern
        node["timeoutSeconds"] = step.timeoutSeconds
        node["serviceParams"] = (
            None
            if step.serviceParams is None
            else [
                ServiceParam(key=k, source=input_source(v)) for k, v in step.serviceParams.items()
            ]
        )
        node["errorMappings"] = compile_mappings(step.errorMappings)
        node["retry"] = [
            RetryNode(
                errors=list(policy.errors),
                intervalSeconds=policy.intervalSeconds,
                maxIntervalSeconds=policy.maxIntervalSeconds,
                maxAttempts=policy.maxAttempts,
                multiplier=policy.multiplier,
            )
            for policy in step.retry or []
        ]
        node["catch"] = [
            CatchNode(errors=list(policy.errors), goto=index[policy.goto], gotoName=policy.goto)
            for policy in step.catch or []
        ]

    def _choice(self, node: StepNode, step: ChoiceStep, path: str, index: dict[str, int]) -> None:
        node["choices"] = [
            self._option(option, f"{path}.choices[{c}]", index)
            for c, option in enumerate(step.choices)
        ]
        node["default"] = (
            None if step.default is None else self._option(step.default, f"{path}.default", index)
        )

    def _option(
        self, option: ChoiceOption | ChoiceDefault, path: str, index: dict[str, int]
    ) -> OptionNode:
        condition = option.condition if isinstance(option, ChoiceOption) else None
        return OptionNode(
            condition=None if condition is None else parse_condition(condition),
            conditionText=condition,
            steps=self.sequence(option.steps or [], f"{path}.steps"),
            goto=None if option.goto is None else index[option.goto],
            gotoName=option.goto,
        )

    def _foreach(self, node: StepNode, step: ForeachStep, path: str) -> None:
        node["collection"] = parse_path(step.iterationMapping.collection)
        node["item"] = step.iterationMapping.item
        node["index"] = step.iterationMapping.index
        node["maxConcurrency"] = step.maxConcurrency or MAX_FOREACH_CONCURRENCY
        node["steps"] = self.sequence(step.steps, f"{path}.steps")


def _next(step: Step, position: int, length: int) -> int | None:
    """Where the sequence continues when the step ends without a jump (None: it ends)."""
    if step.type in ("succeed", "fail") or getattr(step, "end", False):
        return None
    return position + 1 if position + 1 < length else None
