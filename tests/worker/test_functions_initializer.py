"""FC's initializer hook on real instances (child processes), and in executed flows.

FC runs a function's `initializer(context)` once per instance, after the instance starts and
before it serves its first request, within `initializationTimeout` (default 3 s). A failed or
timed-out initializer fails the request, and the next request gets a fresh instance that runs
the initializer again (FC "Instance lifecycle hooks": Initializer hook).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.worker.conftest import RunFlow
from translator.resources import parse_resource_arn
from worker.functions import FunctionError, FunctionRegistry, FunctionRuntime, Invocation
from worker.functions.errors import MAX_CAUSE_CHARS

FIXTURES = Path(__file__).parent / "fixtures" / "functions"
EXITED = re.compile(
    r'\{"errorMessage":"Process exited unexpectedly before completing request '
    r'\(duration: \d+ms, maxMemoryUsage: \d+\.\d\dMB\)"\}'
)


def entry(handler: str, initializer: str | None = None, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"handler": f"initialized.py:{handler}", **fields}
    if initializer is not None:
        found["initializer"] = f"initialized.py:{initializer}"
    return found


def registry(marker: Path) -> dict[str, Any]:
    """The entries of these tests; `marker` is the file init_fails_once remembers failing in."""
    return {
        "functions": {
            "db/query": entry("query", "initialize", environment={"INIT_SECONDS": "0.3"}),
            "db/pair": entry("query", "initialize", concurrency=2),
            "db/raises": entry("query", "init_raises"),
            "db/fails-once": entry("query", "init_fails_once", environment={"MARKER": str(marker)}),
            "db/slow-init": entry("query", "init_sleeps", initializationTimeout=0.5),
            "db/slow-init-long-timeout": entry("query", "init_sleeps", initializationTimeout=60),
            "db/exits": entry("query", "init_exits"),
            "db/no-state": entry("plain", "init_does_nothing"),
            "db/no-initializer": entry("plain"),
            "db/missing": entry("plain", "no_such_initializer"),
            "db/not-callable": entry("plain", "not_callable"),
            "db/slow-import": {
                "handler": "slow_import.py:handler",
                "initializer": "slow_import.py:initialize",
                "timeout": 0.5,
            },
            "db/shared": {
                "handler": "shared_user.py:handler",
                "initializer": "shared_pool.py:open_client",
            },
        }
    }


@pytest_asyncio.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[FunctionRuntime]:
    functions = FunctionRuntime(
        FunctionRegistry.from_mapping(registry(tmp_path / "failed-once"), FIXTURES)
    )
    try:
        yield functions
    finally:
        await functions.aclose()


def fc(path: str) -> Any:
    service, function = path.split("/")
    return parse_resource_arn(f"acs:fc:::services/{service}/functions/{function}")


async def call(runtime: FunctionRuntime, path: str, **invocation: Any) -> Any:
    return await runtime.invoke(fc(path), b"{}", Invocation(**invocation))


async def failure(runtime: FunctionRuntime, path: str, **invocation: Any) -> FunctionError:
    with pytest.raises(FunctionError) as raised:
        await call(runtime, path, **invocation)
    return raised.value


# --- runs once per instance, before the first call -----------------------------------------


async def test_the_handler_sees_what_the_initializer_set_up(runtime: FunctionRuntime) -> None:
    first = await call(runtime, "db/query", request_id="req-first")
    second = await call(runtime, "db/query", request_id="req-second")
    assert first["pool"] == {"dsn": "memory://", "opened_by": first["pid"]}
    assert (first["initializations"], second["initializations"]) == (1, 1)
    assert second["pid"] == first["pid"]
    assert first["initializer_saw"] == {
        "request_id": "req-first",  # the request that started the instance
        "function": "query",
        "initializer": "initialized.py:initialize",
        "initialization_timeout": 3.0,  # FC's default
    }
    assert first["handler_saw"] == {
        "initializer": "initialized.py:initialize",
        "initialization_timeout": 3.0,
    }


async def test_concurrent_first_calls_wait_for_one_initialization(
    runtime: FunctionRuntime,
) -> None:
    results = await asyncio.gather(*(call(runtime, "db/query") for _ in range(8)))
    assert {result["initializations"] for result in results} == {1}
    assert len({result["pid"] for result in results}) == 1


async def test_calls_beyond_instance_concurrency_wait_for_the_same_initialization(
    runtime: FunctionRuntime,
) -> None:
    results = await asyncio.gather(*(call(runtime, "db/pair") for _ in range(5)))
    assert {result["initializations"] for result in results} == {1}
    assert len({result["pid"] for result in results}) == 1


async def test_initialization_time_is_not_the_functions_timeout(tmp_path: Path) -> None:
    """The function's `timeout` starts when the request is sent, after the initializer."""
    data = {
        "functions": {
            "db/quick": entry(
                "query", "initialize", timeout=0.5, environment={"INIT_SECONDS": "0.8"}
            )
        }
    }
    async with FunctionRuntime(FunctionRegistry.from_mapping(data, FIXTURES)) as functions:
        result = await call(functions, "db/quick")
    assert result["initializations"] == 1


async def test_an_initializer_with_no_state_still_runs_first(runtime: FunctionRuntime) -> None:
    result = await call(runtime, "db/no-state")
    assert result == {"ok": True, "pid": result["pid"], "initializations": 0}
    plain = await call(runtime, "db/no-initializer")
    assert plain["ok"] is True


async def test_an_initializer_in_another_module_shares_the_handlers_import(
    runtime: FunctionRuntime,
) -> None:
    assert await call(runtime, "db/shared") == {"client": {"opened_for": "shared"}}


# --- failures -----------------------------------------------------------------------------


async def test_a_raising_initializer_fails_the_call_like_a_raising_handler(
    runtime: FunctionRuntime,
) -> None:
    error = await failure(runtime, "db/raises")
    assert error.name == "ConnectionError"
    cause = json.loads(error.cause)
    assert (cause["errorMessage"], cause["errorType"]) == (
        "database unreachable",
        "ConnectionError",
    )
    assert any("init_raises" in line for line in cause["stackTrace"])
    assert not any("worker/functions" in line for line in cause["stackTrace"])


async def test_every_call_waiting_on_a_failed_initializer_fails(runtime: FunctionRuntime) -> None:
    results = await asyncio.gather(
        *(call(runtime, "db/raises") for _ in range(4)), return_exceptions=True
    )
    assert all(isinstance(r, FunctionError) and r.name == "ConnectionError" for r in results)


async def test_the_next_call_after_a_failed_initializer_initializes_a_fresh_instance(
    runtime: FunctionRuntime,
) -> None:
    error = await failure(runtime, "db/fails-once")
    assert (error.name, json.loads(error.cause)["errorMessage"]) == (
        "ConnectionError",
        "database not up yet",
    )
    retried = await call(runtime, "db/fails-once")
    assert retried["pool"] == {"dsn": "retried", "opened_by": retried["pid"]}
    assert retried["initializations"] == 1  # fresh module state: the failed run is gone
    again = await call(runtime, "db/fails-once")
    assert again["pid"] == retried["pid"]


async def test_a_timed_out_initializer_is_killed_and_fails_the_call(
    runtime: FunctionRuntime,
) -> None:
    started = time.monotonic()
    error = await failure(runtime, "db/slow-init")
    assert time.monotonic() - started < 3
    assert (error.name, error.cause) == (
        "FC.Unknown",
        '{"errorMessage":"Function initialization timed out after 0.5 seconds"}',
    )
    again = await failure(runtime, "db/slow-init")  # a fresh instance tries again
    assert again.cause == error.cause


async def test_exit_in_the_initializer_is_a_crash(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, "db/exits")
    assert error.name == "FC.Unknown"
    assert EXITED.fullmatch(error.cause), error.cause


async def test_a_task_timeout_shorter_than_initialization_is_fnf_task_timeout(
    runtime: FunctionRuntime,
) -> None:
    error = await failure(runtime, "db/slow-init-long-timeout", timeout=0.3)
    assert (error.name, error.cause) == ("FnF.TaskTimeout", "Task timed out after 0.3 seconds")


async def test_a_module_that_never_loads_times_out_before_initializing(
    runtime: FunctionRuntime,
) -> None:
    """Until the module has loaded, the wait is bounded by the function's own timeout."""
    error = await failure(runtime, "db/slow-import")
    assert (error.name, error.cause) == (
        "FC.Unknown",
        '{"errorMessage":"Function timed out after 0.5 seconds"}',
    )


async def test_closing_the_runtime_fails_calls_waiting_for_an_initializer(
    tmp_path: Path,
) -> None:
    functions = FunctionRuntime(
        FunctionRegistry.from_mapping(registry(tmp_path / "failed-once"), FIXTURES)
    )
    waiting = asyncio.create_task(call(functions, "db/slow-init-long-timeout"))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await functions.aclose()
    assert time.monotonic() - started < 5
    with pytest.raises(FunctionError) as raised:
        await waiting
    assert raised.value.name == "FC.Unknown"
    assert EXITED.fullmatch(raised.value.cause), raised.value.cause


async def test_a_missing_or_uncallable_initializer_is_explained(runtime: FunctionRuntime) -> None:
    missing = await failure(runtime, "db/missing")
    assert missing.name == "FC.Unknown"
    assert json.loads(missing.cause) == {
        "errorMessage": "Initializer 'no_such_initializer' is missing on module 'initialized'",
        "errorType": "InitializerNotFound",
        "stackTrace": [],
    }
    uncallable = await failure(runtime, "db/not-callable")
    assert "Initializer 'not_callable' on module 'initialized' is not callable" in (
        uncallable.cause
    )


# --- in a flow ------------------------------------------------------------------------------

FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: lookup
    resourceArn: acs:fc:::services/db/functions/{function}
    outputMappings:
      - target: dsn
        source: $local.pool.dsn
      - target: initializations
        source: $local.initializations
    retry:
      - errors: [FC.Unknown]
        intervalSeconds: 1
        maxAttempts: 1
    errorMappings:
      - target: error
        source: $local.error
      - target: cause
        source: $local.cause
    catch:
      - errors: [ConnectionError]
        goto: unreachable
  - type: succeed
    name: done
  - type: pass
    name: unreachable
"""


@pytest.fixture(scope="module")
def flow_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("initializer-flows")
    path = folder / "functions.yaml"
    data = registry(folder / "failed-once")
    for spec in data["functions"].values():
        for key in ("handler", "initializer"):
            if key in spec:
                spec[key] = str(FIXTURES / spec[key].split(":")[0]) + ":" + spec[key].split(":")[1]
    path.write_text(json.dumps(data))
    return path


async def test_a_flow_task_uses_its_initializers_state(
    run_flow: RunFlow, flow_registry: Path
) -> None:
    outcome = await run_flow(
        "initializer", {}, text=FLOW.format(function="query"), functions=flow_registry
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"dsn": "memory://", "initializations": 1}


async def test_a_flow_catches_a_failed_initializer_by_its_error_name(
    run_flow: RunFlow, flow_registry: Path
) -> None:
    outcome = await run_flow(
        "initializer", {}, text=FLOW.format(function="raises"), functions=flow_registry
    )
    assert outcome.status == "Succeeded", outcome
    assert outcome.output is not None
    assert outcome.output["error"] == "ConnectionError"
    assert json.loads(outcome.output["cause"])["errorMessage"] == "database unreachable"
    assert outcome.types("lookup").count("TaskFailed") == 1  # not retried: not FC.Unknown


async def test_a_flow_retries_a_timed_out_initializer_on_a_fresh_instance(
    run_flow: RunFlow, flow_registry: Path
) -> None:
    outcome = await run_flow(
        "initializer", {}, text=FLOW.format(function="slow-init"), functions=flow_registry
    )
    assert (outcome.status, outcome.error) == ("Failed", "FC.Unknown")
    assert outcome.types("lookup").count("TaskFailed") == 2  # the attempt and one retry
    assert "Function initialization timed out after 0.5 seconds" in (outcome.cause or "")


async def test_a_flow_succeeds_once_a_retried_initializer_works(
    run_flow: RunFlow, flow_registry: Path
) -> None:
    text = FLOW.format(function="fails-once").replace("[FC.Unknown]", "[ConnectionError]")
    outcome = await run_flow("initializer", {}, text=text, functions=flow_registry)
    assert outcome.status == "Succeeded", outcome
    assert outcome.output == {"dsn": "retried", "initializations": 1}
    assert outcome.types("lookup").count("TaskFailed") == 1


async def test_a_huge_initializer_message_is_bounded_in_the_error_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An initializer that raises with 2.5 MB of message: the call's cause and the worker's
    log line keep to FnF's 4096 characters, and the error keeps its name."""
    (tmp_path / "loud.py").write_text(
        "def init(context):\n    raise ValueError('y' * 2_500_000)\n\n"
        "def handler(event, context):\n    return {}\n"
    )
    spec = {"functions": {"s/loud": {"handler": "loud.py:handler", "initializer": "loud.py:init"}}}
    functions = FunctionRuntime(FunctionRegistry.from_mapping(spec, tmp_path))
    try:
        with caplog.at_level("WARNING", logger="worker.functions"):
            error = await failure(functions, "s/loud")
    finally:
        await functions.aclose()
    assert error.name == "ValueError"
    assert len(error.cause) <= MAX_CAUSE_CHARS and error.cause.endswith("...(truncated)")
    logged = [r.getMessage() for r in caplog.records if "initializer of" in r.getMessage()]
    assert logged and all(len(line) < MAX_CAUSE_CHARS + 200 for line in logged)
