"""The example functions behave as their scenarios need (called directly, as FC would)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


def load(example: str) -> ModuleType:
    path = EXAMPLES / example / "functions.py"
    spec = importlib.util.spec_from_file_location(f"example_{example.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(module: ModuleType, name: str, event: dict[str, Any]) -> Any:
    return getattr(module, name)(json.dumps(event).encode(), None)


def test_polling_reports_running_then_success_after_the_delay() -> None:
    polling = load("polling")
    job = call(polling, "start_job", {})
    running = call(
        polling, "get_job_status", {"job_id": job["job_id"], "delay": 3600, "try_count": 0}
    )
    done = call(polling, "get_job_status", {"job_id": job["job_id"], "delay": 0, "try_count": 1})
    assert running == {"job_id": job["job_id"], "job_status": "running", "try_count": 1}
    assert done == {"job_id": job["job_id"], "job_status": "success", "try_count": 2}


def test_saga_operation_succeeds_with_a_transaction_id() -> None:
    result = call(load("saga"), "operation", {"operation": "reserve_hotel", "reserve_hotel": True})
    assert result["reserve_hotel"] == "success"
    assert len(result["reserve_hotel_txnID"]) == 36


def test_saga_operation_kills_its_process_when_told_to_fail() -> None:
    source = str(EXAMPLES / "saga" / "functions.py")
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('saga', {source!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        'module.operation(b\'{"operation": "reserve_hotel", "reserve_hotel": false}\', None)\n'
        "print('survived')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert completed.returncode == 1
    assert "survived" not in completed.stdout


def test_error_handling_raises_its_own_error_type() -> None:
    module = load("error-handling")
    assert call(module, "hello", {"fail": False}) == {"message": "hello"}
    with pytest.raises(module.ErrorNeedsRetry):
        call(module, "hello", {"fail": True})


def test_echo_versions_and_timer() -> None:
    assert call(load("callback"), "echo", {"taskToken": "t"}) == {"taskToken": "t"}
    assert call(load("versions"), "provision", {}) == {"success": True}
    assert call(load("timer"), "hello", {"key": "value"})["payload"] == {"key": "value"}


def test_video_functions_chain_their_data() -> None:
    video = load("video-processing")
    request = json.loads((EXAMPLES / "video-processing" / "input.json").read_text())
    parts = call(video, "split", request)
    assert parts["split_keys"] == [f"split/x/part{i}.mov" for i in range(3)]
    piece = call(video, "transcode", {"video_key": parts["split_keys"][0], "target_type": ".avi"})
    assert piece == {"transcoded": "split/x/part0.avi"}
    merged = call(video, "merge", {**request, **parts, "target_type": ".mp4"})
    assert merged == {"merged": "outputs/x.mp4", "parts": 3}
    assert call(video, "extract_audio", request) == {"audio": "outputs/x.mp3"}


def test_game_build_plans_builds_and_counts() -> None:
    game = load("game-build")
    plan = call(game, "pre_process", {"channels_wanted": 2})
    assert plan == {"channels": ["app-store", "play"]}
    assert call(game, "build_game_apk", {"game": "demo", "channel": "play"}) == {
        "package": "demo-play.apk"
    }
    assert call(game, "after_process", {"packages": ["a", "b"]}) == {"built": 2}
