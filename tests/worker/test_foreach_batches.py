"""A large foreach runs its items in batches of child runs (worker/interpreter/parts.py), with
the semantics of an inline foreach: results in order, maxConcurrency across the whole
fan-out, fail-fast, catch. Small settings make a foreach of ~100 items 'large' here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.worker.conftest import RunFlow
from worker.history import read_history, run_chain

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
ARN = "acs:fc:::services/demo/functions"
SMALL = {"foreach_batch_threshold": 50, "foreach_batch_size": 20}

PASS_EACH = """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
      index: index
    steps:
      - type: pass
        name: Double
        inputMappings:
          - target: item
            source: $input.item
          - target: index
            source: $input.index
          - target: tag
            source: $input.tag
        outputMappings:
          - target: item
            source: $input.item
          - target: index
            source: $input.index
          - target: tag
            source: $input.tag
    outputMappings:
      - target: results
        source: $local
"""


def details(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [json.loads(e["EventDetail"]) for e in events if e["Type"] == kind]


async def test_batches_keep_the_items_order_and_read_like_executions(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    items = [f"i{n}" for n in range(130)]
    outcome = await run_flow("batches", {"items": items, "tag": "t"}, text=PASS_EACH, **SMALL)
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    expected = [{"item": item, "index": n, "tag": "t"} for n, item in enumerate(items)]
    assert outcome.output["results"] == expected
    entered = details(outcome.events, "PartEntered")
    assert [(d["firstIndex"], d["count"]) for d in entered] == [
        (0, 20), (20, 20), (40, 20), (60, 20), (80, 20), (100, 20), (120, 10)
    ]  # fmt: skip
    assert len(details(outcome.events, "PartExited")) == 7
    assert "IterationEntered" not in outcome.types()
    child = await read_history(temporal_env.client, entered[1]["workflowId"])
    kinds = [e["Type"] for e in child]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    started = json.loads(child[0]["EventDetail"])
    assert started["input"] == {"tag": "t"}  # the collection is not carried to each batch
    iterations = details(child, "IterationEntered")
    assert [d["index"] for d in iterations] == list(range(20, 40))


async def test_a_foreach_at_the_threshold_stays_inline(run_flow: RunFlow) -> None:
    items = list(range(50))
    outcome = await run_flow("batches", {"items": items, "tag": 1}, text=PASS_EACH, **SMALL)
    assert outcome.status == "Succeeded", outcome
    assert "PartEntered" not in outcome.types()
    assert outcome.types().count("IterationEntered") == 50


NAPS = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: {{limit}}
    steps:
      - type: task
        name: Work
        resourceArn: {ARN}/timed-nap
        inputMappings:
          - target: item
            source: $input.item
          - target: seconds
            source: 0.05
    outputMappings:
      - target: runs
        source: $local
"""


def max_overlap(windows: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in windows] + [(end, -1) for _, end in windows])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


@pytest.mark.parametrize("limit", [3, 7])
async def test_max_concurrency_holds_across_batches(run_flow: RunFlow, limit: int) -> None:
    items = list(range(60))
    settings = {"foreach_batch_threshold": 20, "foreach_batch_size": 8}
    text = NAPS.format(limit=limit)
    outcome = await run_flow(
        "batches", {"items": items}, text=text, functions=FUNCTIONS, **settings
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    runs = outcome.output["runs"]
    assert [run["item"] for run in runs] == items
    assert max_overlap([(run["started"], run["ended"]) for run in runs]) <= limit
    assert len(details(outcome.events, "PartEntered")) == 8


REJECT = f"""\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    maxConcurrency: 4
    steps:
      - type: task
        name: Check
        resourceArn: {ARN}/reject-bad
        inputMappings:
          - target: item
            source: $input.item
{{catch}}
    outputMappings:
      - target: results
        source: $local
"""

CATCH = """\
        errorMappings:
          - target: rejected
            source: $local.error
        catch:
          - errors: [ItemRejected]
            goto: Rejected
      - type: pass
        name: Rejected
"""


async def test_a_failed_item_fails_the_step_and_cancels_the_other_batches(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    items: list[Any] = list(range(200))
    items[45] = "bad"
    text = REJECT.format(catch="")
    outcome = await run_flow("batches", {"items": items}, text=text, functions=FUNCTIONS, **SMALL)
    assert outcome.status == "Failed"
    assert outcome.error == "ItemRejected"
    assert outcome.cause is not None and "item bad is bad" in outcome.cause
    failed = outcome.detail("StepFailed", "Each")
    assert failed["error"] == "ItemRejected"
    exited = details(outcome.events, "PartExited")
    assert len(exited) < 10  # 10 batches of 20: the rest never started
    assert any(d.get("error") == "ItemRejected" for d in exited)
    # The batch with the bad item ran its iterations 40..59; its failed one says why.
    bad_batch = next(d for d in details(outcome.events, "PartEntered") if d["firstIndex"] == 40)
    child = await read_history(temporal_env.client, bad_batch["workflowId"])
    assert child[-1]["Type"] == "ExecutionFailed"
    assert {"index": 45, "error": "ItemRejected"}.items() <= {
        **next(d for d in details(child, "IterationExited") if d["index"] == 45)
    }.items()


async def test_a_catch_inside_the_iterations_works_in_batches(run_flow: RunFlow) -> None:
    """FDL catches only on task steps (a foreach is caught inside its iterations or by a
    sub-flow task around it): an item's caught error stays that item's."""
    items: list[Any] = list(range(120))
    items[100] = "bad"
    text = REJECT.format(catch=CATCH)
    outcome = await run_flow("batches", {"items": items}, text=text, functions=FUNCTIONS, **SMALL)
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    results = outcome.output["results"]
    assert results[100] == {"rejected": "ItemRejected"}
    assert [r["item"] for n, r in enumerate(results) if n != 100] == items[:100] + items[101:]
    assert "PartEntered" in outcome.types()


async def test_a_local_that_can_never_fit_fails_before_any_batch(run_flow: RunFlow) -> None:
    items = [0] * 400  # 801 bytes of input; 400 locals take at least 1,201 bytes
    limits = {**SMALL, "step_data_limit": 1000}
    outcome = await run_flow("batches", {"items": items, "tag": 1}, text=PASS_EACH, **limits)
    assert outcome.status == "Failed"
    assert outcome.error == "FnF.RuntimeError"
    assert outcome.cause is not None and "at least" in outcome.cause
    assert "PartEntered" not in outcome.types()


async def test_an_over_limit_local_fails_as_soon_as_the_batches_exceed_it(
    run_flow: RunFlow,
) -> None:
    items = [f"item-{n:04d}" for n in range(300)]  # each local about 40 bytes: 12 KB in all
    limits = {**SMALL, "step_data_limit": 5000}
    outcome = await run_flow("batches", {"items": items, "tag": 1}, text=PASS_EACH, **limits)
    assert outcome.status == "Failed"
    assert outcome.cause is not None and "$local" in outcome.cause
    assert len(details(outcome.events, "PartEntered")) < 15  # not all 15 batches ran


async def test_a_batch_with_a_long_history_continues_as_new_with_the_rest(
    run_flow: RunFlow, temporal_env: WorkflowEnvironment
) -> None:
    """A batch whose history grows long starts no more items, lets the running ones end and
    continues as new with the rest, carrying the locals so far."""
    items = list(range(90))
    settings = {"foreach_batch_threshold": 50, "foreach_batch_size": 45, "continue_as_new_at": 120}
    text = NAPS.format(limit=4).replace("0.05", "0.01")
    outcome = await run_flow(
        "batches", {"items": items}, text=text, functions=FUNCTIONS, **settings
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    assert [run["item"] for run in outcome.output["runs"]] == items
    first = details(outcome.events, "PartEntered")[0]["workflowId"]
    runs = await run_chain(temporal_env.client, first)
    assert len(runs) >= 2
    child = await read_history(temporal_env.client, first)
    assert [e["EventId"] for e in child] == list(range(1, len(child) + 1))
    assert [d["index"] for d in details(child, "IterationEntered")] == list(range(45))
