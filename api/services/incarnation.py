"""Which executions belong to a flow: those of its live incarnation only.

FnF's DeleteFlow documentation: deletion is asynchronous; a flow created again under the same
name is not affected by the deleted one; after deletion none of its executions can be queried
any more, and each running execution stops after its current step. Temporal keeps the deleted
flow's workflows (their ids are `<flow>/<execution>`, DESIGN 3), so the API tells the
incarnations apart: every execution started through the API records its flow's `Id` (a fresh
UUID per CreateFlow) in the `FnFFlowId` search attribute and in its memo. Describe, history and
stop answer only for executions of the live incarnation; ListExecutions asks visibility for
them; and StartExecution may reuse a name whose previous execution belongs to a deleted one.

Executions that carry no Id (started before incarnations were recorded, and sub-flow children,
which the worker starts) belong to the live incarnation when they started after it was created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from worker.naming import FLOW_ID
from worker.visibility_query import all_of, any_of, at_least, equals, is_null

EMPTY_ENVIRONMENT: dict[str, Any] = {"Variables": []}


@dataclass(frozen=True)
class Incarnation:
    """The live flow's identity and the fields its executions report (StopExecution's
    RoleArn, DescribeExecution's Environment)."""

    flow: str
    id: str
    created: datetime | None
    role_arn: str = ""
    mode: str = "Standard"
    environment: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_ENVIRONMENT))

    @classmethod
    def of(cls, record: dict[str, Any]) -> Incarnation:
        environment = record.get("Environment")
        return cls(
            flow=str(record["Name"]),
            id=str(record.get("Id", "")),
            created=parse_time(str(record.get("CreatedTime", ""))),
            role_arn=str(record.get("RoleArn", "") or ""),
            mode=str(record.get("ExecutionMode", "") or "Standard"),
            environment=environment if isinstance(environment, dict) else EMPTY_ENVIRONMENT,
        )

    def memo(self) -> dict[str, Any]:
        """What an execution records about its flow at start."""
        return {"flowId": self.id, "roleArn": self.role_arn, "environment": self.environment}

    def owns(self, memo: dict[str, Any] | None, started: datetime | None) -> bool:
        """Whether an execution with this memo and start time is one of this incarnation's."""
        recorded = (memo or {}).get("flowId")
        if recorded:
            return bool(recorded == self.id)
        return self.created is None or started is None or started >= self.created

    def clause(self) -> str:
        """The same rule as `owns`, as a visibility query clause."""
        if not self.id:
            return equals("WorkflowType", "FnFFlow")  # a record without an Id: every execution
        own = equals(FLOW_ID.name, self.id)
        if self.created is None:
            return own
        since = self.created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return any_of(own, all_of(is_null(FLOW_ID.name), at_least("StartTime", since)))


def parse_time(text: str) -> datetime | None:
    """A time the API wrote (`2020-10-27T22:17:52.413Z`), or None."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
