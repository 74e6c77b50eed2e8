"""What `fnf run` shows, as a subprocess on the session's dev server: events indented by
branch and iteration (and placed in the right one while iterations interleave), retries as
they happen, function output on stderr with a prefix, a summary naming the failed step, `--json`
lines, `--full`, and a closed pipe that ends the command at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

FANOUT = """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: task
        name: Work
        resourceArn: acs:fc:::services/t/functions/sleepy
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: pass
            name: Fine
      - steps:
          - type: task
            name: Shaky
            resourceArn: acs:fc:::services/t/functions/shaky
            retry:
              - errors: [Shaky]
                intervalSeconds: 2
                maxAttempts: 1
"""

FUNCTIONS_PY = """\
import json
import time


class Shaky(Exception):
    pass


def sleepy(event, context):
    item = json.loads(event)["item"]
    print(f"working on {item}")
    time.sleep(item * 0.3)
    return {"done": item}


def shaky(event, context):
    print("shaking")
    raise Shaky("it shook")
"""

FUNCTIONS_YAML = """\
functions:
  t/sleepy:
    handler: functions.py:sleepy
  t/shaky:
    handler: functions.py:shaky
"""

LONG = """\
version: v1
type: flow
steps:
  - type: pass
    name: Long
    outputMappings:
      - target: text
        source: $input.text
"""
WAITS = "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: Nap\n    duration: 600\n"
ITEMS = [3, 1, 2]


def fnf_run(folder: Path, address: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("fnf")), "run", *args, "--address", address],
        cwd=folder,
        env={**os.environ, "FNF_TASK_QUEUE": f"view-{os.getpid()}-{time.monotonic_ns()}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def fanout(tmp_path: Path) -> Path:
    (tmp_path / "fanout.yaml").write_text(FANOUT)
    (tmp_path / "functions.py").write_text(FUNCTIONS_PY)
    (tmp_path / "functions.yaml").write_text(FUNCTIONS_YAML)
    return tmp_path


def test_run_shows_members_retries_output_and_the_failed_step(
    fanout: Path, dev_server_address: str
) -> None:
    run = fnf_run(
        fanout, dev_server_address, "fanout.yaml", "--input", json.dumps({"items": ITEMS})
    )
    assert run.stdout is not None
    arrived: list[tuple[float, str]] = []
    for line in run.stdout:
        arrived.append((time.monotonic(), line.rstrip("\n")))
    stderr = run.stderr.read() if run.stderr else ""
    run.wait(timeout=30)
    assert run.returncode == 1, stderr
    lines = [line for _, line in arrived]
    text = "\n".join(lines)

    # every event of iteration i is tagged Each#i and indented; its data is item i's
    for line in lines:
        found = re.search(r"Each#(\d)/Work", line)
        if found is None:
            continue
        assert re.match(r"^ *\d+ \S+   (Step|Task)", line), line  # one level in
        item = ITEMS[int(found[1])]
        if "TaskSucceeded" in line:
            assert f'"done":{item}' in line, line
        if "StepEntered" in line:
            assert f'"item":{item}' in line, line
    assert sum("Each#" in line and "TaskSucceeded" in line for line in lines) == 3
    assert any("Both#1/Shaky" in line and "TaskFailed" in line for line in lines)
    assert any("Both#0/Fine" in line for line in lines)

    # the retry is printed when it is scheduled, not at the end (its backoff is 2 s)
    retry_at = next(t for t, line in arrived if "retry after Shaky" in line)
    end_at = next(t for t, line in arrived if line.startswith("Failed"))
    assert end_at - retry_at > 1.0, text
    assert any("attempt 2" in line for line in lines)

    # the summary names the failed step, its branch, the error and the cause
    assert "Failed, ended at step Both" in text
    assert "failed step: Both#1 > Shaky" in text
    assert "error: Shaky" in text and "it shook" in text

    # function output stays out of the event stream, prefixed on stderr
    assert "working on" not in text and "shaking" not in text
    assert re.search(r"^fn \[t/sleepy [^\]]*\] working on 3$", stderr, re.M), stderr
    assert re.search(r"^fn \[t/shaky [^\]]*\] shaking$", stderr, re.M), stderr


def test_run_json_is_one_object_per_line_then_the_outcome(
    fanout: Path, dev_server_address: str
) -> None:
    run = fnf_run(fanout, dev_server_address, "fanout.yaml", "--json", "--input", '{"items": [1]}')
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1, err
    objects = [json.loads(line) for line in out.splitlines()]
    events, outcome = objects[:-1], objects[-1]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["Type"] == "ExecutionFailed"
    assert {tuple(e["Within"]) for e in events} >= {(), ("Each#0",), ("Both#0",), ("Both#1",)}
    assert outcome == {
        "Status": "Failed",
        "Error": "Shaky",
        "Cause": outcome["Cause"],
        "FailedStep": "Shaky",
        "FailedWithin": ["Both#1"],
        "EndedAt": "Both",
        "Output": None,
        "Caught": None,
    }
    assert "it shook" in outcome["Cause"]


def test_full_prints_details_whole(tmp_path: Path, dev_server_address: str) -> None:
    (tmp_path / "long.yaml").write_text(LONG)
    text = json.dumps({"text": "x" * 400 + "END"})
    cut = fnf_run(tmp_path, dev_server_address, "long.yaml", "--input", text)
    out, err = cut.communicate(timeout=60)
    assert cut.returncode == 0, err
    started = next(line for line in out.splitlines() if "ExecutionStarted" in line)
    assert "END" not in started and "chars; --full)" in started
    assert "END" in out  # the summary's output is never cut
    whole = fnf_run(tmp_path, dev_server_address, "long.yaml", "--full", "--input", text)
    out, err = whole.communicate(timeout=60)
    started = next(line for line in out.splitlines() if "ExecutionStarted" in line)
    assert "x" * 400 + 'END"}}' in started and "--full" not in started


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("attempt", [1, 2])
def test_a_closed_pipe_ends_the_run_at_once(
    tmp_path: Path, dev_server_address: str, as_json: bool, attempt: int
) -> None:
    """`fnf run ... | head -1` on a flow that waits 10 minutes returns promptly. Run more than
    once: the write that finds the pipe closed and the closed-pipe notice race, and a notice
    that cancelled the stop a write had begun left the worker's pollers running for 30 s
    (about one run in six)."""
    (tmp_path / "waits.yaml").write_text(WAITS)
    run = fnf_run(tmp_path, dev_server_address, "waits.yaml", *(["--json"] if as_json else []))
    assert run.stdout is not None and run.stderr is not None
    first = run.stdout.readline()
    assert first
    run.stdout.close()
    began = time.monotonic()
    run.wait(timeout=30)
    assert time.monotonic() - began < 10
    assert run.returncode == 141
    assert "Traceback" not in run.stderr.read()


CAUGHT = """\
version: v1
type: flow
steps:
  - type: task
    name: Try
    resourceArn: acs:fc:::services/t/functions/shaky
    catch:
      - errors: [Shaky]
        goto: GiveUp
  - type: succeed
    name: Done
  - type: fail
    name: GiveUp
    error: GaveUp
    cause: the task shook
"""


def test_the_summary_names_a_caught_error_behind_a_fail_step(
    fanout: Path, dev_server_address: str
) -> None:
    (fanout / "caught.yaml").write_text(CAUGHT)
    run = fnf_run(fanout, dev_server_address, "caught.yaml")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1, err
    assert re.search(r"StepExited +Try +caught Shaky, goto GiveUp", out), out
    summary = out[out.index("Failed, ended at step GiveUp") :]
    assert "failed step: GiveUp" in summary and "error: GaveUp" in summary
    assert "cause: the task shook" in summary
    assert "caught before: Try failed with Shaky: " in summary and "(went to GiveUp)" in summary
