"""One model per FDL step type. Field names are FDL's own, so they stay camelCase."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from translator.errors import ExpressionError
from translator.expressions import parse_condition, parse_path
from translator.model.base import FDLModel, describe, expression_error, fdl_error
from translator.model.mappings import Mappings
from translator.model.policies import CatchPolicy, RetryPolicy
from translator.resources import ResourceError, parse_action, parse_resource_arn

ONE_YEAR_SECONDS = 365 * 24 * 3600
MAX_WAIT_SECONDS = 2 * 24 * 3600
MAX_BRANCHES = 100
MAX_FOREACH_CONCURRENCY = 100

StepName = Annotated[str, Field(min_length=1, max_length=128)]


def check_input_path(value: str) -> str:
    """`$.key` style references into the step's mapped input (wait, foreach, serviceParams)."""
    try:
        parse_path(value)
    except ExpressionError as exc:
        raise expression_error(exc) from None
    return value


def parse_rfc3339(value: Any) -> datetime | None:
    """A zone-aware timestamp such as 2019-05-02T15:04:05Z, or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _service_param(value: Any) -> Any:
    """A `$`/`$.key` value reads the mapped step input; anything else is sent as it is."""
    if isinstance(value, str) and value.startswith("$"):
        return check_input_path(value)
    return value


ServiceParamValue = Annotated[Any, AfterValidator(_service_param)]


class StepBase(FDLModel):
    name: StepName
    inputMappings: Mappings | None = None
    outputMappings: Mappings | None = None


class SequentialStep(StepBase):
    """Steps after which the enclosing sequence may stop early with `end: true`."""

    end: bool = False


class TaskStep(SequentialStep):
    type: Literal["task"]
    resourceArn: str | None = None
    action: str | None = None
    pattern: Literal["requestResponse", "sync", "waitForCallback"] = "requestResponse"
    timeoutSeconds: int | None = Field(default=None, ge=1, le=ONE_YEAR_SECONDS)
    serviceParams: dict[str, ServiceParamValue] | None = None
    errorMappings: Mappings | None = None
    retry: list[RetryPolicy] | None = None
    catch: list[CatchPolicy] | None = None

    @field_validator("resourceArn")
    @classmethod
    def _arn_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_resource_arn(value)
            except ResourceError as exc:
                raise fdl_error(str(exc)) from None
        return value

    @field_validator("action")
    @classmethod
    def _action_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_action(value)
            except ResourceError as exc:
                raise fdl_error(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _one_target(self) -> TaskStep:
        if (self.resourceArn is None) == (self.action is None):
            raise fdl_error("a task needs exactly one of 'resourceArn' or 'action'")
        if self.pattern == "sync" and self.resourceArn and self.resourceArn.startswith("acs:mns"):
            raise fdl_error("pattern 'sync' is not available for MNS queues and topics")
        return self


class PassStep(SequentialStep):
    type: Literal["pass"]


class WaitStep(SequentialStep):
    """Sleep for `duration` seconds or until `timestamp`; either may be a `$.path` reference."""

    type: Literal["wait"]
    duration: Any = None
    timestamp: str | None = None

    @field_validator("duration")
    @classmethod
    def _duration_valid(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return check_input_path(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fdl_error(f"expected seconds or a $.path reference, got {describe(value)}")
        if not 0 <= value <= MAX_WAIT_SECONDS:
            raise fdl_error(f"must be between 0 and {MAX_WAIT_SECONDS} seconds, got {value}")
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_valid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("$"):
            return check_input_path(value)
        if parse_rfc3339(value) is None:
            raise fdl_error(
                f"invalid timestamp '{value}': expected RFC 3339, e.g. 2019-05-02T15:04:05Z"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitStep:
        if (self.duration is None) == (self.timestamp is None):
            raise fdl_error("a wait step needs exactly one of 'duration' or 'timestamp'")
        return self


class ChoiceOption(FDLModel):
    condition: str
    steps: list[Step] | None = None
    goto: StepName | None = None

    @field_validator("condition")
    @classmethod
    def _condition_parses(cls, value: str) -> str:
        try:
            parse_condition(value)
        except ExpressionError as exc:
            raise expression_error(exc, "invalid condition: ") from None
        return value


class ChoiceDefault(FDLModel):
    steps: list[Step] | None = None
    goto: StepName | None = None


class ChoiceStep(SequentialStep):
    """Alibaba's reference calls `choices` required, yet a third-party FDL generator emits a
    choice with only a `default` and those flows were deployed and ran: such a choice is
    accepted (with a warning from the validator) and always takes its default."""

    type: Literal["choice"]
    choices: list[ChoiceOption] = Field(default_factory=list)
    default: ChoiceDefault | None = None

    @field_validator("choices", mode="before")
    @classmethod
    def _null_is_absent(cls, value: Any) -> Any:
        """`choices:` with nothing after it (YAML null) is what a generator writes for no
        choices: the same as leaving `choices` out."""
        return [] if value is None else value

    @model_validator(mode="after")
    def _something_to_choose(self) -> ChoiceStep:
        if not self.choices and self.default is None:
            raise fdl_error("a choice needs 'choices' (or at least a 'default')")
        return self


class SucceedStep(StepBase):
    type: Literal["succeed"]


class FailStep(StepBase):
    type: Literal["fail"]
    error: str | None = Field(default=None, max_length=128)
    cause: str | None = Field(default=None, max_length=4096)


class Branch(FDLModel):
    steps: list[Step] = Field(min_length=1)


class ParallelStep(SequentialStep):
    type: Literal["parallel"]
    branches: list[Branch] = Field(min_length=1, max_length=MAX_BRANCHES)


class IterationMapping(FDLModel):
    collection: str
    item: str = Field(min_length=1)
    index: str | None = Field(default=None, min_length=1)

    @field_validator("collection")
    @classmethod
    def _collection_parses(cls, value: str) -> str:
        if not value.startswith("$"):
            raise fdl_error(
                f"collection must be a path into the step input like $.items, got '{value}'"
            )
        return check_input_path(value)


class ForeachStep(SequentialStep):
    type: Literal["foreach"]
    iterationMapping: IterationMapping
    steps: list[Step] = Field(min_length=1)
    maxConcurrency: int | None = Field(default=None, ge=1, le=MAX_FOREACH_CONCURRENCY)


Step = Annotated[
    TaskStep
    | PassStep
    | WaitStep
    | ChoiceStep
    | SucceedStep
    | FailStep
    | ParallelStep
    | ForeachStep,
    Field(discriminator="type"),
]

STEP_TYPES: dict[str, type[StepBase]] = {
    "task": TaskStep,
    "pass": PassStep,
    "wait": WaitStep,
    "choice": ChoiceStep,
    "succeed": SucceedStep,
    "fail": FailStep,
    "parallel": ParallelStep,
    "foreach": ForeachStep,
}

for _model in (ChoiceOption, ChoiceDefault, Branch, ForeachStep, ChoiceStep, ParallelStep):
    _model.model_rebuild()
