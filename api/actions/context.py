"""What every action handler gets: the services, and the facts about this deployment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client

from api.actions.params import Params
from api.services.executions import ExecutionService
from api.store.flows import FlowStore


@dataclass
class ApiContext:
    client: Client
    flows: FlowStore
    executions: ExecutionService
    schedules: Any  # api.services.schedules.ScheduleService
    region: str = "cn-hangzhou"
    regions: tuple[str, ...] = ()
    """Every region the caller is served in (DescribeRegions); empty: `region` alone."""


Handler = Callable[[ApiContext, Params], Awaitable[dict[str, Any]]]
