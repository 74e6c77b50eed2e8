"""Every `fnf` command reports a configuration the user can fix in one line on stderr, with
exit code 2 and no traceback: a function registry that cannot be used, an FNF_* setting with a
bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def fnf(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    executable = Path(sys.executable).with_name("fnf")
    completed = subprocess.run(
        [executable, *args],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed.returncode, completed.stderr


def assert_one_line(code: int, stderr: str, *expected: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr and "╭" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr
    for text in expected:
        assert text in lines[0], stderr


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FNF_ATTEMPT_REPORT_AFTER", "-1", "greater than or equal to 0"),
        ("FNF_EVENT_DATA_LIMIT", "abc", "valid integer"),
        ("FNF_STEP_DATA_LIMIT", "1.5", "valid integer"),
        ("FNF_HEARTBEAT_TIMEOUT", "0", "greater than 0"),
    ],
)
@pytest.mark.parametrize("command", [["run", "flow.yaml"], ["worker"]])
def test_a_bad_setting_is_one_line(
    tmp_path: Path, variable: str, value: str, expected: str, command: list[str]
) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW)
    code, stderr = fnf(tmp_path, *command, env={variable: value})
    shown = variable if variable != "FNF_STEP_DATA_LIMIT" else "FNF_EVENT_DATA_LIMIT"
    assert_one_line(code, stderr, f"invalid setting {shown}={value!r}", expected)


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        (None, "cannot read function registry"),
        ("functions:\n  s/f:\n    handler: f.py:h\n    initializationTimeout: 3\n", "needs an"),
        ("functions:\n  s/f:\n    handler: f.py:h\n    timeout: -5\n", "s/f"),
    ],
)
def test_a_registry_error_is_one_line(tmp_path: Path, registry: str | None, expected: str) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW)
    if registry is not None:
        (tmp_path / "functions.yaml").write_text(registry)
    code, stderr = fnf(tmp_path, "run", "flow.yaml", "--functions", "functions.yaml")
    assert_one_line(code, stderr, "function registry", expected)
