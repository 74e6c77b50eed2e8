"""`fnf run --input` takes only what passes the one JSON value check (translator/json_values.py):
a lone surrogate (escaped, or a byte that is not UTF-8, which Python's argv decoding turns into
one), NaN/Infinity, nesting deeper than 64 levels, an integer of more than 1,000 digits or a
text over FnF's 1,024 KiB request limit is a one-line error with exit code 2, before anything
is started."""

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
        (b'{"s": "\xff"}', "lone surrogate"),
        ("@big.json", "1048576-byte"),
    ],
    ids=["surrogate", "nan", "infinity", "long-integer", "65-levels", "not-utf8", "over-size"],
)
def test_poison_input_is_refused_before_anything_starts(
    tmp_path: Path, text: str | bytes, said: str
) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW)
    (tmp_path / "big.json").write_text('{"s": "' + "é" * 524_288 + '"}')  # 1 MiB + 9 bytes
    completed = subprocess.run(
        [Path(sys.executable).with_name("fnf"), "run", "flow.yaml", "--input", text,
         "--address", "127.0.0.1:1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2, (completed.stdout, completed.stderr)
    assert said in completed.stderr and completed.stdout == "", completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
