"""DeleteFlow and ExecutionMode through the real API and both official SDKs.

FnF's DeleteFlow page: a flow created again under a deleted flow's name is not affected by the
deleted one; none of the deleted flow's executions can be queried any more; running executions
stop. FnF's StartExecution page serves Standard flows only, its StartSyncExecution page Express
flows only (ActionNotSupported, "Standard execution is not supported"); CreateFlow's
ExecutionMode is Express or Standard, an empty value meaning Standard.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from temporalio.client import Client, WorkflowExecutionStatus

from tests.api.test_every_action_both_sdks import Sdk, refused, sdk, wait_for

__all__ = ["sdk"]  # the fixture: each test runs through both SDKs

WAITING_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: w\n    duration: 60\n"
PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"


def create(call: Sdk, flow: str, definition: str, **extra: str) -> dict[str, object]:
    return call("CreateFlow", Name=flow, Definition=definition, Description="", Type="FDL", **extra)


def temporal_status(address: str, workflow_id: str) -> WorkflowExecutionStatus | None:
    async def read() -> WorkflowExecutionStatus | None:
        client = await Client.connect(address)
        return (await client.get_workflow_handle(workflow_id).describe()).status

    return asyncio.run(read())


def test_a_deleted_flows_executions_are_gone_and_their_names_free(
    sdk: tuple[str, Sdk], dev_server_address: str
) -> None:
    kind, call = sdk
    flow = f"reborn_{kind}_{uuid.uuid4().hex[:6]}"
    create(call, flow, WAITING_FLOW)
    call("StartExecution", FlowName=flow, ExecutionName="done", Input='{"old": 1}')
    call("StopExecution", FlowName=flow, ExecutionName="done")
    call("StartExecution", FlowName=flow, ExecutionName="live", Input='{"old": 2}')
    wait_for(
        lambda: call("ListExecutions", FlowName=flow),
        lambda body: len(body["Executions"]) == 2,
    )

    call("DeleteFlow", Name=flow)
    # The running execution stops (Temporal's record shows it cancelled, not left running).
    for _ in range(100):
        if temporal_status(dev_server_address, f"{flow}/live") != WorkflowExecutionStatus.RUNNING:
            break
        time.sleep(0.1)
    assert temporal_status(dev_server_address, f"{flow}/live") == WorkflowExecutionStatus.CANCELED
    gone = refused(lambda: call("DescribeExecution", FlowName=flow, ExecutionName="done"))
    assert (gone.code, gone.status) == ("FlowNotExists", 404)

    create(call, flow, PASS_FLOW)
    for name in ("done", "live"):
        for action in ("DescribeExecution", "GetExecutionHistory", "StopExecution"):
            missing = refused(lambda a=action, n=name: call(a, FlowName=flow, ExecutionName=n))
            assert (missing.code, missing.status) == ("ExecutionNotExists", 404), (action, name)
    assert call("ListExecutions", FlowName=flow)["Executions"] == []
    assert call("ListExecutions", FlowName=flow, Status="Stopped")["Executions"] == []

    # The names are free again, and taken again once used under the new flow.
    again = call("StartExecution", FlowName=flow, ExecutionName="done", Input='{"new": 1}')
    assert again["Name"] == "done"
    finished = call("DescribeExecution", FlowName=flow, ExecutionName="done", WaitTimeSeconds=10)
    assert (finished["Status"], finished["Input"]) == ("Succeeded", '{"new": 1}')
    assert finished["FlowDefinition"] == PASS_FLOW
    listed = wait_for(
        lambda: call("ListExecutions", FlowName=flow),
        lambda body: [e["Name"] for e in body["Executions"]] == ["done"],
    )
    assert listed["Executions"][0]["Input"] == '{"new": 1}'
    taken = refused(lambda: call("StartExecution", FlowName=flow, ExecutionName="done"))
    assert taken.code == "ExecutionAlreadyExists"
    call("StartExecution", FlowName=flow, ExecutionName="live")
    history = call("GetExecutionHistory", FlowName=flow, ExecutionName="live")
    assert history["Events"][0]["Type"] == "ExecutionStarted"
    call("DeleteFlow", Name=flow)


def test_execution_mode_is_validated_and_routes_the_start_actions(sdk: tuple[str, Sdk]) -> None:
    kind, call = sdk
    stem = f"mode_{kind}_{uuid.uuid4().hex[:6]}"
    for bad in ("Fast", "standard", "EXPRESS", " Standard"):
        refusal = refused(lambda b=bad: create(call, f"{stem}_bad", PASS_FLOW, ExecutionMode=b))
        assert (refusal.code, refusal.status) == ("InvalidArgument", 400), bad
    missing = refused(lambda: call("DescribeFlow", Name=f"{stem}_bad"))
    assert missing.code == "FlowNotExists"

    standard, express, default = f"{stem}_std", f"{stem}_exp", f"{stem}_def"
    assert create(call, standard, PASS_FLOW, ExecutionMode="Standard")["ExecutionMode"] == (
        "Standard"
    )
    assert create(call, express, PASS_FLOW, ExecutionMode="Express")["ExecutionMode"] == "Express"
    assert create(call, default, PASS_FLOW)["ExecutionMode"] == "Standard"
    assert call("DescribeFlow", Name=express)["ExecutionMode"] == "Express"

    for flow in (standard, default):
        sync = refused(lambda f=flow: call("StartSyncExecution", FlowName=f, Input="{}"))
        assert (sync.code, sync.status) == ("ActionNotSupported", 400)
        assert call("StartExecution", FlowName=flow, ExecutionName="a")["Status"] in (
            "Running",
            "Succeeded",
        )
    started = refused(lambda: call("StartExecution", FlowName=express, ExecutionName="a"))
    assert (started.code, started.status) == ("ActionNotSupported", 400)
    missing_execution = refused(
        lambda: call("DescribeExecution", FlowName=express, ExecutionName="a")
    )
    assert missing_execution.code == "ExecutionNotExists"
    sync_answer = call("StartSyncExecution", FlowName=express, ExecutionName="s", Input="{}")
    assert sync_answer["Status"] == "Succeeded" and sync_answer["Name"].startswith("s:")
    for flow in (standard, express, default):
        call("DeleteFlow", Name=flow)


def sub_flow_parent(child: str) -> str:
    return (
        "version: v1\ntype: flow\nsteps:\n  - type: task\n    name: call\n"
        f"    resourceArn: acs:fnf:::flow/{child}\n    pattern: sync\n"
        "    serviceParams:\n      ExecutionName: kid\n"
    )


def test_sub_flow_executions_follow_their_flows_incarnation(sdk: tuple[str, Sdk]) -> None:
    """A sub-flow's execution is started by its parent, not through the API, so it carries no
    incarnation Id: it belongs to the child flow created before it started, and is gone once
    that flow is deleted and created again."""
    kind, call = sdk
    child, parent = f"kid_{kind}_{uuid.uuid4().hex[:6]}", f"parent_{kind}_{uuid.uuid4().hex[:6]}"
    create(call, child, PASS_FLOW)
    create(call, parent, sub_flow_parent(child))
    call("StartExecution", FlowName=parent, ExecutionName="p")
    done = call("DescribeExecution", FlowName=parent, ExecutionName="p", WaitTimeSeconds=10)
    assert done["Status"] == "Succeeded"
    assert call("DescribeExecution", FlowName=child, ExecutionName="kid")["Status"] == "Succeeded"
    wait_for(
        lambda: call("ListExecutions", FlowName=child),
        lambda body: [e["Name"] for e in body["Executions"]] == ["kid"],
    )
    call("DeleteFlow", Name=child)
    create(call, child, PASS_FLOW)
    missing = refused(lambda: call("DescribeExecution", FlowName=child, ExecutionName="kid"))
    assert missing.code == "ExecutionNotExists"
    assert call("ListExecutions", FlowName=child)["Executions"] == []
    for flow in (child, parent):
        call("DeleteFlow", Name=flow)
