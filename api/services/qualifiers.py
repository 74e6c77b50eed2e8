"""Which version of a flow an execution runs, and which Qualifier it was started with: what
ListExecutions' `Qualifier` filters on.

FnF's ListExecutions documents `Qualifier` as "the flow's version or alias" (API 2019-03-15,
ListExecutions request parameters), beside StartExecution's Qualifier, which picks the
version an execution runs. So StartExecution records both in the execution's memo, and
ListExecutions with a Qualifier lists the executions started with that Qualifier, plus, for a
version number, every execution that ran that version (an alias routes to versions). An
execution started without a Qualifier runs the flow's current definition, no version: it
matches no Qualifier, and its memo says so (an empty `qualifier`).

Executions started before the memo existed (no `qualifier` entry at all) ran what they ran
all the same: a version's definition when started with its number or an alias. Their version
is derived from the definition they pinned (DESIGN 2): one that is the text of the version a
number names matches that number. Which alias, if any, routed them is not known, so they match
no alias; Step Functions, the one documented model of versions and aliases, likewise ties an
execution to an alias only when it was started through it ("How Step Functions associates
executions with a version or alias"). Sub-flow children are started by their parent's
workflow, not by StartExecution: they run the sub-flow's current definition and match none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

QUALIFIER_MEMO: Final = "qualifier"
VERSION_MEMO: Final = "version"


def qualifier_memo(qualifier: str | None, version: str | None) -> dict[str, str]:
    """The memo entries StartExecution adds: empty values for an execution started without a
    Qualifier, so that an execution without the entries is known to predate them."""
    return {QUALIFIER_MEMO: qualifier or "", VERSION_MEMO: version or ""}


def recorded(memo: dict[str, Any]) -> bool:
    """Whether StartExecution recorded the execution's Qualifier (or its absence)."""
    return QUALIFIER_MEMO in memo


def started_with(memo: dict[str, Any], qualifier: str) -> bool:
    """Whether an execution with this memo matches ListExecutions' `qualifier`."""
    if memo.get(QUALIFIER_MEMO) == qualifier:
        return True
    return qualifier.isdigit() and memo.get(VERSION_MEMO) == qualifier


@dataclass(frozen=True)
class QualifierFilter:
    """ListExecutions' Qualifier, with what an execution that predates the memo must have run
    to match it: the SHA-256 (api/services/execution_data.py `definition_key`) of the
    definition of the version a number names; None for an alias, which such executions never
    match."""

    qualifier: str
    version_definition: str | None

    def matches_recorded(self, memo: dict[str, Any]) -> bool:
        return started_with(memo, self.qualifier)

    def matches_derived(self, definition_key: str | None) -> bool:
        """An execution without the memo: by the definition it pinned."""
        return self.version_definition is not None and definition_key == self.version_definition
