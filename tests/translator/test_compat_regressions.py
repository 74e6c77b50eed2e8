"""Faults a hostile user found in the translator: each test states the behaviour expected."""

from __future__ import annotations

from translator import validate_text

ITEM_ZERO = """\
version: v1
type: flow
steps:
  - type: pass
    name: P
    inputMappings:
      - target: first
        source: $input.items.0
"""

NULL_CHOICES = """\
version: v1
type: flow
steps:
  - type: choice
    name: C
    choices:
    default:
      goto: D
  - type: pass
    name: D
"""


def _errors(text: str) -> list[str]:
    result = validate_text(text, "flow.yaml")
    return [d.message for d in result.diagnostics if d.severity == "error"]


def test_dot_digit_member_still_validates() -> None:
    """`$input.items.0` validated (and read the key "0") before the RFC 9535 change; a stored
    flow that used it can no longer be started after the upgrade."""
    assert _errors(ITEM_ZERO) == []


def test_default_only_choice_with_null_choices() -> None:
    """A generator that writes `choices:` with nothing after it emits the same default-only
    choice as one that leaves `choices` out; both should be accepted with the warning."""
    assert _errors(NULL_CHOICES) == []
