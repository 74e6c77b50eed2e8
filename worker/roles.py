"""What one `fnf worker` process polls: its role, and the task queues that role serves.

A worker process can run everything (the default), only the interpreter (`--workflows-only`:
FnFFlow and the activities it runs for itself), or only task activities (`--functions-only`,
or `--service NAME...` for the functions of some FC services). The registry routes functions
to task queues (`taskQueue`, per service or per function, worker/functions/registry.py); the
interpreter schedules each function's activity on its queue, so a pool of function workers
serves exactly the queues of its services and scales alone (Temporal "Task Queues": any worker
polling a queue may take any of its tasks, so a queue is the unit a pool serves).

A local-activity function (`localActivity: true`) runs inside the worker that runs the
execution's workflow task, so only an interpreter worker (the default or `--workflows-only`)
calls it, with its own registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from worker.functions import FunctionRegistry


class Role(Enum):
    EVERYTHING = "everything"
    WORKFLOWS = "workflows"
    FUNCTIONS = "functions"


class RoleError(ValueError):
    """The role cannot be served as asked; one line naming the fix."""


@dataclass(frozen=True)
class WorkerRole:
    """What this process runs: `kind`, and for function workers the FC services (empty: all)."""

    kind: Role = Role.EVERYTHING
    services: tuple[str, ...] = ()

    @classmethod
    def of_options(
        cls, workflows_only: bool, functions_only: bool, services: Sequence[str]
    ) -> WorkerRole:
        if workflows_only and (functions_only or services):
            raise RoleError("--workflows-only excludes --functions-only and --service")
        if workflows_only:
            return cls(Role.WORKFLOWS)
        if functions_only or services:
            return cls(Role.FUNCTIONS, tuple(dict.fromkeys(services)))
        return cls()

    @property
    def runs_interpreter(self) -> bool:
        return self.kind is not Role.FUNCTIONS

    def describe(self) -> str:
        if self.kind is Role.WORKFLOWS:
            return "interpreter only (FnFFlow)"
        if self.kind is Role.FUNCTIONS and self.services:
            return f"functions of {', '.join(self.services)}"
        if self.kind is Role.FUNCTIONS:
            return "task activities only"
        return "interpreter and task activities"


@dataclass(frozen=True)
class QueuePlan:
    """One Temporal worker: a task queue, and whether it runs the interpreter (FnFFlow and its
    own activities), every task activity (functions, actions, MNS) or only InvokeFunction."""

    task_queue: str
    interpreter: bool = False
    task_activities: bool = False
    functions: bool = False


@dataclass(frozen=True)
class WorkerPlan:
    queues: list[QueuePlan]
    notices: list[str] = field(default_factory=list)
    """Lines the command prints before it starts (what this role leaves to others)."""


def plan(role: WorkerRole, registry: FunctionRegistry, task_queue: str) -> WorkerPlan:
    """The Temporal workers a process with `role` runs; RoleError when it cannot serve it."""
    others = _served_queues(registry) - {task_queue}
    if role.kind is Role.WORKFLOWS:
        routed = _served_queues(registry) | set(registry.services.values()) | {task_queue}
        notice = (
            f"function tasks on {', '.join(sorted(routed))} need workers "
            "started with --functions-only or --service"
        )
        return WorkerPlan([QueuePlan(task_queue, interpreter=True)], [notice])
    if role.kind is Role.EVERYTHING or not role.services:
        default = QueuePlan(
            task_queue,
            interpreter=role.kind is Role.EVERYTHING,
            task_activities=True,
            functions=True,
        )
        queues = [default] + [QueuePlan(q, functions=True) for q in sorted(others)]
        local = sorted(key for key, t in registry.functions.items() if t.local_activity)
        notices = []
        if role.kind is Role.FUNCTIONS and local:
            notices.append(_local_notice(local))
        return WorkerPlan(queues, notices)
    return _services_plan(role.services, registry, task_queue)


def _local_notice(keys: list[str]) -> str:
    return f"{', '.join(keys)}: localActivity, run by the interpreter's worker, not here"


def _served_queues(registry: FunctionRegistry) -> set[str]:
    """The queues of the functions this registry has code for. A route alone (`services:`
    naming a service with no function here, as in an interpreter's registry) is not served:
    polling it would take that team's tasks and fail them as FC.ServiceNotFound."""
    queues = set()
    for target in registry.functions.values():
        queue = registry.queue_of_target(target)
        if queue is not None:
            queues.add(queue)
    return queues


def _services_plan(
    services: tuple[str, ...], registry: FunctionRegistry, task_queue: str
) -> WorkerPlan:
    """`--service A --service B`: the queues of their functions, each holding only theirs."""
    named = set(services)
    queues: set[str] = set()
    notices: list[str] = []
    for service in services:
        own = _queues_of_service(service, registry, task_queue)
        queues |= own
        local = sorted(
            key
            for key, target in registry.functions.items()
            if target.service == service and target.local_activity
        )
        if local:
            notices.append(_local_notice(local))
    for key, target in sorted(registry.functions.items()):
        queue = registry.queue_of_target(target)
        if queue in queues and target.service not in named:
            raise RoleError(
                f"task queue '{queue}' also carries {key} of service '{target.service}': "
                f"a worker polling it takes every task on it; add --service {target.service} "
                "or give that service its own taskQueue"
            )
    if not queues:
        raise RoleError(
            f"{', '.join(services)}: only localActivity functions, which the interpreter's "
            "worker runs; nothing to serve here"
        )
    return WorkerPlan([QueuePlan(q, functions=True) for q in sorted(queues)], notices)


def _queues_of_service(service: str, registry: FunctionRegistry, task_queue: str) -> set[str]:
    targets = [t for t in registry.functions.values() if t.service == service]
    if not targets:
        known = sorted({t.service for t in registry.functions.values()})
        raise RoleError(
            f"service '{service}' has no function in the function registry {registry.source}; "
            f"it has functions of: {', '.join(known) or '(none)'}"
        )
    queues = {registry.queue_of_target(t) for t in targets if not t.local_activity}
    if service in registry.services:
        queues.add(registry.services[service])
    if None in queues or task_queue in queues:
        raise RoleError(
            f"service '{service}' runs (some of) its functions on the interpreter's task "
            f"queue '{task_queue}', shared with every other task: give it a taskQueue in the "
            "registry (services: {" + service + ": {taskQueue: ...}}), or use --functions-only"
        )
    return {queue for queue in queues if queue is not None}
