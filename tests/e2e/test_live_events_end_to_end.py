"""`fnf run` streams task events as they happen (real subprocess, dev server, real time).

A function that runs for 3 s shows its TaskStarted while it runs, and a task retried twice
shows each failure when it happens, not in one burst when the task ends.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"

FLOW = f"""\
version: v1
type: flow
steps:
  - type: task
    name: slow
    resourceArn: {ARN}/nap
    inputMappings: [{{target: seconds, source: 3}}]
  - type: task
    name: shaky
    resourceArn: {ARN}/flaky
    inputMappings:
      - {{target: tally, source: $input.tally}}
      - {{target: failures, source: 2}}
    retry:
      - errors: [Flaky]
        intervalSeconds: 2
        maxAttempts: 2
        multiplier: 1
"""


async def lines_as_they_come(command: list[str]) -> list[tuple[float, str]]:
    """Each line of the command's stdout with the moment it arrived."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert process.stdout is not None
    lines = []
    async with asyncio.timeout(120):
        while line := await process.stdout.readline():
            lines.append((time.monotonic(), line.decode()))
        assert await process.wait() == 0, "".join(text for _, text in lines)
    return lines


def arrival(lines: list[tuple[float, str]], kind: str, step: str, nth: int = 0) -> float:
    found = [at for at, text in lines if f" {kind} " in text and f" {step} " in text]
    assert len(found) > nth, f"no {kind} of {step}: " + "".join(text for _, text in lines)
    return found[nth]


async def test_fnf_run_streams_starts_and_retries(dev_server_address: str, tmp_path: Path) -> None:
    flow = tmp_path / "live.yaml"
    flow.write_text(FLOW)
    lines = await lines_as_they_come(
        [
            sys.executable,
            "-m",
            "cli",
            "run",
            str(flow),
            "--functions",
            str(FUNCTIONS),
            "--input",
            f'{{"tally": "{tmp_path / "tally"}"}}',
            "--address",
            dev_server_address,
            "--task-queue",
            f"live-{uuid.uuid4().hex[:8]}",
        ]
    )
    # The 3 s function's start is printed while it runs, well before its end.
    assert arrival(lines, "TaskSucceeded", "slow") - arrival(lines, "TaskStarted", "slow") > 1.5
    # Each failure is printed when it happens; two 2 s backoffs follow the first.
    first_failure = arrival(lines, "TaskFailed", "shaky")
    second_failure = arrival(lines, "TaskFailed", "shaky", 1)
    assert second_failure - first_failure > 1.5
    assert arrival(lines, "TaskSucceeded", "shaky") - second_failure > 1.5
    printed_times = [text.split()[1] for _, text in lines if text[:4].strip().isdigit()]
    assert printed_times == sorted(printed_times)
