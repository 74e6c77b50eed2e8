"""`fnf flow|exec|schedule` against a real `fnf api` (the session's subprocess on the dev
server), signed with FNF_ACCESS_KEYS as a user would: tables for people, `--json` for scripts,
and every mistake as one `error:` line with a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer

runner = CliRunner()

FLOW = """\
version: v1
type: flow
steps:
  - type: pass
    name: Greet
    outputMappings:
      - target: greeting
        source: $input.name
  - type: wait
    name: Pause
    duration: $.seconds
"""


def env(api: ApiServer) -> dict[str, str]:
    return {
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_API_ENDPOINT": f"http://{api.endpoint}",
    }


def fnf(api: ApiServer, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env(api))
    return result.exit_code, result.stdout, result.stderr


def fnf_process(api: ApiServer, *args: str, **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("fnf")), *args],
        env={**os.environ, **env(api)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,  # type: ignore[call-overload]
    )


def one_error_line(code: int, stderr: str, *expected: str) -> str:
    assert code != 0, stderr
    assert "Traceback" not in stderr and "╭" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for text in expected:
        assert text in lines[0], stderr
    return lines[0]


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    name = f"greet_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(FLOW)
    return path


def test_flow_lifecycle(api_server: ApiServer, flow_file: Path) -> None:
    name = flow_file.stem
    code, out, err = fnf(api_server, "flow", "create", str(flow_file), "--description", "d1")
    assert code == 0, err
    assert f"created flow {name}" in out and "Standard" in out

    code, out, err = fnf(api_server, "flow", "describe", name)
    assert code == 0, err
    assert "d1" in out and "name: Pause" in out  # the fields, then the whole definition

    code, out, _ = fnf(api_server, "flow", "describe", name, "--json")
    described = json.loads(out)
    assert described["Name"] == name and described["Definition"] == FLOW
    assert "RequestId" not in described

    code, out, _ = fnf(api_server, "flow", "list", "--json")
    assert name in [flow["Name"] for flow in json.loads(out)["Flows"]]
    code, out, _ = fnf(api_server, "flow", "list")
    assert name in out

    flow_file.write_text(FLOW.replace("Greet", "Hello"))
    code, out, err = fnf(api_server, "flow", "update", str(flow_file), "--json")
    assert code == 0, err
    assert "Hello" in json.loads(out)["Definition"]
    code, out, err = fnf(api_server, "flow", "update", name, "--description", "d2")
    assert code == 0 and "d2" in out, err

    code, _, err = fnf(api_server, "flow", "create", str(flow_file))
    one_error_line(code, err, "FlowAlreadyExists")

    code, out, err = fnf(api_server, "flow", "delete", name)
    assert code == 0 and f"deleted flow {name}" in out, err
    code, _, err = fnf(api_server, "flow", "describe", name)
    assert code == 1
    one_error_line(code, err, "FlowNotExists", name)


def test_a_file_name_that_is_no_flow_name_needs_name(api_server: ApiServer, tmp_path: Path) -> None:
    """`流程.yaml` and `订单.yaml` used to both name the flow `__` (each character outside the
    grammar became `_`), so an update from one file overwrote the flow created from the other;
    `my flow.yaml` and `my_flow.yaml` collided the same way. Such a file now needs --name."""
    first, second = tmp_path / "流程.yaml", tmp_path / "订单.yaml"
    first.write_text(FLOW)
    second.write_text(FLOW.replace("Greet", "Other"))
    spaced, digit = tmp_path / "my flow.yaml", tmp_path / "2024-orders.yaml"
    spaced.write_text(FLOW)
    digit.write_text(FLOW)
    named = f"cn_{uuid.uuid4().hex[:8]}"
    code, out, err = fnf(api_server, "flow", "create", str(first), "--name", named)
    assert code == 0 and f"created flow {named}" in out, err
    for file in (first, second, spaced, digit):
        for command in ("create", "update"):
            code, _, err = fnf(api_server, "flow", command, str(file))
            assert code == 2, err
            one_error_line(code, err, f"'{file.stem}' is invalid", "--name", file.name)
    code, out, err = fnf(api_server, "flow", "describe", named, "--json")
    assert code == 0 and json.loads(out)["Definition"] == FLOW, err
    code, _, err = fnf(api_server, "flow", "describe", "__")
    one_error_line(code, err, "FlowNotExists")
    code, out, err = fnf(api_server, "flow", "update", str(second), "--name", named, "--json")
    assert code == 0 and "Other" in json.loads(out)["Definition"], err
    assert fnf(api_server, "flow", "delete", named)[0] == 0


def test_executions_start_watch_describe_history_stop(
    api_server: ApiServer, flow_file: Path
) -> None:
    name = flow_file.stem
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0

    code, out, err = fnf(
        api_server, "exec", "start", name, "--input", '{"name": "ada", "seconds": 1}',
        "--name", "quick", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["Name"] == "quick"

    watch = fnf_process(api_server, "exec", "watch", name, "quick")
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    assert "ExecutionSucceeded" in out and "Succeeded, ended at step Pause" in out
    assert '"greeting": "ada"' in out

    code, out, _ = fnf(api_server, "exec", "describe", name, "quick", "--json")
    assert json.loads(out)["Status"] == "Succeeded"
    code, out, _ = fnf(api_server, "exec", "list", name)
    assert "quick" in out and "Succeeded" in out
    code, out, _ = fnf(api_server, "exec", "list", name, "--status", "Succeeded", "--json")
    assert [e["Name"] for e in json.loads(out)["Executions"]] == ["quick"]

    code, out, _ = fnf(api_server, "exec", "history", name, "quick", "--json")
    kinds = [event["Type"] for event in json.loads(out)["Events"]]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    code, out, _ = fnf(api_server, "exec", "history", name, "quick")
    assert "StepEntered" in out and "Succeeded, ended at step Pause" in out

    code, out, err = fnf(
        api_server, "exec", "start", name, "--input", '{"name": "bo", "seconds": 600}',
        "--name", "slow",
    )  # fmt: skip
    assert code == 0 and "started execution slow" in out, err
    watch = fnf_process(api_server, "exec", "watch", name, "slow", "--json")
    code, out, err = fnf(
        api_server, "exec", "stop", name, "slow", "--error", "Halt", "--cause", "by test"
    )
    assert code == 0 and "Stopped" in out, err
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 1, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-2]["Type"] == "ExecutionStopped"
    assert lines[-1]["Status"] == "Stopped" and lines[-1]["Error"] == "Halt"
    assert lines[-1]["Cause"] == "by test" and lines[-1]["EndedAt"] == "Pause"

    code, _, err = fnf(api_server, "exec", "stop", name, "slow")
    one_error_line(code, err, "ExecutionAlreadyCompleted")
    code, _, err = fnf(api_server, "exec", "describe", name, "never")
    one_error_line(code, err, "ExecutionNotExists")


def test_exec_watch_into_a_closed_pipe_ends_at_once(api_server: ApiServer, flow_file: Path) -> None:
    """`fnf exec watch ... | head -1`: the reader goes away while the execution waits, and the
    command ends then, not when the execution does."""
    name = flow_file.stem
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0
    assert (
        fnf(api_server, "exec", "start", name, "--name", "w", "--input", '{"seconds": 600}')[0] == 0
    )
    watch = fnf_process(api_server, "exec", "watch", name, "w")
    assert watch.stdout is not None and watch.stderr is not None
    assert watch.stdout.readline().split()[2] == "ExecutionStarted"
    watch.stdout.close()
    began = time.monotonic()
    watch.wait(timeout=20)
    assert time.monotonic() - began < 10
    assert watch.returncode == 141
    assert "Traceback" not in watch.stderr.read()
    fnf(api_server, "exec", "stop", name, "w")

    missing = fnf_process(api_server, "exec", "watch", name, "never")
    _, err = missing.communicate(timeout=60)
    one_error_line(missing.returncode, err, "ExecutionNotExists")


def test_schedule_lifecycle(api_server: ApiServer, flow_file: Path) -> None:
    name = flow_file.stem
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0
    code, out, err = fnf(
        api_server, "schedule", "create", name, "nightly", "--cron", "0 0 2 * * *",
        "--payload", '{"seconds": 0}', "--description", "every night",
    )  # fmt: skip
    assert code == 0 and "created schedule nightly" in out, err
    code, out, _ = fnf(api_server, "schedule", "describe", name, "nightly", "--json")
    described = json.loads(out)
    assert described["CronExpression"] == "0 0 2 * * *" and described["Enable"] is True
    code, out, err = fnf(api_server, "schedule", "update", name, "nightly", "--disable")
    assert code == 0, err
    code, out, _ = fnf(api_server, "schedule", "list", name, "--json")
    assert [(s["ScheduleName"], s["Enable"]) for s in json.loads(out)["Schedules"]] == [
        ("nightly", False)
    ]
    code, out, _ = fnf(api_server, "schedule", "list", name)
    assert "nightly" in out and "0 0 2 * * *" in out
    code, out, err = fnf(api_server, "schedule", "delete", name, "nightly")
    assert code == 0, err
    code, _, err = fnf(api_server, "schedule", "describe", name, "nightly")
    one_error_line(code, err, "ScheduleNotExists")


HOSTILE = [
    # bad names: the API's InvalidArgument, naming the rule
    (["flow", "describe", "bad name!"], "InvalidArgument"),
    (["flow", "delete", "-leading"], "No such option"),
    (["flow", "describe", "a" * 129], "InvalidArgument"),
    (["exec", "describe", "ok", "exe/cution"], "InvalidArgument"),
    (["exec", "list", "名前"], "InvalidArgument"),
    (["exec", "list", "ok", "--status", "Sleeping"], "InvalidArgument"),
    (["exec", "stop", "ok", "x", "--error", "E" * 200], "InvalidArgument"),
    (["schedule", "describe", "ok", "bad;name"], "InvalidArgument"),
    (["schedule", "create", "ok", "s", "--cron", "not a cron"], ""),
    # bad JSON input: refused before any request
    (["exec", "start", "ok", "--input", "{not json"], "not valid JSON"),
    (["exec", "start", "ok", "--input", "[1, 2]"], "must be a JSON object"),
    (["exec", "start", "ok", "--input", '{"n": NaN}'], "NaN"),
    (["exec", "start", "ok", "--input", "@/nonexistent/input.json"], "cannot read"),
    (["schedule", "create", "ok", "s", "--cron", "* * * * *", "--payload", "1"], "JSON object"),
    (["schedule", "update", "ok", "s", "--payload", '{"a":'], "not valid JSON"),
    (["flow", "create", "/nonexistent/flow.yaml"], "cannot read"),
    (["flow", "update", "/nonexistent/flow.yaml"], "cannot read"),
    # unknown flags, missing arguments, wrong types
    (["flow", "list", "--bogus"], "No such option: --bogus"),
    (["exec", "watch", "ok"], "Missing argument"),
    (["exec", "list", "ok", "--limit", "many"], "--limit"),
    (["schedule", "update", "ok", "s"], "nothing to update"),
    (["schedule", "create", "ok", "s"], "--cron is required"),
    (["flow", "update", "ok"], "nothing to update"),
    (["flow", "frobnicate"], "No such command"),
]


@pytest.mark.parametrize(("argv", "said"), HOSTILE, ids=[" ".join(h[0])[:40] for h in HOSTILE])
def test_hostile_input_is_one_line(
    api_server: ApiServer, tmp_path: Path, argv: list[str], said: str
) -> None:
    code, _, err = fnf(api_server, *argv)
    one_error_line(code, err, said)


@pytest.mark.parametrize(
    "command", [["flow", "list"], ["call", "ListFlows"], ["call", "DescribeFlow", '{"Name": "x"}']]
)
def test_an_unreachable_api_is_one_line(api_server: ApiServer, command: list[str]) -> None:
    """`fnf call` says it as every other API client command does (it printed its own
    `fnf call: URL: [Errno 111] ...` and exited 2, as for a usage mistake)."""
    code, _, err = fnf(api_server, *command, "--endpoint", "http://127.0.0.1:1")
    one_error_line(code, err, "ConnectionFailed", "http://127.0.0.1:1", "fnf api")


def test_a_wrong_key_is_the_api_error(api_server: ApiServer) -> None:
    result = runner.invoke(
        app,
        ["flow", "list"],
        env={**env(api_server), "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:wrong"},
    )
    one_error_line(result.exit_code, result.stderr, "SignatureNotMatch")


CLOSED_STDOUT = [
    ["flow", "list"],
    ["exec", "history", "{flow}", "e1", "--json"],
    ["call", "ListFlows", "{{}}"],
    ["graph", "{file}", "--format", "svg"],
    ["flow", "describe", "never_created"],
]


def test_short_commands_into_a_closed_pipe_end_with_141(
    api_server: ApiServer, flow_file: Path
) -> None:
    """`fnf exec list ... | head -1` with the reader gone before the command writes: every
    command ends as `fnf run` does, with 141 (128 + SIGPIPE) and nothing on stderr, not with 1,
    the status of a refusal (click's reaction to EPIPE), though nothing was refused. A real
    refusal keeps its line and 1. Tables (rich), JSON, `fnf call` and a local command."""
    name = flow_file.stem
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0
    start = ["exec", "start", name, "--name", "e1", "--input", '{"seconds": 0}']
    assert fnf(api_server, *start)[0] == 0
    processes = []
    for argv in CLOSED_STDOUT:
        process = fnf_process(api_server, *[a.format(flow=name, file=flow_file) for a in argv])
        assert process.stdout is not None
        process.stdout.close()  # the reader is gone before the command writes
        processes.append(process)
    ended = []
    for process in processes:
        process.wait(timeout=120)
        assert process.stderr is not None
        ended.append((process.returncode, process.stderr.read()))
    *piped, refused = ended
    assert piped == [(141, "")] * len(piped)
    one_error_line(refused[0], refused[1], "FlowNotExists")
    assert refused[0] == 1


def test_tables_show_values_as_written(api_server: ApiServer, flow_file: Path) -> None:
    """Descriptions, inputs and causes in `describe` and `list` tables are shown as written:
    rich read `[bold]` in them as markup, so `fnf flow describe` dropped it from a description
    and `fnf exec describe` from an input."""
    description = "[bold]nightly[/bold] [x]"
    code, out, err = fnf(api_server, "flow", "create", str(flow_file), "--description", description)
    assert code == 0, err
    code, out, err = fnf(api_server, "flow", "describe", flow_file.stem)
    assert code == 0, err
    assert description in out, out
    # Wide enough that the other tests' flows in this API never wrap the description.
    listed = runner.invoke(app, ["flow", "list"], env={**env(api_server), "COLUMNS": "1000"})
    assert listed.exit_code == 0, listed.stderr
    assert description in listed.stdout, listed.stdout
    code, out, err = fnf(
        api_server,
        "exec",
        "start",
        flow_file.stem,
        "--name",
        "brackets",
        "--input",
        '{"name": "[red]Ann[/red]", "seconds": 0}',
    )
    assert code == 0, err
    code, out, err = fnf(api_server, "exec", "describe", flow_file.stem, "brackets")
    assert code == 0, err
    assert "[red]Ann[/red]" in out, out
