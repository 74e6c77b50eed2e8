"""Every YAML file an `fnf` command reads refuses deep nesting in one line, exit 1 or 2, never
with a RecursionError traceback: the flow (`fnf validate`, `fnf run`), a function registry, a
mock file, the AccessKey file of `fnf api` and the namespaces file of `fnf worker`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli_errors import FLOW, assert_one_line, fnf

DEEP = "k: " + "[" * 5_000 + "]" * 5_000 + "\n"
FREE_PORT = "<a free port>"
"""Stands for a port no one listens on, chosen when the test runs (`fnf api` refuses 0)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_validate_and_run_point_at_the_deep_spot(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(FLOW + "    x: " + "{a: " * 5_000 + "1" + "}" * 5_000)
    for command in (["validate", "deep.yaml"], ["run", "deep.yaml", "--input", "{}"]):
        completed = subprocess.run(
            [Path(sys.executable).with_name("fnf"), *command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        shown = completed.stdout + completed.stderr
        assert "Traceback" not in shown and "RecursionError" not in shown, shown
        assert completed.returncode in (1, 2), shown
        assert "deep.yaml:6:" in shown and "nests deeper than 200 levels" in shown, shown


@pytest.mark.parametrize(
    ("file", "command", "env"),
    [
        ("functions.yaml", ["run", "flow.yaml", "--functions", "functions.yaml"], {}),
        ("mocks.yaml", ["test", "flow.yaml", "--mocks", "mocks.yaml"], {}),
        ("keys.yaml", ["api", "--port", FREE_PORT], {"FNF_ACCESS_KEYS_FILE": "keys.yaml"}),
        ("namespaces.yaml", ["worker"], {"FNF_NAMESPACES_FILE": "namespaces.yaml"}),
    ],
)
def test_a_deep_settings_file_is_one_line(
    tmp_path: Path, file: str, command: list[str], env: dict[str, str]
) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW)
    (tmp_path / file).write_text(DEEP)
    command = [str(free_port()) if arg == FREE_PORT else arg for arg in command]
    code, stderr = fnf(tmp_path, *command, env=env)
    assert "RecursionError" not in stderr, stderr
    assert_one_line(code, stderr, "nests deeper than 200 levels")
