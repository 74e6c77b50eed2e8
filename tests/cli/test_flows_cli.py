"""`fnf validate` and `fnf graph`, in-process and through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

GOOD = """\
version: v1
type: flow
steps:
  - type: task
    name: hello
    resourceArn: acs:fc:::services/demo/functions/hello
    catch:
      - errors: [FnF.ALL]
        goto: failed
  - type: succeed
    name: done
  - type: fail
    name: failed
    error: HelloFailed
"""

BAD = """\
version: v1
type: flow
steps:
  - type: task
    name: hello
    resourceArn: acs:fc:::services/demo/functions/hello
    catch:
      - errors: [FnF.ALL]
        goto: faild
  - type: fail
    name: failed
"""

runner = CliRunner()


@pytest.fixture
def flows(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return good, bad


def test_validate_ok(flows: tuple[Path, Path]) -> None:
    good, _ = flows
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0
    assert f"{good}: ok" in result.stdout


def test_validate_reports_every_error_and_exits_1(flows: tuple[Path, Path]) -> None:
    good, bad = flows
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert (
        f"{bad}:9:15 steps[0].catch[0].goto: no step named 'faild' in this scope"
        " (did you mean 'failed'?)" in result.stderr
    )
    assert f"{bad}: 1 error" in result.stderr


def test_validate_json(flows: tuple[Path, Path]) -> None:
    good, bad = flows
    result = runner.invoke(app, ["validate", "--json", str(good), str(bad)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [entry["ok"] for entry in report] == [True, False]
    assert report[1]["diagnostics"][0] == {
        "severity": "error",
        "message": "no step named 'faild' in this scope (did you mean 'failed'?)",
        "path": "steps[0].catch[0].goto",
        "line": 9,
        "column": 15,
        "file": str(bad),
    }


def test_validate_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}:1:1 cannot read file: No such file or directory" in result.stderr


def test_graph_prints_mermaid(flows: tuple[Path, Path]) -> None:
    good, _ = flows
    result = runner.invoke(app, ["graph", str(good)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart TD"
    assert "  start --> s0" in lines
    assert '  s0 -. "catch FnF.ALL" .-> s2' in lines
    assert "  s0 --> s1" in lines
    assert "  s1 --> done" in lines
    assert "  s2 --> failed" in lines


def test_graph_of_invalid_flow_fails(flows: tuple[Path, Path]) -> None:
    _, bad = flows
    result = runner.invoke(app, ["graph", str(bad)])
    assert result.exit_code == 1
    assert "no step named 'faild'" in result.stderr


def test_console_script_is_installed(flows: tuple[Path, Path]) -> None:
    fnf = Path(sys.executable).with_name("fnf")
    assert fnf.exists(), "the fnf console script is missing: install the project with pip"
    good, bad = flows
    completed = subprocess.run(
        [fnf, "validate", str(good), str(bad)], capture_output=True, text=True
    )
    assert completed.returncode == 1
    assert "no step named 'faild'" in completed.stderr


def test_graph_draws_svg_and_a_standalone_page(flows: tuple[Path, Path], tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    good, _ = flows
    result = runner.invoke(app, ["graph", str(good), "--format", "svg"])
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(result.stdout)
    steps = [g.attrib["data-step"] for g in root.iter() if g.attrib.get("data-step")]
    assert steps == ["hello", "done", "failed"]
    page = tmp_path / "flow.html"
    result = runner.invoke(app, ["graph", str(good), "--format", "html", "-o", str(page)])
    assert result.exit_code == 0 and result.stdout == ""
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and '<svg xmlns="http://www.w3.org/2000/svg"' in html
    # Works offline: nothing is loaded from anywhere (the SVG namespace is a name, not a load).
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
