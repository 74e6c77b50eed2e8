"""`fnf run --input` takes only what passes the one JSON value check (translator/json_values.py):
a lone surrogate, NaN/Infinity, nesting deeper than 64 levels or an integer of more than 1,000
digits is a one-line error with exit code 2, before anything is started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"s": "\\ud800"}', "lone surrogate"),
        ('{"n": NaN}', "(NaN)"),
        ('{"n": -Infinity}', "(-Infinity)"),
        ('{"n": ' + "4" * 1001 + "}", "more than 1000 digits"),
        ('{"a":' * 65 + "1" + "}" * 65, "nests deeper than 64 levels"),
    ],
)
def test_poison_input_is_refused_before_anything_starts(
    tmp_path: Path, text: str, said: str
) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW)
    completed = subprocess.run(
        [Path(sys.executable).with_name("fnf"), "run", "flow.yaml", "--input", text,
         "--address", "127.0.0.1:1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2, (completed.stdout, completed.stderr)
    assert said in completed.stdout, completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
