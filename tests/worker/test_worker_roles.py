"""Worker roles and task queues: what each `fnf worker` process polls (worker/roles.py) and
how the registry routes functions (`taskQueue`, worker/functions/registry.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from worker.functions import FunctionRegistry
from worker.functions.errors import RegistryError
from worker.roles import QueuePlan, RoleError, WorkerRole, plan

URL = "http://127.0.0.1:9/f"
REGISTRY = {
    "services": {"payments": {"taskQueue": "pay"}, "ledger": {"taskQueue": "books"}},
    "functions": {
        "payments/charge": {"url": URL},
        "payments/refund": {"url": URL, "taskQueue": "pay-slow"},
        "shipping/quote": {"url": URL, "localActivity": True, "timeout": 5},
        "shipping/ship": {"url": URL, "taskQueue": "ship"},
        "misc/echo": {"url": URL},
    },
}


def fc(service: str, function: str) -> Any:
    return {"kind": "fc", "service": service, "function": function, "arn": ""}


def test_a_function_runs_on_its_own_queue_else_its_services_else_the_interpreters() -> None:
    registry = FunctionRegistry.from_mapping(
        {
            **REGISTRY,
            "functions": {k: v for k, v in REGISTRY["functions"].items() if "quote" not in k},
        }
    )
    assert registry.task_queue_of(fc("payments", "charge")) == "pay"
    assert registry.task_queue_of(fc("payments", "refund")) == "pay-slow"
    assert registry.task_queue_of(fc("ledger", "post")) == "books"  # a route without code
    assert registry.task_queue_of(fc("misc", "echo")) is None
    assert registry.task_queue_of(fc("shipping", "quote")) is None  # runs in the interpreter


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (
            {
                "functions": {
                    "a/f": {"url": URL, "localActivity": True, "timeout": 5, "taskQueue": "q"}
                }
            },
            "'localActivity' and 'taskQueue' exclude each other",
        ),
        ({"services": {"a.1": {"taskQueue": "q"}}}, "services.'a.1': FC service name"),
        ({"services": {"a": {"taskQueue": ""}}}, "taskQueue '' should be a task queue name"),
        ({"services": {"a": {"queue": "q"}}}, "unknown key 'queue' (allowed: taskQueue)"),
    ],
)
def test_registry_refuses_bad_routes(document: dict[str, Any], says: str) -> None:
    with pytest.raises(RegistryError, match=None) as raised:
        FunctionRegistry.from_mapping(document)
    assert says in str(raised.value)


def test_a_local_activity_of_a_routed_service_is_refused_across_files() -> None:
    routes = FunctionRegistry.from_mapping({"services": {"a": {"taskQueue": "q"}}}, source="r")
    code = FunctionRegistry.from_mapping(
        {"functions": {"a/f": {"url": URL, "localActivity": True, "timeout": 5}}}, source="c"
    )
    with pytest.raises(RegistryError, match="its service 'a' names taskQueue 'q'"):
        FunctionRegistry.merged([routes, code])


def registry() -> FunctionRegistry:
    return FunctionRegistry.from_mapping(REGISTRY)


def test_default_worker_serves_every_queue_it_has_code_for() -> None:
    """`ledger` is only a route here (no function of it in this registry): another pool's."""
    chosen = plan(WorkerRole(), registry(), "fnf")
    assert chosen.queues == [
        QueuePlan("fnf", interpreter=True, task_activities=True, functions=True),
        QueuePlan("pay", functions=True),
        QueuePlan("pay-slow", functions=True),
        QueuePlan("ship", functions=True),
    ]


def test_roles_split_the_interpreter_from_the_functions() -> None:
    workflows = plan(WorkerRole.of_options(True, False, []), registry(), "fnf")
    assert workflows.queues == [QueuePlan("fnf", interpreter=True)]
    assert workflows.notices == [
        "function tasks on books, fnf, pay, pay-slow, ship need workers started with "
        "--functions-only or --service"
    ]
    functions = plan(WorkerRole.of_options(False, True, []), registry(), "fnf")
    assert [q.task_queue for q in functions.queues] == ["fnf", "pay", "pay-slow", "ship"]
    assert not any(q.interpreter for q in functions.queues)
    assert functions.notices == [
        "shipping/quote: localActivity, run by the interpreter's worker, not here"
    ]
    payments = plan(WorkerRole.of_options(False, False, ["payments"]), registry(), "fnf")
    assert payments.queues == [
        QueuePlan("pay", functions=True),
        QueuePlan("pay-slow", functions=True),
    ]
    assert payments.notices == []
    shipping = plan(WorkerRole.of_options(False, False, ["shipping"]), registry(), "fnf")
    assert shipping.queues == [QueuePlan("ship", functions=True)]
    assert shipping.notices == [
        "shipping/quote: localActivity, run by the interpreter's worker, not here"
    ]


@pytest.mark.parametrize(
    ("services", "says"),
    [
        (["misc"], "service 'misc' runs (some of) its functions on the interpreter's task queue"),
        (["nope"], "service 'nope' has no function in the function registry"),
        (["ledger"], "service 'ledger' has no function in the function registry"),
    ],
)
def test_a_service_pool_must_own_its_queues(services: list[str], says: str) -> None:
    with pytest.raises(RoleError) as raised:
        plan(WorkerRole.of_options(False, False, services), registry(), "fnf")
    assert says in str(raised.value)


def test_a_queue_shared_with_another_service_is_refused() -> None:
    shared = FunctionRegistry.from_mapping(
        {
            "services": {"a": {"taskQueue": "q"}},
            "functions": {"a/f": {"url": URL}, "b/f": {"url": URL, "taskQueue": "q"}},
        }
    )
    with pytest.raises(RoleError, match=r"also carries b/f of service 'b'.*add --service b"):
        plan(WorkerRole.of_options(False, False, ["a"]), shared, "fnf")
    both = plan(WorkerRole.of_options(False, False, ["a", "b"]), shared, "fnf")
    assert both.queues == [QueuePlan("q", functions=True)]


def test_cli_reports_a_role_it_cannot_serve_in_one_line(tmp_path: Path) -> None:
    file = tmp_path / "functions.yaml"
    file.write_text(f"functions:\n  misc/echo: {{url: '{URL}'}}\n")
    for role, says in (
        (["--service", "misc"], "error: service 'misc' runs (some of) its functions"),
        (["--workflows-only", "--service", "misc"], "error: --workflows-only excludes"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "worker", "--functions", str(file), *role],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(says) and done.stderr.count("\n") == 1, done.stderr
