"""How other `fnf` commands find a running `fnf dev` (cli/devstate.py): its state file in
`.fnf/`, trusted only while the process it names runs; an explicit address always wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import devstate
from cli.options import settings_with


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def state(pid: int) -> devstate.DevState:
    return devstate.DevState(
        pid=pid,
        api="http://127.0.0.1:18080",
        temporal_address="127.0.0.1:17233",
        namespace="default",
        ui=None,
        access_keys_file="/nowhere/access-keys.yaml",
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("FNF_TEMPORAL_ADDRESS", "FNF_DEV_SERVER_DB"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".fnf").mkdir()
    return tmp_path


def test_a_running_dev_is_the_temporal_of_commands_without_an_address(home: Path) -> None:
    assert settings_with().temporal_address is None
    state(os.getpid()).write(home / ".fnf")
    assert devstate.running() == state(os.getpid())
    assert settings_with().temporal_address == "127.0.0.1:17233"
    assert settings_with(temporal_address="elsewhere:7233").temporal_address == "elsewhere:7233"
    assert settings_with(dev_server_db=Path("mine.db")).temporal_address is None


@pytest.mark.parametrize("content", ["", "{", '{"pid": 1}', "[]"])
def test_an_unreadable_state_file_is_ignored(home: Path, content: str) -> None:
    (home / ".fnf" / devstate.STATE_FILE).write_text(content)
    assert devstate.running() is None
    assert settings_with().temporal_address is None


def test_the_file_of_a_dev_that_was_killed_is_ignored(home: Path) -> None:
    state(dead_pid()).write(home / ".fnf")
    assert devstate.running() is None
    assert settings_with().temporal_address is None
    task = subprocess.run(
        [sys.executable, "-m", "cli", "task", "succeed", "token"],
        cwd=home,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert task.returncode == 2 and "--address" in task.stderr


def test_only_its_own_state_file_is_removed(home: Path) -> None:
    folder = home / ".fnf"
    state(123).write(folder)
    devstate.remove(folder, 456)
    assert (folder / devstate.STATE_FILE).exists()
    devstate.remove(folder, 123)
    devstate.remove(folder, 123)  # idempotent
    assert not (folder / devstate.STATE_FILE).exists()
