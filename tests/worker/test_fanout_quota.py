"""The quota on a parallel's or foreach's `$local` (the array of its members' locals): checked
before the step's StepSucceeded, so a step is never recorded as both succeeded and failed, and
the error names the step's $local rather than an event that does not carry it."""

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


FOREACH = """\
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
        name: Grow
        resourceArn: acs:fc:::services/s/functions/big
"""


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
    assert outcome.status == "Failed"
    assert (outcome.cause or "").startswith("step Par: the step's $local is 340")
    assert kinds[-1] == "StepFailed"


async def test_foreach_over_quota_fails_once_naming_its_local(
    run_flow: RunFlow, registry: Path
) -> None:
    """Two iterations of 17 KB: the foreach fails with no StepSucceeded before its
    StepFailed, and the cause names the step's $local."""
    outcome = await run_flow("brk-each", {"items": [1, 2]}, text=FOREACH, functions=registry)
    assert outcome.status == "Failed"
    kinds = outcome.types("Each")
    assert "StepSucceeded" not in kinds and kinds[-1] == "StepFailed", kinds
    assert (outcome.cause or "").startswith("step Each: the step's $local is")
