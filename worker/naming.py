"""How executions are named in Temporal (DESIGN 3).

The workflow id is `<flow>/<execution>`, built only from names that fit the one name grammar
(translator/names.py). No flow name contains `/`, so the id splits at its first `/` into exactly
one (flow, execution) pair: two different pairs never share an id, it reads well in the Temporal
UI, and Temporal itself refuses a second execution of the same name. The project's other
workflow ids (`fnf-flow:<flow>`, `fnf-schedule:<flow>:<schedule>`, `fnf-mns-queue:<queue>`,
and the ids Temporal's scheduler derives from them) contain no `/`, so they never collide with
an execution's.
"""

from __future__ import annotations

from urllib.parse import quote

from temporalio.common import SearchAttributeKey

from translator.names import EXECUTION, FLOW

WORKFLOW_ID_SEPARATOR = "/"

FLOW_NAME = SearchAttributeKey.for_keyword("FnFFlowName")
EXECUTION_NAME = SearchAttributeKey.for_keyword("FnFExecutionName")
FLOW_ID = SearchAttributeKey.for_keyword("FnFFlowId")
"""The Id of the flow incarnation an execution was started under (CreateFlow's `Id`): a flow
deleted and created again under its name is a new incarnation, and the executions of the old
one are no longer its executions (DeleteFlow's documented rule, api/services/incarnation.py)."""
EXECUTION_MEMO = "fnf"
"""Memo key of what the API records about an execution's flow at start (its incarnation Id,
RoleArn and Environment), for DescribeExecution and StopExecution, and of its redrives
(worker/redrive.py)."""

SEARCH_ATTRIBUTE_KEYS = (FLOW_NAME, EXECUTION_NAME, FLOW_ID)

EXECUTIONS_ONLY = "FnFExecutionName IS NOT NULL"
"""The visibility query that lists FnF executions (sub-flows included) and nothing else: the
project's internal workflows (flow definitions `fnf-flow:`, pinned definitions
`fnf-definition:`, signature nonces `fnf-nonce:`, MNS queues and topics, schedule starts) and
the part runs of large foreach steps never carry FnFExecutionName. The Temporal UI's default
view lists a namespace's every workflow; this query, in its URL or a saved view, or in
`temporal workflow list|count --query`, leaves only the executions."""


def executions_only_url(ui: str, namespace: str) -> str:
    """The Temporal Web UI's workflow list showing executions only."""
    return f"{ui}/namespaces/{quote(namespace, safe='')}/workflows?query={quote(EXECUTIONS_ONLY)}"


def execution_url(ui: str, namespace: str, flow: str, execution: str) -> str:
    """The Temporal Web UI's page of an execution's workflow. The names are encoded as one
    path segment each (RFC 3986 section 3.3), the workflow id's separator included."""
    workflow = quote(join_workflow_id(flow, execution), safe="")
    return f"{ui.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{workflow}"


def workflow_id(flow: str, execution: str) -> str:
    """The execution's workflow id; InvalidName (a ValueError) for a name outside the grammar."""
    return join_workflow_id(FLOW.check(flow), EXECUTION.check(execution))


def join_workflow_id(flow: str, execution: str) -> str:
    """The id without checking the names: only for replaying executions that started a child
    under a name the grammar now refuses (worker/interpreter/steps/subflow.py)."""
    return f"{flow}{WORKFLOW_ID_SEPARATOR}{execution}"


def split_workflow_id(value: str) -> tuple[str, str] | None:
    """(flow, execution) of an FnF execution's workflow id, or None for other workflows."""
    flow, separator, execution = value.partition(WORKFLOW_ID_SEPARATOR)
    if not separator or not FLOW.is_valid(flow) or not EXECUTION.is_valid(execution):
        return None
    return flow, execution
