"""Inline steps run straight through (worker/interpreter/inline.py) exactly as the generic
path runs them: random flows of pass, choice (nested, looping back), succeed and fail steps
with random input/output mappings, conditions, `$context` reads, event data quotas and short
activations (pauses, continue-as-new), each run once with the straight path and once with it
off, give the same status, output, error and every FnF event (Time aside: each execution has
its own clock); and the history the straight path recorded replays on the generic path, so
both issue the same Temporal commands."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from temporalio.testing import WorkflowEnvironment

from tests.helpers.switched_runs import Switch, SwitchedWorker, assert_alike, switched_worker
from worker.interpreter import inline
from worker.interpreter.sizes import LEAN_SINCE
from worker.interpreter.versions import INTERPRETER_VERSION

KEYS = ("a", "b", "c")
SCALARS = st.one_of(st.integers(0, 3), st.sampled_from(["x", "y", ""]), st.booleans())
SOURCES = st.one_of(
    st.sampled_from([f"$input.{key}" for key in KEYS] + [f"$local.{key}" for key in KEYS]),
    st.sampled_from(["$input.blob", "$context.step.name", "$context.step.eventId", "$input"]),
    SCALARS,
)
MAPPINGS = st.none() | st.lists(
    st.fixed_dictionaries({"target": st.sampled_from(KEYS), "source": SOURCES}), max_size=3
)
CONDITIONS = st.sampled_from(
    [
        "$.a == 1",
        '$.b != "x"',
        "$.c > 1 && $.a < 2",
        "!($.a == 0)",
        "$.b == true || $.c == 2",
        "$.n >= 2",
    ]
)


def _pass(name: str, inputs: Any, outputs: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"type": "pass", "name": name}
    if inputs is not None:
        step["inputMappings"] = inputs
    if outputs is not None:
        step["outputMappings"] = outputs
    return step


@st.composite
def _steps(draw: st.DrawFn, prefix: str, depth: int) -> list[dict[str, Any]]:
    """A list of pass and choice steps (choices nest up to `depth` more levels)."""
    steps: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0 if depth < 2 else 1, 3))):
        name = f"{prefix}{index}"
        if depth > 0 and draw(st.booleans()):
            options = [
                {"condition": draw(CONDITIONS), "steps": draw(_steps(f"{name}o{o}_", depth - 1))}
                for o in range(draw(st.integers(1, 2)))
            ]
            choice: dict[str, Any] = {"type": "choice", "name": name, "choices": options}
            if draw(st.booleans()):
                choice["default"] = {"steps": draw(_steps(f"{name}d_", depth - 1))}
            if draw(st.booleans()):
                choice["outputMappings"] = draw(MAPPINGS) or []
            steps.append(choice)
        else:
            steps.append(_pass(name, draw(MAPPINGS), draw(MAPPINGS)))
    return steps


@st.composite
def flows(draw: st.DrawFn) -> dict[str, Any]:
    """init, random steps, a loop counting `n` up to 0-4 (its options run random steps and go
    back to the loop), random steps, then succeed or fail."""
    turns = draw(st.integers(0, 4))
    init = _pass("init", None, [{"target": "n", "source": 0}, *(draw(MAPPINGS) or [])])
    options = [
        {
            "condition": f"$.n == {turn}",
            "steps": [
                _pass(f"count{turn}", None, [{"target": "n", "source": turn + 1}]),
                *draw(_steps(f"turn{turn}_", 1)),
            ],
            "goto": "loop",
        }
        for turn in range(turns)
    ]
    loop = {"type": "choice", "name": "loop", "choices": options, "default": {"steps": []}}
    if not options:
        loop["choices"] = [{"condition": "$.n == 9", "steps": []}]
    end: dict[str, Any] = {"type": "succeed", "name": "done"}
    if draw(st.booleans()):
        end = {"type": "fail", "name": "done", "error": "E.Random", "cause": "drawn"}
    steps = [init, *draw(_steps("s", 2)), loop, *draw(_steps("t", 2)), end]
    return {"version": "v1", "type": "flow", "steps": steps}


STRAIGHT_PATH = Switch(inline, "COMPILED")
"""Off: every step takes the generic path."""

RUNS = st.fixed_dictionaries(
    {
        "step_data_limit": st.sampled_from([0, 48, 64, 100, 32 * 1024]),
        "steps_per_activation": st.sampled_from([3, 7, 1000]),
        "pauses_per_run": st.sampled_from([1, 20]),
        # runs sized the lean way (version 7 on) and the JsonSizes way before
        "interpreter_version": st.sampled_from([LEAN_SINCE - 1, INTERPRETER_VERSION]),
    }
)
INPUTS = st.fixed_dictionaries(
    {"a": SCALARS, "b": SCALARS, "c": SCALARS, "blob": st.text("xyz\u00e9", max_size=40)}
)


@pytest_asyncio.fixture(scope="module")
async def unsandboxed(temporal_env: WorkflowEnvironment) -> AsyncIterator[SwitchedWorker]:
    async with switched_worker(temporal_env.client, "inline-fast", STRAIGHT_PATH) as worker:
        yield worker


@settings(
    max_examples=20,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # no shrinking: minutes per failure
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flow=flows(), data=INPUTS, fields=RUNS)
async def test_straight_path_matches_the_generic_path(
    unsandboxed: SwitchedWorker, flow: dict[str, Any], data: Any, fields: Any
) -> None:
    text = json.dumps(flow)
    fast = await unsandboxed.run(text, data, fields, on=True)
    generic = await unsandboxed.run(text, data, fields, on=False)
    assert_alike(fast, generic)
    event(f"{fast.status} {fast.error or ''} {(fast.cause or '')[:28]}, {fast.runs} run(s)")
    await unsandboxed.replays_switched_off(fast.workflow_id)
