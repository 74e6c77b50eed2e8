"""CreateFlow and UpdateFlow answer a definition nested deeper than 200 levels with
InvalidArgument naming the spot, through the real `fnf api`: before, PyYAML's recursive
composer raised RecursionError and the API answered 500 InternalServerError."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import ApiServer
from tests.api.test_every_action_both_sdks import Sdk, legacy_sdk, refused

FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n"
DEEP = [
    FLOW + "    x: " + "[" * 3_000 + "]" * 3_000,
    FLOW + "    x: " + "{a: " * 3_000 + "1" + "}" * 3_000,
    "{" + '"a": {' * 3_000 + "}" * 3_001,  # JSON is YAML too
]


@pytest.fixture(scope="module")
def legacy(api_server: ApiServer) -> Sdk:
    return legacy_sdk(api_server)


@pytest.mark.parametrize("definition", DEEP)
def test_a_deep_definition_is_invalid_argument(legacy: Sdk, definition: str) -> None:
    name = f"deep_{uuid.uuid4().hex[:8]}"
    created = refused(
        lambda: legacy("CreateFlow", Name=name, Definition=definition, Description="", Type="FDL")
    )
    assert (created.code, created.status) == ("InvalidArgument", 400)
    legacy("CreateFlow", Name=name, Definition=FLOW, Description="", Type="FDL")
    updated = refused(lambda: legacy("UpdateFlow", Name=name, Definition=definition))
    assert (updated.code, updated.status) == ("InvalidArgument", 400)
    assert legacy("DescribeFlow", Name=name)["Definition"] == FLOW
