"""Task-token secrets in the committed histories: the legacy `callback` run drew its secret from
`workflow.random()`, which anyone who knows the run id recomputes (the attack, shown to work on
a real history); the `callback-minted-secret` run took it from MintTaskSecret, and the run id
predicts nothing. Both histories replay (tests/replay/test_replay.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.run_id_secrets import predicted_secrets
from worker.activities.task_secrets import MINT_TASK_SECRET
from worker.callbacks.tokens import TaskToken

HISTORIES = Path(__file__).parent / "histories"


def _events(case: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((HISTORIES / f"{case}.json").read_text())["events"]
    return events


def _data(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"]))


def _run_id(events: list[dict[str, Any]]) -> str:
    """The run id the seed is derived from (the started event's original run id)."""
    return str(events[0]["workflowExecutionStartedEventAttributes"]["originalExecutionRunId"])


def _token_secrets(events: list[dict[str, Any]]) -> list[str]:
    """The secrets of the tokens handed to the task's function (its activity input)."""
    found = []
    for event in events:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled is not None:
            request = _data(scheduled["input"]["payloads"][0])
            found.append(TaskToken.decode(request["payload"]["taskToken"]).secret)
    return found


def _minted(events: list[dict[str, Any]]) -> list[str]:
    """MintTaskSecret results, as the local activity markers recorded them."""
    minted = []
    for event in events:
        marker = event.get("markerRecordedEventAttributes")
        if marker is None or marker["markerName"] != "core_local_activity":
            continue
        details = marker["details"]
        if _data(details["data"]["payloads"][0])["activity_type"] == MINT_TASK_SECRET:
            minted.append(_data(details["result"]["payloads"][0]))
    return minted


def test_a_legacy_secret_is_predicted_from_the_run_id() -> None:
    """The model of the attack is right: from the run id alone, the first secret
    `workflow.random()` draws is the secret of the token the legacy run handed out."""
    events = _events("callback")
    secrets = _token_secrets(events)
    assert secrets and secrets[0] == predicted_secrets(_run_id(events), 1)[0]
    assert not _minted(events)


def test_a_minted_secret_is_not_predicted_from_the_run_id() -> None:
    events = _events("callback-minted-secret")
    secrets = _token_secrets(events)
    assert secrets and secrets == _minted(events)
    assert not set(secrets) & set(predicted_secrets(_run_id(events), 64))
