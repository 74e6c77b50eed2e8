"""`fnf run`'s problems before it starts are each one line, printed as written: rich wrapped
them at 80 columns whenever stderr was a pipe (a long diagnostic became two lines, breaking
`grep`), read `[...]` in a file name as markup (`[bold]x.yaml` was reported as `x.yaml`), and a
flow file that is not UTF-8 was a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LONG_TARGET = "a" * 90
LONG = f"""version: v1
type: flow
steps:
  - type: pass
    name: P
    inputMappings:
      - target: {LONG_TARGET}
        source: $input.x ==== 3
"""


def run(cwd: Path, *args: str) -> tuple[int, list[str]]:
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    completed = subprocess.run(
        [Path(sys.executable).with_name("fnf"), "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return completed.returncode, (completed.stdout + completed.stderr).splitlines()


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        ({"long.yaml": LONG}, ["long.yaml"], "long.yaml:8:"),
        ({}, ["[bold]x.yaml"], "cannot read [bold]x.yaml: No such file or directory"),
        ({"bin.yaml": b"\xae\xff"}, ["bin.yaml"], "cannot read bin.yaml: 'utf-8' codec"),
        (
            {"flow.yaml": "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"},
            ["flow.yaml", "--input", "[1, 2, 3]" + " " * 80 + "]"],
            "--input is not valid JSON: Extra data",
        ),
    ],
)
def test_a_problem_is_one_line_as_written(
    tmp_path: Path, files: dict[str, str | bytes], args: list[str], expected: str
) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, lines = run(tmp_path, *args)
    assert code == 2, lines
    assert not any("Traceback" in line or "╭" in line for line in lines), lines
    [line] = [line for line in lines if expected in line]
    if expected == "long.yaml:8:":
        assert line.endswith("unexpected '=='"), lines
        assert len(lines) == 1, lines
