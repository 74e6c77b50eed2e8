"""Executions carry the interpreter version they started with (worker/interpreter/versions.py):
their patches are on without a marker, so a run records no patch marker and no
TemporalChangeVersion search attribute update, and it replays from its own history. Runs
without a version (started before versions existed) keep asking `workflow.patched`: the
committed histories in tests/replay replay that way."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from tests.worker.conftest import RunFlow
from worker.interpreter import parts, work
from worker.interpreter.archive import ARCHIVE_PATCH, SLICE_TASK_PATCH
from worker.interpreter.attempt_reports import RESTARTS_SHOWN
from worker.interpreter.budget import INPUT_BOUND_PATCH, RESULT_BOUND_PATCH
from worker.interpreter.callbacks import SECRET_PATCH
from worker.interpreter.cancellation import PATCH
from worker.interpreter.child_starts import STOP_REASON_PATCH
from worker.interpreter.failures import UNEXPECTED_ERROR_PATCH
from worker.interpreter.local_functions import LOCAL_ACTIVITY_PATCH
from worker.interpreter.parts import BATCHES_PATCH
from worker.interpreter.redrive import REDRIVE_PATCH
from worker.interpreter.steps.activity_call import TASK_QUEUE_PATCH
from worker.interpreter.steps.fanout import CANCELS_ONCE_PATCH
from worker.interpreter.steps.subflow import CHECK_CHILD_INPUT, CHECK_CHILD_NAME, CHILD_NAME_IS_TEXT
from worker.interpreter.versions import INTERPRETER_VERSION, ON_SINCE
from worker.workflow import EVENTS_AS_THEY_HAPPEN, FnFFlow

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: count
    resourceArn: acs:fc:::services/demo/functions/countdown
  - type: parallel
    name: both
    branches:
      - steps:
          - {type: pass, name: one}
  - type: choice
    name: again
    choices:
      - condition: $.left > 0
        goto: count
"""


async def test_a_versioned_execution_records_no_patch_marker(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    outcome = await run_flow("versions", {"left": 3}, text=FLOW, functions=FUNCTIONS)
    assert outcome.status == "Succeeded" and outcome.output == {"left": 0}
    handle = temporal_env.client.get_workflow_handle(outcome.workflow_id)
    history = await handle.fetch_history()
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert "core_patch" not in markers and markers  # local activities' markers only
    assert not [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    await Replayer(workflows=[FnFFlow]).replay_workflow(history)


def test_every_patch_of_the_interpreter_is_on_for_the_current_version() -> None:
    """A patch id asked in workflow code but missing here would record markers again."""
    patches = {
        EVENTS_AS_THEY_HAPPEN,
        PATCH,
        UNEXPECTED_ERROR_PATCH,
        RESULT_BOUND_PATCH,
        INPUT_BOUND_PATCH,
        LOCAL_ACTIVITY_PATCH,
        BATCHES_PATCH,
        parts.HANDOVER_PATCH,
        work.HANDOVER_PATCH,
        work.PAUSE_TASK_PATCH,
        STOP_REASON_PATCH,
        SECRET_PATCH,
        CHECK_CHILD_NAME,
        CHILD_NAME_IS_TEXT,
        CHECK_CHILD_INPUT,
        ARCHIVE_PATCH,
        RESTARTS_SHOWN,
        TASK_QUEUE_PATCH,
        REDRIVE_PATCH,
        SLICE_TASK_PATCH,
        CANCELS_ONCE_PATCH,
    }
    assert set(ON_SINCE) == patches
    assert all(0 < ON_SINCE[patch] <= INTERPRETER_VERSION for patch in patches)
