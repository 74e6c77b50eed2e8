"""Every file an `fnf` command reads is read with a bound (translator/text_files.py).

Before, `fnf validate /dev/zero` (or `run`, `graph`, `flow create`, an `@/dev/zero` input, a
`/dev/zero` registry or mock file) read until memory ran out inside one C call, deaf to
Ctrl-C and SIGTERM: 21 GB in about a minute until the OOM killer ended it. Now a file of more
than 16 Mi characters is one `cannot read ...` line. The commands run under a 1.5 GB address
space limit, so the unfixed code fails fast with MemoryError instead of starving the machine.
A regular (sparse) file just over the bound is refused the same way, and an `@file` input that
is not UTF-8 is one line too (it was a traceback with `fnf run`)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from translator.text_files import MAX_CHARACTERS, read_text

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"


def _limit_memory() -> None:
    limit = 1_500 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def fnf(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [Path(sys.executable).with_name("fnf"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        env={**os.environ, "COLUMNS": "300"},
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "flow.yaml").write_text(FLOW)
    (tmp_path / "bin.json").write_bytes(b"\xae\xff{}")
    with (tmp_path / "huge.yaml").open("wb") as huge:
        huge.truncate(MAX_CHARACTERS + 1)  # sparse: no disk space, 16 Mi + 1 NULs
    return tmp_path


ENDLESS = "/dev/zero"


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["validate", ENDLESS], 1),
        (["graph", "huge.yaml"], 1),
        (["run", ENDLESS], 2),
        (["run", "flow.yaml", "--input", f"@{ENDLESS}"], 2),
        (["run", "flow.yaml", "--functions", "huge.yaml"], 2),
        (["test", "flow.yaml", "--mocks", ENDLESS], 2),
        (["test-step", "flow.yaml", "P", "--input", "@huge.yaml"], 2),
        (["flow", "create", ENDLESS, "--name", "endless"], 2),
    ],
)
def test_an_endless_or_huge_file_is_one_line(folder: Path, command: list[str], code: int) -> None:
    completed = fnf(folder, *command)
    shown = completed.stdout + completed.stderr
    assert completed.returncode == code, shown
    assert "Traceback" not in shown and "MemoryError" not in shown, shown
    assert "larger than 16 Mi characters" in shown, shown


@pytest.mark.parametrize(
    "command",
    [
        ["run", "flow.yaml", "--input", "@bin.json"],
        ["test-step", "flow.yaml", "P", "--input", "@bin.json"],
    ],
)
def test_an_input_file_that_is_not_utf8_is_one_line(folder: Path, command: list[str]) -> None:
    completed = fnf(folder, *command)
    shown = completed.stdout + completed.stderr
    assert completed.returncode == 2, shown
    assert "Traceback" not in shown and "╭" not in shown, shown
    assert "cannot read bin.json" in shown and "utf-8" in shown, shown


def test_read_text_keeps_what_path_read_text_gives(tmp_path: Path) -> None:
    file = tmp_path / "crlf.yaml"
    file.write_bytes("a: 1\r\nb: é\r\n".encode())
    assert read_text(file) == file.read_text(encoding="utf-8") == "a: 1\nb: é\n"
    file.write_text("x" * 10)
    assert read_text(file, limit=10) == "x" * 10
    with pytest.raises(OSError, match="larger than 9 characters"):
        read_text(file, limit=9)
