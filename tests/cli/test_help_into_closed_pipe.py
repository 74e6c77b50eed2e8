"""Help text into a closed pipe (`fnf --help | head -1`, `fnf exec --help | true`) ends with
141 (128 + SIGPIPE) and nothing on stderr, as every command's output does; help is written while
the options are parsed, before any command runs, and click and rich answered the closed pipe
there with status 1, the status of a refusal. A reader that stays keeps 0, and a usage error
keeps its 2 and its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HELP_CALLS = [
    ["--help"],
    [],  # a group without a command prints its help
    ["exec", "--help"],
    ["exec", "list", "--help"],
    ["flow", "create", "--help"],
    ["api", "--help"],
    ["dev", "--help"],
]


def fnf_process(*args: str) -> subprocess.Popen[str]:
    executable = Path(sys.executable).with_name("fnf")
    return subprocess.Popen(
        [executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def ended(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.wait(timeout=120)
    assert process.stderr is not None
    return process.returncode, process.stderr.read()


def test_help_into_a_closed_pipe_ends_with_141() -> None:
    processes = []
    for argv in HELP_CALLS:
        process = fnf_process(*argv)
        assert process.stdout is not None
        process.stdout.close()  # the reader is gone before the help is written
        processes.append(process)
    results = [ended(process) for process in processes]
    assert results == [(141, "")] * len(HELP_CALLS), list(zip(HELP_CALLS, results, strict=True))


def test_help_that_is_read_keeps_its_status() -> None:
    read = fnf_process("exec", "--help")
    output, _ = read.communicate(timeout=120)
    assert read.returncode == 0 and "list" in output
    wrong = fnf_process("--no-such-option")
    assert wrong.stdout is not None
    wrong.stdout.close()
    code, stderr = ended(wrong)
    assert code == 2 and stderr.startswith("error: ") and "Traceback" not in stderr
