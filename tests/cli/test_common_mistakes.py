"""The common mistakes, each said in one line instead of a traceback or a silent wait:
Temporal unreachable, a port in use (found before anything starts), no worker polling the
queue (`--no-worker`), a flow that calls functions with no registry, a function ARN the
registry lacks (`fnf validate --functions`), and several registries at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.helpers.fnf_command import run_fnf

CALLS = """\
version: v1
type: flow
steps:
  - type: task
    name: First
    resourceArn: acs:fc:::services/t/functions/one
  - type: parallel
    name: Fan
    branches:
      - steps:
          - type: task
            name: Second
            resourceArn: acs:fc:::services/t/functions/two
"""
HANDLERS = """\
def one(event, context):
    return {"one": 1}


def two(event, context):
    return {"two": 2}
"""
ONE = "functions:\n  t/one:\n    handler: handlers.py:one\n"
TWO = "functions:\n  t/two:\n    handler: handlers.py:two\n"
PASS = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"

runner = CliRunner()


def fnf(folder: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run_fnf(folder, *args, environ={**os.environ, **(env or {})})
    return done.returncode, done.stdout, done.stderr


def one_line(stderr: str, *expected: str) -> None:
    assert "Traceback" not in stderr and "╭" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for text in expected:
        assert text in lines[0], stderr


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    (tmp_path / "calls.yaml").write_text(CALLS)
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "one.yaml").write_text(ONE)
    (tmp_path / "two.yaml").write_text(TWO)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [["run", "flow.yaml"], ["worker"], ["task", "succeed", "token"]],
)
def test_unreachable_temporal_is_one_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "flow.yaml").write_text(PASS)
    code, _, stderr = fnf(tmp_path, *command, "--address", "127.0.0.1:1")
    assert code == 2
    one_line(stderr, "cannot reach Temporal at 127.0.0.1:1", "--address")


def test_a_port_in_use_is_found_before_anything_starts(tmp_path: Path) -> None:
    """The address is unreachable too: the port's line comes first, so nothing was started."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        began = time.monotonic()
        code, _, stderr = fnf(tmp_path, "api", "--port", str(port), "--address", "127.0.0.1:1")
    assert code == 2 and time.monotonic() - began < 15
    one_line(stderr, f"port {port} on 127.0.0.1 is in use", "--port")


def test_no_worker_is_said_after_a_few_seconds(tmp_path: Path, dev_server_address: str) -> None:
    (tmp_path / "flow.yaml").write_text(PASS)
    queue = f"nobody-{time.monotonic_ns()}"
    run = subprocess.Popen(
        [str(Path(sys.executable).with_name("fnf")), "run", "flow.yaml", "--no-worker",
         "--address", dev_server_address, "--task-queue", queue],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert run.stderr is not None
    began = time.monotonic()
    warning = run.stderr.readline()
    waited = time.monotonic() - began
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=30)
    assert f"no worker is polling task queue '{queue}'" in warning, warning
    assert "fnf worker" in warning and waited < 15


def test_no_registry_is_warned_at_start(tmp_path: Path, dev_server_address: str) -> None:
    (tmp_path / "calls.yaml").write_text(CALLS)
    code, out, stderr = fnf(tmp_path, "run", "calls.yaml", "--address", dev_server_address,
                            "--task-queue", f"noreg-{time.monotonic_ns()}")  # fmt: skip
    assert code == 1
    assert stderr.startswith("warning: no function registry: step First calls "
                             "acs:fc:::services/t/functions/one and 1 more"), stderr  # fmt: skip
    assert "error: FC.ServiceNotFound" in out


def test_several_registries_serve_one_run(calls: Path, dev_server_address: str) -> None:
    queue = f"regs-{time.monotonic_ns()}"
    code, out, stderr = fnf(
        calls, "run", "calls.yaml", "--functions", "one.yaml", "--functions", "two.yaml",
        "--address", dev_server_address, "--task-queue", queue,
    )  # fmt: skip
    assert code == 0 and "Succeeded" in out, out + stderr
    folder = calls / "registries"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.functions.yaml").write_text(ONE.replace("handlers.py", "../handlers.py"))
    (folder / "nested" / "functions.yaml").write_text(
        TWO.replace("handlers.py", "../../handlers.py")
    )
    (folder / "flow.yaml").write_text(PASS)  # not a registry: skipped by its name
    code, out, stderr = fnf(
        calls, "run", "calls.yaml", "--address", dev_server_address, "--task-queue", queue,
        env={"FNF_FUNCTIONS": str(folder)},
    )  # fmt: skip
    assert code == 0 and "Succeeded" in out, out + stderr


def test_validate_names_the_step_whose_function_is_missing(calls: Path) -> None:
    flow = str(calls / "calls.yaml")
    result = runner.invoke(app, ["validate", flow, "--functions", str(calls / "one.yaml")])
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if "Second" in line)
    assert line.startswith(f"{flow}:13:")
    assert "steps[1].branches[0].steps[0].resourceArn: step 'Second': function 't/two'" in line
    assert "one.yaml" in line and "First" not in result.stderr

    both = ["--functions", str(calls / "one.yaml"), "--functions", str(calls / "two.yaml")]
    result = runner.invoke(app, ["validate", flow, *both])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ({"one.yaml": ONE, "again.yaml": ONE}, "function 't/one' is in both"),
        ({"empty/.keep": ""}, "no function registry in folder"),
        ({"binary.yaml": b"\xff\xfe functions"}, "is not UTF-8 text"),
        (
            {"digits.yaml": "functions:\n  t/one:\n    timeout: " + "9" * 5000 + "\n"},
            "cannot be read: Exceeds the limit (4300 digits)",
        ),
    ],
)
def test_registry_mistakes_are_one_line(
    tmp_path: Path, layout: dict[str, str | bytes], expected: str
) -> None:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "flow.yaml").write_text(PASS)
    given: list[str] = []
    for name, text in layout.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        given += ["--functions", str(path if path.suffix == ".yaml" else path.parent)]
    for command in (["validate", "flow.yaml"], ["run", "flow.yaml", "--address", "127.0.0.1:1"]):
        code, _, stderr = fnf(tmp_path, *command, *given)
        assert code == 2, stderr
        one_line(stderr, expected)


@pytest.mark.parametrize(
    ("command", "status", "said"),
    [
        (["task", "succeed", "not-a-token", "--output", "{}"], 1, "InvalidArgument: "),
        (["task", "fail", "A" * 2000, "--error", "E"], 1, "InvalidArgument: "),
        (["task", "succeed", "djF4", "--output", "{}", "--address", ""], 2, "--address"),
    ],
)
def test_task_refusals_are_one_error_line(
    tmp_path: Path, dev_server_address: str, command: list[str], status: int, said: str
) -> None:
    """`fnf task` refuses as `fnf call` does: one `error:` line (it printed the bare code, and
    the missing address without `error:`)."""
    env = {"FNF_TEMPORAL_ADDRESS": dev_server_address}
    code, _, stderr = fnf(tmp_path, *command, env=env)
    assert code == status, stderr
    one_line(stderr, said)
