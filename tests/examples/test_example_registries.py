"""Every example's functions.yaml loads and resolves every FC function its flows call."""

from __future__ import annotations

from pathlib import Path

import pytest

from translator import compile_file
from translator.graph import iter_steps
from worker.functions import FunctionRegistry

EXAMPLES = Path(__file__).parents[2] / "examples"
REGISTRIES = sorted(EXAMPLES.glob("*/functions.yaml"))


def test_every_example_with_functions_has_a_registry() -> None:
    with_code = {p.parent for p in EXAMPLES.glob("*/functions.py")}
    assert with_code == {p.parent for p in REGISTRIES}


@pytest.mark.parametrize("registry_path", REGISTRIES, ids=[p.parent.name for p in REGISTRIES])
def test_registry_resolves_every_fc_task(registry_path: Path) -> None:
    registry = FunctionRegistry.load(registry_path)
    resources = [
        step["resource"]
        for flow in sorted(registry_path.parent.glob("flow*.yaml"))
        for step in iter_steps(compile_file(flow)["steps"])
        if step["type"] == "task" and step["resource"]["kind"] == "fc"
    ]
    assert resources
    for resource in resources:
        assert registry.resolve(resource) is not None, resource["arn"]
