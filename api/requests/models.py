"""One typed request model per FnF action (API 2019-03-15), read the same from both forms.

Field names are FnF's parameter names, so a model is also the action's documentation: `/docs`
shows each as the JSON form's request body. The parameters and their rules are those of the
action's page in Alibaba's API reference (required ones are marked there "This parameter is
required"). Where the reference and the SDKs' model docstrings differ (ListExecutions' Limit:
1-100 against 1-99; ListFlows' and GetExecutionHistory's: 1-1000 against 1-999), the wider
range is taken, so no call that either allows is refused.

Parameters a model does not name are kept and handed on as text: Alibaba adds parameters
(ResourceGroupId; RequestId in older SDKs) that change nothing here.
"""

import json
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from api.requests.fields import (
    TIME_SCHEMA,
    AsBoolean,
    AsInteger,
    AsText,
    AsTime,
    json_document,
    json_schema,
    name_check,
    name_schema,
)
from translator import names

MAX_DEFINITION_CHARS = 128 * 1024
"""A flow definition's limit (FnF's quota: 128 KB)."""
TOKEN_CHARS = 8192
"""NextToken and task tokens are ours and far shorter; the bound only keeps junk out."""

# Names (translator/names.py).
FlowNameParam = Annotated[str, name_check(names.FLOW), name_schema(names.FLOW)]
ExecutionNameParam = Annotated[str, name_check(names.EXECUTION), name_schema(names.EXECUTION)]
ExecutionStemParam = Annotated[
    str, name_check(names.EXECUTION_STEM), name_schema(names.EXECUTION_STEM)
]
ScheduleNameParam = Annotated[str, name_check(names.SCHEDULE), name_schema(names.SCHEDULE)]
AliasNameParam = Annotated[str, name_check(names.ALIAS), name_schema(names.ALIAS)]
FlowVersionParam = Annotated[str, name_check(names.FLOW_VERSION), name_schema(names.FLOW_VERSION)]

# Texts.
Text128 = Annotated[str, Field(max_length=128), AsText]
Text4096 = Annotated[str, Field(max_length=4096), AsText]
TokenText = Annotated[str, Field(max_length=TOKEN_CHARS), AsText]
DefinitionText = Annotated[
    str,
    Field(max_length=MAX_DEFINITION_CHARS, description="The FDL document, YAML or JSON text."),
    AsText,
]
ErrorText = Annotated[str, Field(max_length=128, description="1-128 characters."), AsText]
CauseText = Annotated[str, Field(max_length=4096, description="1-4,096 characters."), AsText]
QualifierText = Annotated[
    str,
    Field(max_length=128, description="A published flow version (1, 2, ...) or an alias name."),
    AsText,
]
CronText = Annotated[
    str,
    Field(max_length=256, description="5- or 6-field cron, CRON_TZ=, macros, or @every 1m."),
    AsText,
]
TimeText = Annotated[str, AsTime, TIME_SCHEMA]
PrefixText = Annotated[
    str,
    Field(max_length=names.EXECUTION.longest, description="The start of execution names."),
    AsText,
]

# Numbers and flags.
Limit100 = Annotated[int, Field(ge=1, le=100, description="1-100; 60 if absent."), AsInteger]
Limit1000 = Annotated[int, Field(ge=1, le=1000, description="1-1000; 60 if absent."), AsInteger]
Offset = Annotated[
    int, Field(ge=0, le=2**31, description="The NextToken of the previous page."), AsInteger
]
WaitSeconds = Annotated[int, Field(ge=0, le=60, description="0-60 seconds."), AsInteger]
Flag = Annotated[bool, AsBoolean]

# JSON documents, as JSON text or (JSON form) as the value itself.
JsonObject = Annotated[str, json_document("object"), json_schema("object")]
JsonArray = Annotated[str, json_document("array"), json_schema("array")]
JsonAny = Annotated[str, json_document("any"), json_schema("any")]


def _routes(value: str) -> str:
    """RoutingConfigurations: objects with a published `Version` and an integer `Weight`
    (0-100, 100 if absent); whether the versions exist is the action's to say. FnF routes an
    alias to "one or two flow versions" by weight (CreateFlowAlias, RoutingConfigurations), so
    more than two, a version listed twice, or weights that are all 0 (no version could ever be
    picked) are refused. `[]` passes here: UpdateFlowAlias reads it as "leave the routes"."""
    routes = json.loads(value)
    for route in routes:
        if not isinstance(route, dict):
            raise ValueError("RoutingConfigurations must list objects.")
        if not names.FLOW_VERSION.is_valid(str(route.get("Version"))) or isinstance(
            route.get("Version"), bool
        ):
            raise ValueError(
                "RoutingConfigurations: each Version must be a flow version (1, 2, ...)."
            )
        weight = route.get("Weight", 100)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise ValueError("RoutingConfigurations: each Weight must be an integer from 0 to 100.")
    if len(routes) > 2:
        raise ValueError("RoutingConfigurations lists one or two flow versions.")
    if len({str(route["Version"]) for route in routes}) < len(routes):
        raise ValueError("RoutingConfigurations lists a version twice.")
    if routes and not any(route.get("Weight", 100) for route in routes):
        raise ValueError("RoutingConfigurations: at least one Weight must be above 0.")
    return value


Routes = Annotated[JsonArray, AfterValidator(_routes)]

StatusValue = Literal["Starting", "Running", "Stopped", "Succeeded", "Failed", "TimedOut"]
ExecutionModeValue = Literal["Standard", "Express", ""]
"""FnF: "an empty string is equivalent to Standard" (CreateFlow's ExecutionMode)."""
FlowTypeValue = Literal["FDL", "DEFAULT"]


class ActionRequest(BaseModel):
    """What every action's model shares: blank counts as absent; extra parameters pass."""

    model_config = ConfigDict(extra="allow", frozen=True)
    action: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        """FnF treats a parameter set to "" (JSON form: null) as not given. A blank text
        parameter is kept blank (UpdateFlow's `Description=""` clears it); any other blank
        parameter is dropped, so a required one reads as missing."""
        if not isinstance(data, dict):
            return data
        kept: dict[str, Any] = {}
        for key, value in data.items():
            field = cls.model_fields.get(key)
            if (value is None or value == "") and field is not None:
                if field.is_required() or not _is_text(field.annotation):
                    continue
                value = ""
            kept[key] = value
        return kept


def _is_text(annotation: Any) -> bool:
    """Whether a blank value means something for this field: plain text (not a name, number,
    flag or JSON document), or an enumeration that lists "" itself."""
    return any(
        (get_origin(arg) is Annotated and AsText in arg.__metadata__)
        or (get_origin(arg) is Literal and "" in get_args(arg))
        for arg in get_args(annotation)
    )


# Flows


class CreateFlow(ActionRequest):
    Name: FlowNameParam
    Definition: DefinitionText
    Description: Text4096 | None = None
    Type: FlowTypeValue | None = None
    RoleArn: Text4096 | None = None
    ExecutionMode: ExecutionModeValue | None = None
    ExternalStorageLocation: Text4096 | None = None
    Environment: JsonObject | None = None
    ResourceGroupId: Text128 | None = None


class UpdateFlow(ActionRequest):
    Name: FlowNameParam
    Definition: DefinitionText | None = None
    Description: Text4096 | None = None
    Type: FlowTypeValue | None = None
    RoleArn: Text4096 | None = None
    ExecutionMode: ExecutionModeValue | None = None
    ExternalStorageLocation: Text4096 | None = None
    Environment: JsonObject | None = None


class DeleteFlow(ActionRequest):
    Name: FlowNameParam


class DescribeFlow(ActionRequest):
    Name: FlowNameParam
    FlowVersion: FlowVersionParam | None = None


class ListFlows(ActionRequest):
    Limit: Limit1000 | None = None
    NextToken: TokenText | None = None
    ResourceGroupId: Text128 | None = None


class PublishFlowVersion(ActionRequest):
    FlowName: FlowNameParam
    Description: Text4096 | None = None


class ListFlowVersions(ActionRequest):
    FlowName: FlowNameParam
    Limit: Limit1000 | None = None
    NextToken: Offset | None = None


class DeleteFlowVersion(ActionRequest):
    FlowName: FlowNameParam
    FlowVersion: FlowVersionParam


# Aliases


class CreateFlowAlias(ActionRequest):
    FlowName: FlowNameParam
    Name: AliasNameParam
    RoutingConfigurations: Routes
    Description: Text4096 | None = None


class UpdateFlowAlias(ActionRequest):
    FlowName: FlowNameParam
    Name: AliasNameParam
    RoutingConfigurations: Routes | None = None
    Description: Text4096 | None = None


class DescribeFlowAlias(ActionRequest):
    FlowName: FlowNameParam
    Name: AliasNameParam


class DeleteFlowAlias(ActionRequest):
    FlowName: FlowNameParam
    Name: AliasNameParam


class ListFlowAliases(ActionRequest):
    FlowName: FlowNameParam
    Limit: Limit1000 | None = None
    NextToken: Offset | None = None


# Executions


class StartExecution(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam | None = None
    Input: JsonObject | None = None
    Qualifier: QualifierText | None = None
    CallbackFnFTaskToken: TokenText | None = None


class StartSyncExecution(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionStemParam | None = None
    Input: JsonObject | None = None
    Qualifier: QualifierText | None = None


class StopExecution(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam
    Error: ErrorText | None = None
    Cause: CauseText | None = None


class RedriveExecution(ActionRequest):
    """fnf-temporal's: a failed or stopped execution goes on from the step where it ended."""

    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam


class DescribeExecution(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam
    WaitTimeSeconds: WaitSeconds | None = None


class ListExecutions(ActionRequest):
    FlowName: FlowNameParam
    Status: StatusValue | None = None
    ExecutionNamePrefix: PrefixText | None = None
    StartedTimeBegin: TimeText | None = None
    StartedTimeEnd: TimeText | None = None
    Limit: Limit100 | None = None
    NextToken: TokenText | None = None
    MetadataOnly: Flag | None = None
    Qualifier: QualifierText | None = None
    MapRunName: Text128 | None = None


class GetExecutionHistory(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam
    Limit: Limit1000 | None = None
    NextToken: TokenText | None = None


# Task callbacks


class ReportTaskSucceeded(ActionRequest):
    TaskToken: TokenText
    Output: JsonAny


class ReportTaskFailed(ActionRequest):
    TaskToken: TokenText
    Error: ErrorText
    Cause: CauseText | None = None


# Schedules


class CreateSchedule(ActionRequest):
    FlowName: FlowNameParam
    ScheduleName: ScheduleNameParam
    CronExpression: CronText
    Description: Text4096 | None = None
    Payload: JsonObject | None = None
    Enable: Flag | None = None


class UpdateSchedule(ActionRequest):
    FlowName: FlowNameParam
    ScheduleName: ScheduleNameParam
    CronExpression: CronText | None = None
    Description: Text4096 | None = None
    Payload: JsonObject | None = None
    Enable: Flag | None = None


class DeleteSchedule(ActionRequest):
    FlowName: FlowNameParam
    ScheduleName: ScheduleNameParam


class DescribeSchedule(ActionRequest):
    FlowName: FlowNameParam
    ScheduleName: ScheduleNameParam


class ListSchedules(ActionRequest):
    FlowName: FlowNameParam
    Limit: Limit1000 | None = None
    NextToken: TokenText | None = None


# Regions and map runs


class DescribeRegions(ActionRequest):
    AcceptLanguage: Text128 | None = None


class DescribeMapRun(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam
    MapRunName: Text128


class UpdateMapRun(ActionRequest):
    FlowName: FlowNameParam
    ExecutionName: ExecutionNameParam
    MapRunName: Text128


REQUEST_MODELS: dict[str, type[ActionRequest]] = {
    model.__name__: model for model in ActionRequest.__subclasses__()
}
"""Every action's request model, by the action's name."""
