"""A YAML document nested deeper than the composer can recurse is a positioned diagnostic.

PyYAML composes nodes recursively, so a few thousand levels (a 20 KB flow) raised
RecursionError from inside the loader, past every YAMLError handler; the depth check on the
built data never ran. Flow style and block style, sequences and mappings, all go through the
same bound (translator/yaml_nesting.py)."""

from __future__ import annotations

import pytest
import yaml

from translator.source import load_document
from translator.validation import validate_text
from translator.yaml_nesting import MAX_DEPTH, safe_load

HEAD = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: P\n    x: "


def flow_sequences(levels: int) -> str:
    return "[" * levels + "]" * levels


def flow_mappings(levels: int) -> str:
    return "{a: " * levels + "1" + "}" * levels


def block_mappings(levels: int) -> str:
    lines = [" " * (level + 6) + "a:" for level in range(1, levels)]
    return "\n" + "\n".join(lines) + " 1\n"


DEEP = [flow_sequences, flow_mappings, block_mappings]


@pytest.mark.parametrize(
    ("shape", "levels"),
    [(shape, levels) for shape in DEEP for levels in (MAX_DEPTH + 1, 1_500)]
    + [(flow_sequences, 50_000), (flow_mappings, 20_000)],
)
def test_a_deep_flow_is_a_diagnostic_not_a_recursion_error(shape: object, levels: int) -> None:
    assert callable(shape)
    loaded = load_document(HEAD + shape(levels), "deep.yaml")
    assert loaded.data is None
    [diagnostic] = loaded.diagnostics
    assert f"nests deeper than {MAX_DEPTH} levels" in diagnostic.message
    assert diagnostic.line >= 6
    assert not validate_text(HEAD + shape(levels), "deep.yaml").ok


@pytest.mark.parametrize("shape", [flow_sequences, flow_mappings])
def test_nesting_up_to_the_bound_still_loads(shape: object) -> None:
    assert callable(shape)
    # `steps`, the step and `x` are three levels; the rest fill the bound exactly.
    loaded = load_document(HEAD + shape(MAX_DEPTH - 3), "deep.yaml")
    assert loaded.diagnostics == []
    assert loaded.data["steps"][0]["name"] == "P"


@pytest.mark.parametrize("shape", DEEP)
def test_the_plain_loader_raises_a_yaml_error(shape: object) -> None:
    """The loader the registry, mock, AccessKey and namespaces files use."""
    assert callable(shape)
    with pytest.raises(yaml.MarkedYAMLError, match="nests deeper"):
        safe_load("k: " + shape(1_500))
    assert safe_load("k: " + flow_sequences(MAX_DEPTH - 1)) is not None
