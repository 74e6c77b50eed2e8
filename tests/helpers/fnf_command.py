"""`fnf` as a user runs it: this environment's console script in a real subprocess, its
standard input given as text, its output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

FNF = str(Path(sys.executable).with_name("fnf"))
"""The console script beside this interpreter (never one found on PATH)."""


def run_fnf(
    folder: Path | None,
    *args: str,
    stdin: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> subprocess.CompletedProcess[str]:
    """`fnf ARGS...` in `folder` (None: the test's own) with `stdin` as its standard input
    (None: the test's own) and `environ` as its whole environment; at most 120 s."""
    return subprocess.run(
        [FNF, *args],
        cwd=folder,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(environ),
    )
