"""Which version of a flow an execution runs, and which Qualifier it was started with: what
ListExecutions' `Qualifier` filters on.

FnF's ListExecutions documents `Qualifier` as "the flow's version or alias" (API 2019-03-15,
ListExecutions request parameters), beside StartExecution's Qualifier, which picks the
version an execution runs. So StartExecution records both in the execution's memo, and
ListExecutions with a Qualifier lists the executions started with that Qualifier, plus, for a
version number, every execution that ran that version (an alias routes to versions). An
execution started without a Qualifier runs the flow's current definition, no version: it
matches no Qualifier.
"""

from __future__ import annotations

from typing import Any, Final

QUALIFIER_MEMO: Final = "qualifier"
VERSION_MEMO: Final = "version"


def qualifier_memo(qualifier: str | None, version: str | None) -> dict[str, str]:
    """The memo entries StartExecution adds for an execution started with `qualifier`."""
    if not qualifier:
        return {}
    return {QUALIFIER_MEMO: qualifier, VERSION_MEMO: version or ""}


def started_with(memo: dict[str, Any], qualifier: str) -> bool:
    """Whether an execution with this memo matches ListExecutions' `qualifier`."""
    if memo.get(QUALIFIER_MEMO) == qualifier:
        return True
    return qualifier.isdigit() and memo.get(VERSION_MEMO) == qualifier
