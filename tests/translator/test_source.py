"""Loading YAML/JSON with positions."""

from __future__ import annotations

from translator.source import format_path, load_document


def test_positions_of_values_and_keys_are_one_based() -> None:
    doc = load_document("version: v1\nsteps:\n  - name: a\n    type: pass\n", "f.yaml")
    assert doc.diagnostics == []
    assert doc.source_map.value(("steps", 0, "name")).line == 3
    assert doc.source_map.value(("steps", 0, "name")).column == 11
    assert doc.source_map.key(("steps", 0, "type")).column == 5


def test_missing_path_falls_back_to_nearest_ancestor() -> None:
    doc = load_document("steps:\n  - name: a\n")
    assert doc.source_map.value(("steps", 0, "nothing", 3)).line == 2


def test_timestamps_stay_strings() -> None:
    doc = load_document("timestamp: 2019-05-02T15:04:05Z\nday: 2020-01-01\n")
    assert doc.data == {"timestamp": "2019-05-02T15:04:05Z", "day": "2020-01-01"}


def test_yaml_types_are_kept() -> None:
    doc = load_document("a: 1\nb: 1.5\nc: true\nd: null\ne: .avi\nf: '3'\n")
    assert doc.data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": ".avi", "f": "3"}


def test_anchors_and_merge_keys_are_resolved() -> None:
    doc = load_document("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert doc.data["other"] == {"x": 1, "y": 2}


def test_non_string_keys_keep_their_text() -> None:
    assert load_document("1: a\ntrue: b\n").data == {"1": "a", "true": "b"}


def test_alias_bomb_is_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    doc = load_document("\n".join(lines) + "\n")
    assert doc.data is None
    assert "more than 100000 values" in doc.diagnostics[0].message


def test_recursive_alias_is_refused() -> None:
    doc = load_document("a: &a [*a]\n")
    assert doc.data is None
    assert doc.diagnostics


def test_format_path() -> None:
    assert format_path(("steps", 2, "catch", 0, "goto")) == "steps[2].catch[0].goto"
    assert format_path(()) == ""


def test_an_integer_python_will_not_build_is_a_positioned_diagnostic() -> None:
    """PyYAML raises plain ValueError past Python's int-string conversion limit (4,300 digits);
    as a value or as a key it is a problem of the document at its place, not an exception (the
    API answered CreateFlow with InternalServerError)."""
    digits = "9" * 5000
    for text, line, column in (
        (f"version: v1\nsteps:\n  - {{type: pass, name: P, x: {digits}}}\n", 3, 30),
        (f"version: v1\n? {digits}\n: 1\n", 2, 3),
    ):
        loaded = load_document(text, "big.yaml")
        assert loaded.data is None
        [problem] = loaded.diagnostics
        assert "cannot be read: Exceeds the limit" in problem.message
        assert (problem.line, problem.column) == (line, column)
