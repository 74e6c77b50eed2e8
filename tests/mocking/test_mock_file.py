"""The mock file: its committed JSON schema is the one the pydantic models generate, and the
schema and the models accept and refuse the same documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from worker.mocking.model import SCHEMA_FILE, MockFileError, mock_schema, parse_mocks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == mock_schema(), (
        "regenerate: python -c 'from worker.mocking.model import SCHEMA_FILE, schema_text; "
        "SCHEMA_FILE.write_text(schema_text())'"
    )


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(mock_schema())


def test_saga_mock_file_is_valid() -> None:
    document = yaml.safe_load((EXAMPLES / "saga" / "mocks.yaml").read_text())
    jsonschema.Draft202012Validator(mock_schema()).validate(document)
    assert list(parse_mocks(document).cases) == ["success", "hotel-fails", "train-fails"]


OK = {"return": {}}
DOCUMENTS: list[tuple[str, Any, bool]] = [
    ("minimal", {"cases": {"a": {}}}, True),
    ("no cases", {"cases": {}}, False),
    ("missing cases", {"version": "v1"}, False),
    ("unknown version", {"version": "v2", "cases": {"a": {}}}, False),
    ("unknown top-level key", {"cases": {"a": {}}, "tests": {}}, False),
    ("return", {"cases": {"a": {"mocks": {"S": [OK]}}}}, True),
    ("error and cause", {"cases": {"a": {"mocks": {"S": [{"error": "E", "cause": "c"}]}}}}, True),
    ("empty error", {"cases": {"a": {"mocks": {"S": [{"error": ""}]}}}}, False),
    ("times 0", {"cases": {"a": {"mocks": {"S": [{"return": {}, "times": 0}]}}}}, False),
    (
        "negative delay",
        {"cases": {"a": {"mocks": {"S": [{"return": {}, "delaySeconds": -1}]}}}},
        False,
    ),
    ("unknown response key", {"cases": {"a": {"mocks": {"S": [{"throw": {}}]}}}}, False),
    ("callback succeed", {"cases": {"a": {"mocks": {"S": [{"callback": {"succeed": {}}}]}}}}, True),
    (
        "callback fail",
        {"cases": {"a": {"mocks": {"S": [{"callback": {"fail": {"error": "E", "cause": "c"}}}]}}}},
        True,
    ),
    (
        "callback fail without error",
        {"cases": {"a": {"mocks": {"S": [{"callback": {"fail": {}}}]}}}},
        False,
    ),
    ("status", {"cases": {"a": {"expect": {"status": "Succeeded"}}}}, True),
    ("bad status", {"cases": {"a": {"expect": {"status": "Done"}}}}, False),
    ("steps", {"cases": {"a": {"expect": {"steps": ["A", "B"], "calls": {"A": 2}}}}}, True),
    ("input not object", {"cases": {"a": {"input": [1]}}}, False),
]
"""Documents whose verdict the schema alone decides (both sides must agree)."""

RULES_BEYOND_THE_SCHEMA = [
    {"cases": {"a": {"mocks": {"S": [{"return": {}, "error": "E"}]}}}},
    {"cases": {"a": {"mocks": {"S": [{}]}}}},
    {"cases": {"a": {"mocks": {"S": [{"return": {}, "cause": "c"}]}}}},
    {"cases": {"a": {"mocks": {"S": [{"error": "E", "callback": {"succeed": {}}}]}}}},
    {"cases": {"a": {"mocks": {"S": [{"callback": {"succeed": {}, "fail": {"error": "E"}}}]}}}},
]
"""One-of rules the models check (a response's outcome): the schema describes the fields."""


@pytest.mark.parametrize(("name", "document", "valid"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_schema_and_models_agree(name: str, document: Any, valid: bool) -> None:
    schema_says = jsonschema.Draft202012Validator(mock_schema()).is_valid(document)
    try:
        parse_mocks(document)
        models_say = True
    except MockFileError:
        models_say = False
    assert (schema_says, models_say) == (valid, valid), name


@pytest.mark.parametrize("document", RULES_BEYOND_THE_SCHEMA)
def test_models_refuse_ambiguous_responses(document: Any) -> None:
    with pytest.raises(MockFileError, match=r"cases\.a\.mocks\.S\[0\]"):
        parse_mocks(document, "m.yaml")


@pytest.mark.parametrize("name", ["bad name!", "a/b", "a" * 129, "-x"])
def test_a_flow_name_outside_the_grammar_is_refused(name: str) -> None:
    """The executions' flow name: it used to reach Temporal's start, a traceback mid-run."""
    with pytest.raises(MockFileError, match=r"flow: Value error, flow name .* is invalid"):
        parse_mocks({"flow": name, "cases": {"a": {}}})
    assert parse_mocks({"flow": "ok_name-1", "cases": {"a": {}}}).flow == "ok_name-1"


@pytest.mark.parametrize("delay", [float("nan"), float("inf")])
def test_a_delay_that_is_no_number_is_said_so(delay: float) -> None:
    """NaN used to be refused as "less than or equal to 60", which it is not about."""
    document = {"cases": {"a": {"mocks": {"S": [{"return": {}, "delaySeconds": delay}]}}}}
    with pytest.raises(MockFileError, match=r"delaySeconds: Input should be a finite number"):
        parse_mocks(document, "m.yaml")
