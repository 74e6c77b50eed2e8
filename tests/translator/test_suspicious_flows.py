"""Valid but suspicious documents compile, with the listed warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from translator import compile_text, validate_text
from translator.errors import Diagnostic

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "suspicious_flows.yaml").read_text(encoding="utf-8")
)


def located(diagnostic: Diagnostic) -> str:
    return str(diagnostic).removeprefix(f"{diagnostic.file}:").replace("warning: ", "")


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_suspicious_flow_warns_but_compiles(case: dict[str, Any]) -> None:
    result = validate_text(case["flow"], "order.yaml")

    assert result.errors == []
    assert [located(d) for d in result.warnings] == case["warnings"]
    assert compile_text(case["flow"])["format"] == 1


def test_strict_mode_rejects_extensions() -> None:
    flow = """\
version: v1
type: flow
steps:
  - type: foreach
    name: each
    maxConcurrency: 5
    iterationMapping: {collection: $.items, item: item}
    steps:
      - {type: pass, name: a}
"""
    assert validate_text(flow).ok
    strict = validate_text(flow, "f.yaml", strict=True)
    assert [located(d) for d in strict.errors] == [
        "6:21 steps[0].maxConcurrency: maxConcurrency is an fnf-temporal extension;"
        " Alibaba Cloud does not accept it"
    ]
