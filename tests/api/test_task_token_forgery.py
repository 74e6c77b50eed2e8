"""A task token computed from everything the API reveals is refused (DESIGN 8).

The attacker holds only what any client sees: the flow and execution names it chose, the step's
EventId from GetExecutionHistory, and the run id in that call's NextToken
(`<EventId>:<run id>`). From the run id it recomputes what `workflow.random()` draws in the
run (tests/run_id_secrets.py) and reports with each guess; the execution refuses them all, then
takes the real token. tests/replay/test_token_secrets.py shows the same guess reproducing a
token handed out before secrets were minted from the OS random source.
"""

from __future__ import annotations

import base64
import json
import uuid

from tests.api.conftest import EXAMPLES, ApiServer
from tests.api.test_every_action_both_sdks import refused, tea_sdk, token_of, wait_for
from tests.run_id_secrets import forged_tokens
from worker.callbacks.tokens import TaskToken


def test_a_token_forged_from_the_run_id_in_next_token_is_refused(api_server: ApiServer) -> None:
    call = tea_sdk(api_server)
    flow = f"forge_{uuid.uuid4().hex[:8]}"
    definition = (EXAMPLES / "callback" / "flow.yaml").read_text()
    call("CreateFlow", Name=flow, Definition=definition, Description="d", Type="FDL")
    call("StartExecution", FlowName=flow, ExecutionName="victim", Input="{}")
    real = token_of(call, flow, "victim")

    page = call("GetExecutionHistory", FlowName=flow, ExecutionName="victim", Limit=1)
    run_id = page["NextToken"].split(":", 1)[1]
    entered = wait_for(
        lambda: call("GetExecutionHistory", FlowName=flow, ExecutionName="victim"),
        lambda body: any(e["Type"] == "TaskSubmitted" for e in body["Events"]),
    )["Events"]
    step_event_id = next(e["EventId"] for e in entered if e["Type"] == "StepEntered")
    guess = TaskToken(flow, "victim", step_event_id, "0" * 32)
    for forged in forged_tokens(guess, run_id):
        answer = refused(lambda t=forged: call("ReportTaskSucceeded", TaskToken=t, Output="{}"))
        assert (answer.code, answer.status) == ("InvalidArgument", 400)

    assert call("ReportTaskSucceeded", TaskToken=real, Output='{"status": "real"}')["EventId"]
    done = call("DescribeExecution", FlowName=flow, ExecutionName="victim", WaitTimeSeconds=10)
    assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"s": "real"})


def respelled(token: str) -> list[str]:
    """Other texts that decode to the same secret: another step EventId (with a leading zero,
    or in Arabic-Indic digits, which `str.isdigit` accepts), and base64 with characters the
    decoder skips or lacking its padding."""
    version, flow, execution, event_id, secret = base64.urlsafe_b64decode(token).decode().split("#")

    def spelled(new_event_id: str) -> str:
        text = "#".join([version, flow, execution, new_event_id, secret])
        return base64.urlsafe_b64encode(text.encode()).decode()

    arabic = "".join(chr(0x0660 + int(digit)) for digit in event_id)
    return [
        spelled(str(int(event_id) + 1)),
        spelled("0" + event_id),
        spelled(arabic),
        token[:8] + "!" + token[8:],
        token + "\n",
        token.rstrip("=") if token.endswith("=") else token + "==",
    ]


def test_only_the_issued_token_text_completes_the_task(api_server: ApiServer) -> None:
    """A report must carry the token as issued: a respelling with the right secret (another
    step EventId, other digits, skipped characters) used to complete the task."""
    call = tea_sdk(api_server)
    flow = f"respell_{uuid.uuid4().hex[:8]}"
    definition = (EXAMPLES / "callback" / "flow.yaml").read_text()
    call("CreateFlow", Name=flow, Definition=definition, Description="d", Type="FDL")
    call("StartExecution", FlowName=flow, ExecutionName="e", Input="{}")
    real = token_of(call, flow, "e")
    for other in respelled(real):
        answer = refused(
            lambda t=other: call("ReportTaskFailed", TaskToken=t, Error="Forged", Cause="c")
        )
        assert (answer.code, answer.status) == ("InvalidArgument", 400), other
    assert call("ReportTaskSucceeded", TaskToken=real, Output='{"status": "real"}')["EventId"]
    done = call("DescribeExecution", FlowName=flow, ExecutionName="e", WaitTimeSeconds=10)
    assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"s": "real"})


def test_a_forged_token_for_an_ended_execution_is_invalid_and_not_echoed(
    api_server: ApiServer,
) -> None:
    """Once an execution has ended no workflow can check a token, so the API checks it against
    the ended execution's history: a token it issued is TaskAlreadyCompleted (workers that
    redeliver a message key on that code), anything else is InvalidArgument; neither answer
    quotes the text the caller sent."""
    call = tea_sdk(api_server)
    flow = f"ended_{uuid.uuid4().hex[:8]}"
    definition = (EXAMPLES / "callback" / "flow.yaml").read_text()
    call("CreateFlow", Name=flow, Definition=definition, Description="d", Type="FDL")
    call("StartExecution", FlowName=flow, ExecutionName="gone", Input="{}")
    real = token_of(call, flow, "gone")
    call("StopExecution", FlowName=flow, ExecutionName="gone", Error="E", Cause="c")
    wait_for(
        lambda: call("DescribeExecution", FlowName=flow, ExecutionName="gone"),
        lambda body: body["Status"] == "Stopped",
    )
    step = TaskToken.decode(real).step_event_id
    forged = [
        TaskToken(flow, "gone", step, uuid.uuid4().hex).encode(),
        TaskToken(flow, "gone", step + 1, "f" * 32).encode(),
        *respelled(real)[1:],  # [0] holds the issued secret, which only its holder knows
    ]
    for token in forged:
        answer = refused(lambda t=token: call("ReportTaskSucceeded", TaskToken=t, Output="{}"))
        assert (answer.code, answer.status) == ("InvalidArgument", 400), token
        assert token.strip() not in answer.message, answer.message
    for report in (
        lambda: call("ReportTaskSucceeded", TaskToken=real, Output="{}"),
        lambda: call("ReportTaskFailed", TaskToken=real, Error="Late", Cause="c"),
    ):
        answer = refused(report)
        assert (answer.code, answer.status) == ("TaskAlreadyCompleted", 400)
