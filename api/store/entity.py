"""FnFFlowDefinition: the long-lived workflow that holds one flow's definition (DESIGN 1).

Temporal is the only store. The flow's record (the FnF fields of DescribeFlow) is the input of
the workflow's current run, and mirrored into its memo, so DescribeFlow and ListFlows answer from
visibility and history even while no worker runs. A change is an Update: the handler validates
nothing (the API compiled the definition already), records the new state, and the run continues
as new with it, so the history of each run stays a few events long.
"""

# No `from __future__ import annotations`: Temporal resolves these hints in the sandbox.
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from translator.names import FLOW

ENTITY_WORKFLOW = "FnFFlowDefinition"
ENTITY_ID_PREFIX = "fnf-flow:"
MEMO_DEFINITION_LIMIT = 16_000
"""Definitions up to this many characters are copied into the memo (Temporal caps memo size);
longer ones are read from the run's start event."""


def entity_id(flow: str) -> str:
    """`fnf-flow:<name>`: flow names hold neither `:` nor `/` (translator/names.py), and every
    execution's id holds a `/`, so the two never clash."""
    return f"{ENTITY_ID_PREFIX}{FLOW.check(flow)}"


@dataclass
class FlowState:
    """`record` has FnF's wire names (Name, Definition, Description, Type, RoleArn, Id, ...);
    `versions` are the published definitions, `aliases` their named pointers."""

    record: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Written:
    """Every write's answer: the value, and the run that applied the write. That run hands
    over to a new one (or ends, for DeleteFlow) once its Update handlers finish; the writer
    waits for it so that its own reads see the change."""

    run_id: str
    value: Any = None


def written(value: Any) -> Written:
    return Written(workflow.info().run_id, value)


def memo_of(state: FlowState) -> dict[str, Any]:
    record = dict(state.record)
    if len(record.get("Definition", "")) > MEMO_DEFINITION_LIMIT:
        record.pop("Definition")
        record["DefinitionInHistory"] = True
    return {"flow": record}


@workflow.defn(name=ENTITY_WORKFLOW)
class FlowDefinitionWorkflow:
    @workflow.init
    def __init__(self, state: FlowState) -> None:
        self._state = state
        self._changed = False
        self._deleted = False

    @workflow.query(
        name="state",
        description="The flow's record (FnF's wire names), its published versions and "
        "aliases. Read by DescribeFlow and StartExecution; use `fnf flow "
        "describe`.",
    )
    def state(self) -> FlowState:
        return self._state

    @workflow.update(
        name="UpdateFlow",
        description="internal: UpdateFlow's changed fields, already checked by the API. Use "
        "`fnf flow update` or UpdateFlow: an Update sent here skips the API's "
        "checks.",
    )
    def update_flow(self, changes: dict[str, Any]) -> Written:
        """Apply the given fields (already validated by the API); answers the new record."""
        self._state.record = {**self._state.record, **changes}
        self._changed = True
        workflow.upsert_memo(memo_of(self._state))
        return written(self._state.record)

    @workflow.update(
        name="PublishFlowVersion",
        description="internal: PublishFlowVersion pins the current definition as the next "
        "version. Use the API action.",
    )
    def publish_version(self, version: dict[str, Any]) -> Written:
        """Pin the current definition as the next version number."""
        number = len(self._state.versions) + 1
        published = {
            **version,
            "Version": str(number),
            "Definition": self._state.record["Definition"],
        }
        self._state.versions = [*self._state.versions, published]
        self._changed = True
        return written(published)

    @workflow.update(
        name="SetFlowAlias",
        description="internal: CreateFlowAlias / UpdateFlowAlias, already checked by the API. "
        "Use the API actions.",
    )
    def set_alias(self, alias: dict[str, Any]) -> Written:
        self._state.aliases = {**self._state.aliases, alias["Name"]: alias}
        self._changed = True
        return written(alias)

    @workflow.update(
        name="DeleteFlowAlias",
        description="internal: DeleteFlowAlias of the alias named. Use the API action.",
    )
    def delete_alias(self, name: str) -> Written:
        existed = name in self._state.aliases
        self._state.aliases = {k: v for k, v in self._state.aliases.items() if k != name}
        self._changed = True
        return written(existed)

    @workflow.update(
        name="DeleteFlow",
        description="internal: DeleteFlow ends this flow's record; the API also stops its "
        "executions and schedules. Use `fnf flow delete`.",
    )
    def delete_flow(self) -> Written:
        self._deleted = True
        return written(None)

    @workflow.run
    async def run(self, state: FlowState) -> None:
        await workflow.wait_condition(lambda: self._changed or self._deleted)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._deleted:
            workflow.continue_as_new(self._state, memo=memo_of(self._state))
