"""The mock file: named test cases of one flow, each with the responses its task steps get and
what the execution must end with (docs: README "Testing flows with mocked functions").

It follows Step Functions Local's mock configuration file (a response per invocation of a
mocked Task state, a `Return` value or a `Throw` with `Error` and `Cause`; AWS Step Functions
Developer Guide, "Configuration file for mocked service integrations") in FDL's terms and in
YAML. As there, responses are consumed per invocation of the step within the execution (every
retry attempt, every loop visit and every foreach iteration takes the next one), and a step
that runs out of responses, or a task step with no mock at all, fails the case: Step Functions
Local documents "If you do not specify a mocked response, the state machine execution will
fail". `times: N` repeats a response, like Step Functions Local's ranges (`"0-2"`).

The JSON schema (`fnf-mocks.schema.json` beside this module) is generated from these models
(`mock_schema`), and a test keeps the committed file equal to it.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from translator.graph import FlowGraph, StepNode, iter_steps
from translator.json_values import JsonValueError, check_json_value
from translator.names import FLOW
from translator.text_files import read_text
from translator.yaml_nesting import one_line
from translator.yaml_nesting import safe_load as nesting_limited_load
from worker.mocking.step_paths import is_path, resolve

SCHEMA_FILE = Path(__file__).with_name("fnf-mocks.schema.json")

MOCK_MISSING = "fnf.MockMissing"
"""The error a task attempt fails with when the case has no response for it (the case fails
whatever a catch then does, with the cause as its message)."""


def _entering(value: dict[str, Any], what: str) -> dict[str, Any]:
    """A value that enters an execution (a case's input, a callback's Output) passes the check
    every door applies (translator/json_values.py: finite numbers, integers of at most 1,000
    digits, at most 64 levels, valid Unicode), as `fnf run --input` and ReportTaskSucceeded do."""
    try:
        check_json_value(value, what)
    except JsonValueError as error:
        raise ValueError(str(error)) from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CallbackFailure(_Strict):
    """ReportTaskFailed's Error and Cause."""

    error: str = Field(min_length=1, max_length=128)
    cause: str = Field(default="", max_length=4096)


class CallbackReport(_Strict):
    """The report a waitForCallback task receives once it has submitted: ReportTaskSucceeded
    with `succeed` (the Output object) or ReportTaskFailed with `fail`."""

    succeed: dict[str, Any] | None = Field(
        default=None, description="ReportTaskSucceeded: the Output object, the step's $local."
    )
    fail: CallbackFailure | None = Field(
        default=None, description="ReportTaskFailed: the step fails with this error and cause."
    )

    @field_validator("succeed")
    @classmethod
    def _json_output(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return value if value is None else _entering(value, "the Output")

    @model_validator(mode="after")
    def _one_outcome(self) -> CallbackReport:
        if (self.succeed is None) == (self.fail is None):
            raise ValueError("a callback report has exactly one of `succeed` and `fail`")
        return self


class MockResponse(_Strict):
    """What one invocation of a task step gets: the function's (action's, MNS call's) result,
    or an error with its cause, after an optional delay."""

    returned: Any = Field(
        default=None,
        alias="return",
        description="The result (a JSON object; anything else fails with FnF.InvalidLocal, as "
        "a real function's would).",
    )
    error: str | None = Field(
        default=None,
        min_length=1,
        description="The error name the attempt fails with (what retry and catch match).",
    )
    cause: str = Field(default="", description="The error's cause.")
    delaySeconds: float = Field(
        default=0,
        ge=0,
        le=60,
        allow_inf_nan=False,  # NaN was refused as "should be less than or equal to 60"
        description="Real seconds the call takes. A delay of at least the step's timeoutSeconds "
        "fails the attempt at once with FnF.TaskTimeout, as the real call would time out.",
    )
    times: int = Field(
        default=1, ge=1, le=1000, description="How many invocations in a row get this response."
    )
    callback: CallbackReport | None = Field(
        default=None,
        description="waitForCallback tasks: the report delivered with the task token found in "
        "the step's input (its inputMappings must pass $context.task.token, as for a real "
        "worker).",
    )

    @model_validator(mode="after")
    def _one_outcome(self) -> MockResponse:
        given = "return" in self.model_fields_set or "returned" in self.model_fields_set
        if given and self.error is not None:
            raise ValueError("a response has `return` or `error`, not both")
        if not given and self.error is None and self.callback is None:
            raise ValueError("a response needs `return`, `error` or `callback`")
        if self.error is None and "cause" in self.model_fields_set:
            raise ValueError("`cause` goes with `error`")
        if self.error is not None and self.callback is not None:
            raise ValueError("a submit that fails (`error`) gets no `callback` report")
        return self

    @property
    def output(self) -> Any:
        """The result of a successful call (a callback task's submit without `return`: {})."""
        given = "returned" in self.model_fields_set
        return self.returned if given else {}


class Expectation(_Strict):
    """What the execution must end with; only the fields given are checked."""

    status: Literal["Succeeded", "Failed"] | None = None
    output: dict[str, Any] | None = Field(
        default=None, description="The execution's output, compared as JSON (exactly)."
    )
    steps: list[str] | None = Field(
        default=None,
        description="The steps entered (StepEntered events, at every depth, and the steps of "
        "sub-flows), in order, exactly; each entry is a step's path (`Both#1/Shaky`, "
        "`Call/Work` for step Work of the sub-flow step Call) or its bare name.",
    )
    error: str | None = Field(default=None, description="The execution's error (Failed).")
    cause: str | None = Field(default=None, description="The execution's cause (Failed).")
    calls: dict[str, int] | None = Field(
        default=None,
        description="Invocations of the named task steps (every attempt counts), exactly; a "
        "key with a member path (`Each#0/Work`) counts that iteration's only.",
    )


class TestCase(_Strict):
    """One execution of the flow: its input, its task steps' responses, its expectations."""

    __test__ = False  # not a pytest test class

    description: str = ""
    input: dict[str, Any] = Field(default_factory=dict, description="The execution's input.")
    mocks: dict[str, list[MockResponse]] = Field(
        default_factory=dict,
        description="Responses by task step name, consumed one per invocation (every attempt); "
        "a key with a path (`Both#1/Shaky`, `Each#0/Work`, `Both#1/Call/Work` through the "
        "sub-flow step Call) answers only that branch's, iteration's or sub-flow's invocations "
        "and wins over the bare name.",
    )
    expect: Expectation = Field(default_factory=Expectation)

    @field_validator("input")
    @classmethod
    def _json_input(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _entering(value, "the input")


class MockFile(_Strict):
    """Test cases of one flow (fnf-temporal's mock file, version v1)."""

    version: Literal["v1"] = "v1"
    flow: str | None = Field(
        default=None,
        description="The flow's name in the executions (default: the flow file's name, or its "
        "folder's for flow.yaml).",
    )
    mocks: dict[str, list[MockResponse]] = Field(
        default_factory=dict,
        description="Responses every case starts from; a case's own `mocks` replace a step's.",
    )
    cases: dict[str, TestCase] = Field(min_length=1)

    @field_validator("flow")
    @classmethod
    def _flow_name(cls, value: str | None) -> str | None:
        """The executions' flow name follows FnF's flow name grammar (translator/names.py)."""
        return value if value is None else FLOW.check(value)

    def case_mocks(self, name: str) -> dict[str, list[MockResponse]]:
        return {**self.mocks, **self.cases[name].mocks}


def expanded(responses: list[MockResponse]) -> list[MockResponse]:
    """One response per invocation: each repeated `times`."""
    return [response for response in responses for _ in range(response.times)]


class MockFileError(ValueError):
    """The mock file cannot be used; the message names the file and every problem."""


def load_mocks(path: str | Path) -> MockFile:
    file = Path(path)
    try:
        data = nesting_limited_load(read_text(file))
    except OSError as error:
        raise MockFileError(f"cannot read {file}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise MockFileError(
            f"{file}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except yaml.YAMLError as error:
        raise MockFileError(f"{file}: not YAML: {one_line(error)}") from None
    except ValueError as error:
        # PyYAML's constructors raise plain ValueError, e.g. for an integer longer than
        # Python's int-string conversion limit (sys.get_int_max_str_digits()).
        raise MockFileError(f"{file}: a value cannot be read: {error}") from None
    return parse_mocks(data, str(file))


def parse_mocks(data: Any, origin: str = "<mocks>") -> MockFile:
    try:
        return MockFile.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{origin}: {_location(issue['loc'])}: {issue['msg']}" for issue in error.errors()
        ]
        raise MockFileError("\n".join(problems)) from None


def _location(parts: tuple[int | str, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


def check_against_flow(
    mocks: MockFile,
    graph: FlowGraph,
    origin: str = "<mocks>",
    subflows: dict[str, Any] | None = None,
) -> None:
    """Every mocked name must be a task step that calls an activity, of the flow or of a
    sub-flow it runs (`subflows`, by name: a sub-flow step runs its flow, whose task steps
    take the case's responses by name too), and callback reports go to waitForCallback tasks
    only."""
    steps: dict[str, StepNode] = {}
    for flow in [*(subflows or {}).values(), graph]:  # the flow's own steps win a name
        steps |= {step["name"]: step for step in iter_steps(flow["steps"])}
    problems: list[str] = []
    places = [("mocks", mocks.mocks)] + [
        (f"cases.{name}.mocks", case.mocks) for name, case in mocks.cases.items()
    ]
    for where, table in places:
        for name, responses in table.items():
            if is_path(name):  # `Both#1/Shaky`, `Call/Work`: one member's or sub-flow's
                found = resolve(name, graph["steps"], subflows)
                why = found if isinstance(found, str) else _unfit_step(found, responses)
            else:
                why = _unfit(name, responses, steps)
            if why:
                problems.append(f"{origin}: {where}.{name}: {why}")
    if problems:
        raise MockFileError("\n".join(problems))


def _unfit(name: str, responses: list[MockResponse], steps: dict[str, StepNode]) -> str | None:
    step = steps.get(name)
    if step is None:
        close = difflib.get_close_matches(name, list(steps), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"the flow has no step named {name!r}{hint}"
    return _unfit_step(step, responses)


def _unfit_step(step: StepNode, responses: list[MockResponse]) -> str | None:
    name = step["name"]
    if step["type"] != "task":
        return f"{name!r} is a {step['type']} step; only task steps are mocked"
    if step["resource"]["kind"] == "fnf-flow":
        return f"{name!r} starts a sub-flow, which runs its own flow and cannot be mocked"
    waits = step.get("pattern") == "waitForCallback"
    if not waits and any(response.callback is not None for response in responses):
        return f"{name!r} does not wait for a callback (pattern: waitForCallback)"
    return None


def mock_schema() -> dict[str, Any]:
    """The mock file's JSON schema (draft 2020-12), from the models above."""
    schema = MockFile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "fnf-temporal mock file",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_text() -> str:
    return json.dumps(mock_schema(), indent=2, ensure_ascii=False) + "\n"
