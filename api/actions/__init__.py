"""One handler per FnF action (API 2019-03-15), by the `Action` parameter's value."""

from __future__ import annotations

from api.actions import executions, flows, regions, schedules, tasks
from api.actions.context import ApiContext, Handler
from api.actions.params import Params

ACTIONS: dict[str, Handler] = {
    "CreateFlow": flows.create_flow,
    "UpdateFlow": flows.update_flow,
    "DeleteFlow": flows.delete_flow,
    "DescribeFlow": flows.describe_flow,
    "ListFlows": flows.list_flows,
    "PublishFlowVersion": flows.publish_flow_version,
    "ListFlowVersions": flows.list_flow_versions,
    "CreateFlowAlias": flows.create_flow_alias,
    "UpdateFlowAlias": flows.update_flow_alias,
    "DescribeFlowAlias": flows.describe_flow_alias,
    "ListFlowAliases": flows.list_flow_aliases,
    "DeleteFlowAlias": flows.delete_flow_alias,
    "StartExecution": executions.start_execution,
    "StartSyncExecution": executions.start_sync_execution,
    "StopExecution": executions.stop_execution,
    "RedriveExecution": executions.redrive_execution,
    "DescribeExecution": executions.describe_execution,
    "ListExecutions": executions.list_executions,
    "GetExecutionHistory": executions.get_execution_history,
    "ReportTaskSucceeded": tasks.report_task_succeeded_action,
    "ReportTaskFailed": tasks.report_task_failed_action,
    "CreateSchedule": schedules.create_schedule,
    "UpdateSchedule": schedules.update_schedule,
    "DeleteSchedule": schedules.delete_schedule,
    "DescribeSchedule": schedules.describe_schedule,
    "ListSchedules": schedules.list_schedules,
    "DescribeRegions": regions.describe_regions,
    "DescribeMapRun": regions.not_supported("DescribeMapRun"),
    "UpdateMapRun": regions.not_supported("UpdateMapRun"),
}

__all__ = ["ACTIONS", "ApiContext", "Handler", "Params"]
