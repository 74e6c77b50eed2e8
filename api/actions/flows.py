"""CreateFlow, UpdateFlow, DeleteFlow, DescribeFlow, ListFlows, and versions and aliases."""

from __future__ import annotations

from typing import Any

from api.actions.context import ApiContext
from api.actions.params import Params, invalid
from api.services.failures import ServiceError, flow_not_exists
from api.store.flows import FlowExists, FlowNotFound, now_text
from translator import names, validate_text

FLOW_FIELDS = ("Name", "Definition", "Description", "Type", "RoleArn", "ExecutionMode")
MAX_DEFINITION_CHARS = 128 * 1024


def check_definition(definition: str, flow: str) -> None:
    """The translator's diagnostics, every one with its line and column, as InvalidArgument."""
    result = validate_text(definition, f"{flow}.yaml")
    errors = [str(d) for d in result.diagnostics if d.severity.value == "error"]
    if result.document is None or errors:
        raise invalid("invalid flow definition: " + "; ".join(errors))


EXECUTION_MODES = ("Standard", "Express")


def execution_mode(value: str) -> str:
    """CreateFlow's ExecutionMode: Express or Standard, an empty value meaning Standard (FnF's
    CreateFlow page); anything else is InvalidArgument."""
    if value == "":
        return "Standard"
    if value not in EXECUTION_MODES:
        raise invalid(f"ExecutionMode must be Standard or Express, got '{value}'")
    return value


def _fields(params: Params, creating: bool) -> dict[str, Any]:
    name = params.name("Name", names.FLOW)
    fields: dict[str, Any] = {"Name": name}
    definition = (
        params.required("Definition", MAX_DEFINITION_CHARS)
        if creating
        else params.text("Definition", max_len=MAX_DEFINITION_CHARS)
    )
    if definition:
        check_definition(definition, name)
        fields["Definition"] = definition
    for key in ("Description", "RoleArn", "ExecutionMode", "ExternalStorageLocation"):
        if key in params.values:
            fields[key] = params.text(key, max_len=4096)
    if "ExecutionMode" in fields:
        fields["ExecutionMode"] = execution_mode(fields["ExecutionMode"])
    flow_type = params.text("Type", "FDL" if creating else "")
    if flow_type and flow_type not in ("FDL", "DEFAULT"):
        raise invalid(f"Type must be FDL, got '{flow_type}'")
    if flow_type:
        fields["Type"] = flow_type
    if params.text("Environment"):
        fields["Environment"] = params.json_object("Environment")
    if creating:
        fields.setdefault("Description", "")
        fields.setdefault("RoleArn", "")
        fields.setdefault("ExecutionMode", "Standard")
    return fields


async def create_flow(ctx: ApiContext, params: Params) -> dict[str, Any]:
    fields = _fields(params, creating=True)
    try:
        return await ctx.flows.create(fields)
    except FlowExists:
        raise ServiceError("FlowAlreadyExists", f"Flow {fields['Name']} already exists.") from None


async def update_flow(ctx: ApiContext, params: Params) -> dict[str, Any]:
    fields = _fields(params, creating=False)
    name = fields.pop("Name")
    try:
        return await ctx.flows.update(name, fields)
    except FlowNotFound:
        raise flow_not_exists(name) from None


async def delete_flow(ctx: ApiContext, params: Params) -> dict[str, Any]:
    """Deletes the definition and its schedules, and stops the flow's running executions. As
    FnF's DeleteFlow page says, none of the deleted flow's executions can be queried any more,
    even under a flow created again with the same name (api/services/incarnation.py)."""
    name = params.name("Name", names.FLOW)
    try:
        record = await ctx.flows.describe(name)
        await ctx.flows.delete(name)
    except FlowNotFound:
        raise flow_not_exists(name) from None
    await ctx.schedules.delete_all(name)
    await ctx.executions.stop_incarnation(record)
    return {}


async def describe_flow(ctx: ApiContext, params: Params) -> dict[str, Any]:
    name = params.name("Name", names.FLOW)
    version = params.name("FlowVersion", names.FLOW_VERSION, required=False)
    try:
        record = await ctx.flows.describe(name)
        if version:
            state = await ctx.flows.state(name)
            published = [v for v in state.versions if v["Version"] == version]
            if not published:
                raise invalid(f"flow {name} has no version {version}")
            record = {**record, "Definition": published[0]["Definition"]}
    except FlowNotFound:
        raise flow_not_exists(name) from None
    return record


async def list_flows(ctx: ApiContext, params: Params) -> dict[str, Any]:
    limit = params.integer("Limit", 60, 1, 1000)
    page = await ctx.flows.list(limit, params.text("NextToken") or None)
    body: dict[str, Any] = {"Flows": page.flows}
    if page.next_token:
        body["NextToken"] = page.next_token
    return body


async def publish_flow_version(ctx: ApiContext, params: Params) -> dict[str, Any]:
    flow = params.name("FlowName", names.FLOW)
    try:
        published = await ctx.flows.publish_version(flow, params.text("Description"))
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    return {
        "FlowName": flow,
        "Version": published["Version"],
        "Description": published["Description"],
        "CreatedTime": published["CreatedTime"],
    }


async def list_flow_versions(ctx: ApiContext, params: Params) -> dict[str, Any]:
    flow = params.name("FlowName", names.FLOW)
    try:
        state = await ctx.flows.state(flow)
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    versions = [
        {k: v[k] for k in ("Version", "Description", "CreatedTime")}
        for v in reversed(state.versions)
    ]
    return _paged("FlowVersions", versions, params)


def _paged(key: str, items: list[dict[str, Any]], params: Params) -> dict[str, Any]:
    limit = params.integer("Limit", 60, 1, 1000)
    start = params.integer("NextToken", 0, 0, 1 << 31)
    body: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        body["NextToken"] = str(start + limit)
    return body


async def _alias_body(ctx: ApiContext, params: Params, creating: bool) -> dict[str, Any]:
    flow, name = params.name("FlowName", names.FLOW), params.name("Name", names.ALIAS)
    routes = params.json_value("RoutingConfigurations")
    if routes == [] and not creating:
        routes = None  # the tea SDK sends `[]` for an UpdateFlowAlias that leaves routes alone
    if creating and routes is None:
        raise ServiceError(
            "MissingRequiredParams", "The HTTP query 'RoutingConfigurations' must be specified."
        )
    if creating and routes == []:
        raise invalid("RoutingConfigurations lists one or two flow versions.")
    try:
        state = await ctx.flows.state(flow)
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    existing = state.aliases.get(name)
    if creating and existing is not None:
        raise ServiceError("FlowAliasAlreadyExists", f"Alias {name} of flow {flow} already exists.")
    if not creating and existing is None:
        raise ServiceError("FlowAliasNotExists", f"Alias {name} of flow {flow} does not exist.")
    if routes is not None and not _routes_valid(routes, {v["Version"] for v in state.versions}):
        raise invalid("RoutingConfigurations must list published versions with weights")
    alias = dict(existing or {"Name": name, "FlowName": flow})
    if routes is not None:
        alias["RoutingConfigurations"] = [
            {"Version": str(r["Version"]), "Weight": int(r.get("Weight", 100))} for r in routes
        ]
    if "Description" in params.values or creating:
        alias["Description"] = params.text("Description")
    alias.setdefault("CreatedTime", now_text())
    alias["LastModifiedTime"] = now_text()
    return alias


def _routes_valid(routes: Any, versions: set[str]) -> bool:
    return isinstance(routes, list) and all(
        isinstance(route, dict) and str(route.get("Version")) in versions for route in routes
    )


async def create_flow_alias(ctx: ApiContext, params: Params) -> dict[str, Any]:
    alias = await _alias_body(ctx, params, creating=True)
    return await ctx.flows.set_alias(alias["FlowName"], alias)


async def update_flow_alias(ctx: ApiContext, params: Params) -> dict[str, Any]:
    """Answers with the changed alias under `Alias`, as UpdateFlowAliasResponseBody has it."""
    alias = await _alias_body(ctx, params, creating=False)
    return {"Alias": await ctx.flows.set_alias(alias["FlowName"], alias)}


async def describe_flow_alias(ctx: ApiContext, params: Params) -> dict[str, Any]:
    flow, name = params.name("FlowName", names.FLOW), params.name("Name", names.ALIAS)
    try:
        alias = (await ctx.flows.state(flow)).aliases.get(name)
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    if alias is None:
        raise ServiceError("FlowAliasNotExists", f"Alias {name} of flow {flow} does not exist.")
    return {"Alias": alias}


async def list_flow_aliases(ctx: ApiContext, params: Params) -> dict[str, Any]:
    flow = params.name("FlowName", names.FLOW)
    try:
        aliases = list((await ctx.flows.state(flow)).aliases.values())
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    return _paged("Aliases", aliases, params)


async def delete_flow_alias(ctx: ApiContext, params: Params) -> dict[str, Any]:
    flow, name = params.name("FlowName", names.FLOW), params.name("Name", names.ALIAS)
    try:
        existed = await ctx.flows.delete_alias(flow, name)
    except FlowNotFound:
        raise flow_not_exists(flow) from None
    if not existed:
        raise ServiceError("FlowAliasNotExists", f"Alias {name} of flow {flow} does not exist.")
    return {}
