"""Every invalid document in data/invalid_flows.yaml gets exactly its listed diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from translator import FlowValidationError, compile_text, validate_text
from translator.errors import Diagnostic

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "invalid_flows.yaml").read_text(encoding="utf-8")
)


def located(diagnostic: Diagnostic) -> str:
    """`line:column path: message` without the file name, as the corpus writes them."""
    return str(diagnostic).removeprefix(f"{diagnostic.file}:").replace("warning: ", "")


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_invalid_flow_is_rejected_with_exact_diagnostics(case: dict[str, Any]) -> None:
    result = validate_text(case["flow"], "order.yaml")

    assert [located(d) for d in result.errors] == case["errors"]
    assert [located(d) for d in result.warnings] == case.get("warnings", [])
    assert result.document is None
    assert all(d.file == "order.yaml" for d in result.diagnostics)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_compile_refuses_invalid_flow_with_all_errors(case: dict[str, Any]) -> None:
    with pytest.raises(FlowValidationError) as raised:
        compile_text(case["flow"], "order.yaml")

    assert [located(d) for d in raised.value.errors] == case["errors"]
    assert f"{len(case['errors'])} error(s)" in str(raised.value)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
