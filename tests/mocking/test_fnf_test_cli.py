"""`fnf test` as a user runs it: a real subprocess with its own time-skipping server."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.helpers.fnf_command import run_fnf

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAGA = EXAMPLES / "saga"


def fnf(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fnf(cwd, *args, environ={**os.environ, "COLUMNS": "200"})


def test_saga_cases_pass_then_a_wrong_expectation_fails(tmp_path: Path) -> None:
    started = time.monotonic()
    passed = fnf(tmp_path, "test", str(SAGA / "flow.yaml"), "--mocks", str(SAGA / "mocks.yaml"))
    wall = time.monotonic() - started
    assert passed.returncode == 0, passed.stdout + passed.stderr
    rows = [line for line in passed.stdout.splitlines() if "PASS" in line]
    assert [row.split("│")[1].strip() for row in rows] == ["success", "hotel-fails", "train-fails"]
    assert "3 passed, 0 failed" in passed.stdout
    assert passed.stderr == ""
    assert wall < 30, wall  # the hotel's 7 s of backoff, and the process's start, included

    wrong = (
        (SAGA / "mocks.yaml")
        .read_text()
        .replace("calls: {ReserveHotel: 4}", "calls: {ReserveHotel: 2}")
    )
    (tmp_path / "wrong.yaml").write_text(wrong)
    failed = fnf(tmp_path, "test", str(SAGA / "flow.yaml"), "--mocks", "wrong.yaml", "--json")
    assert failed.returncode == 1, failed.stderr
    report = json.loads(failed.stdout)
    assert report["passed"] is False
    by_case = {case["case"]: case for case in report["cases"]}
    assert by_case["hotel-fails"]["failures"] == ["calls of ReserveHotel: expected 2, got 4"]
    assert by_case["success"]["passed"] and by_case["train-fails"]["passed"]

    table = fnf(
        tmp_path, "test", str(SAGA / "flow.yaml"), "--mocks", "wrong.yaml", "--case", "hotel-fails"
    )
    assert table.returncode == 1
    assert "FAIL case 'hotel-fails': calls of ReserveHotel: expected 2, got 4" in table.stdout
    assert "0 passed, 1 failed" in table.stdout


def test_usage_mistakes_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(
        "cases:\n  a:\n    mocks:\n      ReserveHotle: [{return: {}}]\n"
    )
    typo = fnf(tmp_path, "test", str(SAGA / "flow.yaml"), "--mocks", "typo.yaml")
    assert typo.returncode == 2
    assert typo.stderr.strip() == (
        "error: typo.yaml: cases.a.mocks.ReserveHotle: the flow has no step named "
        "'ReserveHotle' (did you mean 'ReserveHotel'?)"
    )
    (tmp_path / "bad.yaml").write_text(
        "cases:\n  a:\n    mocks:\n      S: [{return: {}, error: E}]\n"
    )
    bad = fnf(tmp_path, "test", str(SAGA / "flow.yaml"), "--mocks", "bad.yaml")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "error: bad.yaml: cases.a.mocks.S[0]: Value error, a response has `return` or "
        "`error`, not both"
    )


def test_unknown_case_is_refused_before_anything_starts() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    args = ["test", str(SAGA / "flow.yaml"), "--mocks", str(SAGA / "mocks.yaml"), "--case", "nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "has no case named nope (the cases are: success, hotel-fails, train-fails)" in (
        result.output
    )


def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_unreadable_mock_files_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Bytes that are not UTF-8, an integer past Python's conversion limit, and values no JSON
    can hold (a case's input, a callback's Output) are refused before anything starts."""
    flow = str(SAGA / "flow.yaml")
    files = {
        "binary.yaml": (b"\xff\xfe cases", "not UTF-8 text"),
        "digits.yaml": (
            b"cases:\n  a:\n    input: {n: " + b"9" * 5000 + b"}\n",
            "a value cannot be read: Exceeds the limit",
        ),
        "infinite.yaml": (
            b"cases:\n  a:\n    input: {n: .inf}\n",
            "cases.a.input: Value error, the input holds a number JSON cannot express (inf)",
        ),
        "nan-report.yaml": (
            b"cases:\n  a:\n    mocks:\n      ReserveHotel:\n"
            b"        - callback: {succeed: {x: .nan}}\n",
            "callback.succeed: Value error, the Output holds a number JSON cannot express",
        ),
    }
    for name, (content, message) in files.items():
        (tmp_path / name).write_bytes(content)
        for args in (("test", flow, "--mocks"), ("test-step", flow, "ReserveHotel", "--mock")):
            code, output = _cli(*args, str(tmp_path / name))
            assert code == 2, (name, args, output)
            assert message in output, (name, args, output)
            assert "Traceback" not in output


def test_test_step_refuses_an_empty_error_name() -> None:
    code, output = _cli("test-step", str(SAGA / "flow.yaml"), "ReserveHotel", "--error", "")
    assert code == 2, output
    assert "--error must not be empty" in output


NESTED = """version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: task
            name: Left
            resourceArn: acs:fc:::services/s/functions/left
      - steps:
          - type: task
            name: Right
            resourceArn: acs:fc:::services/s/functions/right
"""
NESTED_MOCKS = """cases:
  ok:
    mocks:
      Left: [{return: {}}]
      Both#1/Right: [{return: {}}]
      Right: [{return: {}}]
    expect: {status: Succeeded, steps: [Both, Both#0/Left, Both#1/Right]}
"""


def test_the_table_names_nested_steps_by_path_and_notes_unused_mocks(tmp_path: Path) -> None:
    """The report used to list `Both -> Left -> Right`, which said nothing of where they ran,
    and never mentioned a mock that no invocation used."""
    (tmp_path / "nested.yaml").write_text(NESTED)
    (tmp_path / "mocks.yaml").write_text(NESTED_MOCKS)
    shown = fnf(tmp_path, "test", "nested.yaml", "--mocks", "mocks.yaml")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Both#1/Right" in shown.stdout and "Both#0/Left" in shown.stdout
    assert "note case 'ok': the mock of Right was never used" in shown.stdout
    as_json = json.loads(
        fnf(tmp_path, "test", "nested.yaml", "--mocks", "mocks.yaml", "--json").stdout
    )
    [case] = as_json["cases"]
    assert case["unused"] == ["Right"] and case["calls"]["Both#1/Right"] == 1


def test_the_table_and_failures_show_brackets_as_written(tmp_path: Path) -> None:
    """Case names, step names and values are shown as written: rich read `[bold]` in them as
    markup, so the table said `case` for `[bold]case` and a failure claimed the flow returned
    `"x"` when it returned `"[red]x[/red]"`."""
    (tmp_path / "f.yaml").write_text(
        "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: '[bold]P'\n"
        "    outputMappings:\n      - target: v\n        source: '[red]x[/red]'\n"
    )
    (tmp_path / "m.yaml").write_text(
        "version: v1\ncases:\n  '[bold]case':\n    input: {}\n"
        "    expect:\n      status: Succeeded\n      output: {v: '[green]y'}\n"
    )
    failed = fnf(tmp_path, "test", "f.yaml", "--mocks", "m.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    [row] = [line for line in failed.stdout.splitlines() if "│ FAIL" in line]
    assert [cell.strip() for cell in row.split("│")[1:4]] == ["[bold]case", "FAIL", "Succeeded"]
    assert "[bold]P" in row
    assert 'expected {"v": "[green]y"}, got {"v": "[red]x[/red]"}' in failed.stdout
