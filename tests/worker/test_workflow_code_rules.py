"""Rules every line of workflow code keeps, checked on the source (worker/interpreter/
cancellation.py says why): no handler catches a BaseException beyond asyncio.CancelledError,
since GeneratorExit (a dropped run's coroutines being collected) and the SDK's eviction error
must end a run's code at once. tests/worker/test_dropped_runs.py shows what breaks otherwise."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_CODE = [
    ROOT / "worker" / "workflow.py",
    *sorted((ROOT / "worker" / "interpreter").rglob("*.py")),
]
TOO_BROAD = {"BaseException", "GeneratorExit"}


def _names(node: ast.expr | None) -> Iterator[str]:
    if node is None:
        yield "<bare except>"
    elif isinstance(node, ast.Tuple):
        for element in node.elts:
            yield from _names(element)
    elif isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr


def too_broad_catches(source: str) -> list[str]:
    """`line: name` of every handler (or contextlib.suppress) that catches too much."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler):
            names = set(_names(node.type))
        elif isinstance(node, ast.Call) and list(_names(node.func)) == ["suppress"]:
            names = {name for arg in node.args for name in _names(arg)}
        else:
            continue
        found += [
            f"{node.lineno}: {name}" for name in sorted(names & (TOO_BROAD | {"<bare except>"}))
        ]
    return found


def test_the_rule_sees_every_form_of_a_broad_catch() -> None:
    source = """
try:
    pass
except BaseException:
    pass
try:
    pass
except (ValueError, GeneratorExit):
    pass
try:
    pass
except:
    pass
with contextlib.suppress(BaseException):
    pass
try:
    pass
except (Exception, asyncio.CancelledError):
    pass
"""
    assert too_broad_catches(source) == [
        "4: BaseException",
        "8: GeneratorExit",
        "12: <bare except>",
        "14: BaseException",
    ]


@pytest.mark.parametrize("path", WORKFLOW_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_code_never_catches_beyond_a_cancellation(path: Path) -> None:
    assert too_broad_catches(path.read_text()) == []
