"""How executions are named in Temporal (DESIGN 3).

The workflow id is `<flow>/<execution>`: FnF names cannot contain `/`, so the id is unambiguous,
readable in the Temporal UI, and Temporal itself refuses a second execution of the same name.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

WORKFLOW_ID_SEPARATOR = "/"

FLOW_NAME = SearchAttributeKey.for_keyword("FnFFlowName")
EXECUTION_NAME = SearchAttributeKey.for_keyword("FnFExecutionName")
SEARCH_ATTRIBUTE_KEYS = (FLOW_NAME, EXECUTION_NAME)


def workflow_id(flow: str, execution: str) -> str:
    return f"{flow}{WORKFLOW_ID_SEPARATOR}{execution}"


def split_workflow_id(value: str) -> tuple[str, str] | None:
    """(flow, execution) of an FnF workflow id, or None for other workflows."""
    flow, separator, execution = value.partition(WORKFLOW_ID_SEPARATOR)
    if not separator or not flow or not execution:
        return None
    return flow, execution
