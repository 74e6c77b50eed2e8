"""Committed histories of example executions replay against today's interpreter (DESIGN 4).

A change that alters FnFFlow's command sequence for a running execution fails here; guard such
changes with `workflow.patched` and re-record with tests/replay/record_histories.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from tests.replay.cases import CASES
from worker.workflow import FnFFlow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_every_case_has_a_recorded_history() -> None:
    recorded = {path.name.split(".")[0] for path in HISTORIES}
    assert recorded == {case.name for case in CASES}


def test_histories_name_no_folder_of_the_recording_machine() -> None:
    root = str(Path(__file__).resolve().parents[2])
    assert not [path.name for path in HISTORIES if root in path.read_text()]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.stem)
async def test_history_replays(path: Path) -> None:
    await Replayer(workflows=[FnFFlow]).replay_workflow(load(path))


@workflow.defn(name="FnFFlow")
class ForgetfulFlow:
    """An 'interpreter change' that skips every step: replay must refuse it."""

    @workflow.run
    async def run(self, run: Any) -> dict[str, Any]:
        return {}


async def test_replay_catches_a_changed_command_sequence() -> None:
    saga = next(path for path in HISTORIES if path.stem == "saga-hotel-fails")
    with pytest.raises(workflow.NondeterminismError):
        replayer = Replayer(workflows=[ForgetfulFlow], workflow_runner=UnsandboxedWorkflowRunner())
        await replayer.replay_workflow(load(saga))
