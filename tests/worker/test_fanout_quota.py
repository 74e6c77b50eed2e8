"""The per-event quota as a hostile user meets it, with the history expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow

BIG_BRANCHES = """\
version: v1
type: flow
steps:
  - type: parallel
    name: Par
    branches:
      - steps:
          - type: task
            name: B1
            resourceArn: acs:fc:::services/s/functions/big
      - steps:
          - type: task
            name: B2
            resourceArn: acs:fc:::services/s/functions/big
    outputMappings:
      - target: ok
        source: done
"""


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    (tmp_path / "functions.py").write_text(
        "def big(event, context):\n    return {'b': 'x' * 17000}\n"
    )
    path = tmp_path / "functions.yaml"
    path.write_text("functions:\n  s/big:\n    handler: functions.py:big\n")
    return path


async def test_parallel_over_quota_never_both_succeeds_and_fails(
    run_flow: RunFlow, registry: Path
) -> None:
    """Two branches of 17 KB each: whatever the verdict, the parallel step must not be recorded
    as StepSucceeded and then StepFailed, and an error that names an event must name one whose
    data holds the field over the quota."""
    outcome = await run_flow("brk-par", {}, text=BIG_BRANCHES, functions=registry)
    kinds = outcome.types("Par")
    assert not ("StepSucceeded" in kinds and "StepFailed" in kinds), outcome.trail()
    if outcome.status == "Failed":
        assert "event StepSucceeded" not in (outcome.cause or ""), outcome.cause
