"""Every `fnf` command says a problem the same way: one `error: ...` line on stderr, nothing on
stdout, exit 2 for the user's own mistake (cli/errors.py). `fnf run` printed its problems on
stdout without the prefix; JSON object options (`fnf run --input`, `fnf exec start --input`,
`fnf schedule create --payload`, `fnf test-step --input`, `fnf call`'s PARAMETERS) are read by
one reader, which also takes `@-` (standard input). Real subprocesses, as a user runs them;
nothing here reaches a server: each problem is found before anything starts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.fnf_command import run_fnf

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"

OBJECT_OPTIONS = [
    (["run", "flow.yaml", "--input"], "--input"),
    (["exec", "start", "flow", "--input"], "--input"),
    (["schedule", "create", "flow", "s", "--cron", "0 * * * * *", "--payload"], "--payload"),
    (["test-step", "flow.yaml", "P", "--input"], "--input"),
    (["call", "StartExecution"], "PARAMETERS"),
]
NO_SERVER = {"PATH": "/usr/bin:/bin", "FNF_API_ENDPOINT": "http://127.0.0.1:1"}
"""Nothing reachable: each problem must be found before anything starts."""

IDS = ["run", "exec-start", "schedule-create", "test-step", "call"]


def fnf(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    (folder / "flow.yaml").write_text(FLOW)
    return run_fnf(folder, *args, stdin=stdin, environ=NO_SERVER)


def assert_one_error_line(done: subprocess.CompletedProcess[str], line: str) -> None:
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {line}\n")


@pytest.mark.parametrize(("command", "option"), OBJECT_OPTIONS, ids=IDS)
def test_a_json_array_is_the_same_error_line_everywhere(
    tmp_path: Path, command: list[str], option: str
) -> None:
    assert_one_error_line(fnf(tmp_path, *command, "[1]"), f"{option} must be a JSON object")


@pytest.mark.parametrize(("command", "option"), OBJECT_OPTIONS, ids=IDS)
def test_at_dash_reads_standard_input(tmp_path: Path, command: list[str], option: str) -> None:
    done = fnf(tmp_path, *command, "@-", stdin='{"a": ')
    assert_one_error_line(
        done, f"{option} (stdin) is not valid JSON: Expecting value at line 1 column 7."
    )


def test_run_problems_are_error_lines(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(FLOW.replace("type: pass", "type: nope"))
    assert_one_error_line(
        fnf(tmp_path, "run", "flow.yaml", "--input", "@missing.json"),
        "cannot read missing.json: No such file or directory",
    )
    done = fnf(tmp_path, "run", "flow.yaml", "--execution", "a b")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: --execution 'a b' is invalid: "), done.stderr
    done = fnf(tmp_path, "run", "bad.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: bad.yaml:4:"), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_two_options_cannot_both_read_standard_input(tmp_path: Path) -> None:
    done = fnf(
        tmp_path, "test-step", "flow.yaml", "P", "--input", "@-", "--local", "@-", stdin="{}"
    )
    assert_one_error_line(done, "--local @-: standard input was already read for --input")
