"""Python handlers on real, warm, crash-isolated instances (child processes): no mocks."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from translator.resources import parse_resource_arn
from worker.functions import FunctionError, FunctionRegistry, FunctionRuntime, Invocation

REGISTRY = Path(__file__).parent / "fixtures" / "functions" / "functions.yaml"
EXITED = re.compile(
    r'\{"errorMessage":"Process exited unexpectedly before completing request '
    r'\(duration: \d+ms, maxMemoryUsage: \d+\.\d\dMB\)"\}'
)


def fc(path: str, region: str = "", account: str = "") -> Any:
    service, function = path.split("/")
    return parse_resource_arn(f"acs:fc:{region}:{account}:services/{service}/functions/{function}")


@pytest_asyncio.fixture
async def runtime() -> AsyncIterator[FunctionRuntime]:
    functions = FunctionRuntime(FunctionRegistry.load(REGISTRY))
    try:
        yield functions
    finally:
        await functions.aclose()


async def call(runtime: FunctionRuntime, path: str, event: Any = None, **invocation: Any) -> Any:
    payload = json.dumps({} if event is None else event).encode()
    return await runtime.invoke(fc(path), payload, Invocation(**invocation))


async def failure(runtime: FunctionRuntime, path: str, event: Any = None, **kw: Any) -> Any:
    with pytest.raises(FunctionError) as raised:
        await call(runtime, path, event, **kw)
    return raised.value


# --- outputs --------------------------------------------------------------------------------


async def test_echo_round_trip(runtime: FunctionRuntime) -> None:
    event = {"text": "héllo", "n": [1, 2.5, None, True], "nested": {"a": {}}}
    assert await call(runtime, "demo/echo", event) == event


async def test_the_handler_sees_an_fc_context(runtime: FunctionRuntime) -> None:
    seen = await runtime.invoke(
        fc("demo/describe", "cn-hangzhou", "123456"), b"{}", Invocation(request_id="req-1")
    )
    assert {key: value for key, value in seen.items() if key != "pid"} == {
        "request_id": "req-1",
        "function": {"name": "describe", "handler": "handlers.py:describe"},
        "timeout": 5,
        "service": {"name": "demo", "qualifier": None},
        "region": "cn-hangzhou",
        "account_id": "123456",
        "event_type": "bytes",
        "env": {"STAGE": "test", "FC_FUNCTION_NAME": "describe"},
    }


async def test_qualified_arns_reach_their_own_entries(runtime: FunctionRuntime) -> None:
    assert await call(runtime, "demo/version") == {"version": "LATEST"}
    assert await call(runtime, "demo.1/version") == {"version": "1"}
    assert await call(runtime, "demo.online/version") == {"version": "1"}  # module:callable


@pytest.mark.parametrize(
    ("path", "output"),
    [
        ("demo/json-text", {"from": "str"}),
        ("demo/json-bytes", {"from": "bytes"}),
        ("demo/plain-text", "not json at all"),
        ("demo/number", 42),
    ],
)
async def test_str_and_bytes_are_parsed_when_they_are_json(
    runtime: FunctionRuntime, path: str, output: Any
) -> None:
    assert await call(runtime, path) == output


async def test_a_return_value_that_is_not_json_is_fc_unknown(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, "demo/unserializable")
    assert error.name == "FC.Unknown"
    assert "not JSON serializable" in json.loads(error.cause)["errorMessage"]


async def test_prints_do_not_break_the_protocol_and_reach_the_log(
    runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="worker.functions.output")
    assert await call(runtime, "demo/chatty") == {"printed": True}
    assert await call(runtime, "demo/chatty") == {"printed": True}
    expected = ["a line on stdout that is not JSON", '"output": "forged"', "context.logger"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(any(text in record.getMessage() for record in caplog.records) for text in expected):
            break
        await asyncio.sleep(0.02)
    messages = "\n".join(record.getMessage() for record in caplog.records)
    for text in expected:
        assert text in messages
    assert "[demo/chatty " in messages


async def test_concurrent_calls_print_whole_lines(
    runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    """Calls on one instance's threads print lines in pieces; no line mixes two calls."""
    caplog.set_level(logging.INFO, logger="worker.functions.output")
    calls = range(8)
    await asyncio.gather(*(call(runtime, "demo/pieces", {"call": k}) for k in calls))
    wanted = 8 * 21
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [r.getMessage() for r in caplog.records if "[demo/pieces " in r.getMessage()]
        if len(lines) >= wanted:
            break
        await asyncio.sleep(0.02)
    texts = [line.split("] ", 1)[1] for line in lines]
    whole = re.compile(r"call (\d) (line (\d+) end|tail)")
    assert all(whole.fullmatch(text) for text in texts), texts
    for k in calls:
        mine = [text for text in texts if text.startswith(f"call {k} ")]
        assert mine == [f"call {k} line {n} end" for n in range(20)] + [f"call {k} tail"]


# --- errors ---------------------------------------------------------------------------------


async def test_a_raised_exception_is_named_by_its_class(runtime: FunctionRuntime) -> None:
    error = await failure(runtime, "demo/raise")
    assert error.name == "ErrorNeedsRetry"
    assert error.cause.startswith('{"errorMessage":"try again later","errorType":"ErrorNeedsRetry"')
    cause = json.loads(error.cause)
    assert cause["errorMessage"] == "try again later"
    assert cause["errorType"] == "ErrorNeedsRetry"
    assert any("handlers.py" in line and "raise_custom" in line for line in cause["stackTrace"])
    assert not any("worker/functions" in line for line in cause["stackTrace"])


@pytest.mark.parametrize(
    "path",
    ["demo/hard-exit", "demo/soft-exit", "demo/builtin-exit", "demo/segfault", "demo/killed"],
)
async def test_a_dying_process_is_fc_unknown_with_fcs_cause(
    runtime: FunctionRuntime, path: str
) -> None:
    error = await failure(runtime, path)
    assert error.name == "FC.Unknown"
    assert EXITED.fullmatch(error.cause), error.cause


async def test_the_next_call_after_a_crash_runs_on_a_fresh_instance(
    runtime: FunctionRuntime,
) -> None:
    first = await call(runtime, "demo/maybe-exit")
    error = await failure(runtime, "demo/maybe-exit", {"exit": True})
    assert EXITED.fullmatch(error.cause)
    second = await call(runtime, "demo/maybe-exit")
    assert second["pid"] != first["pid"]


async def test_calls_in_flight_on_a_dying_instance_all_fail(runtime: FunctionRuntime) -> None:
    await call(runtime, "demo/maybe-exit")  # warm up, so the sleepers are surely in flight
    sleepers = [
        asyncio.create_task(call(runtime, "demo/maybe-exit", {"sleep": 2})) for _ in range(3)
    ]
    await asyncio.sleep(0.2)
    results = await asyncio.gather(
        *sleepers, call(runtime, "demo/maybe-exit", {"exit": True}), return_exceptions=True
    )
    for result in results:
        assert isinstance(result, FunctionError)
        assert result.name == "FC.Unknown"
        assert EXITED.fullmatch(result.cause)
    durations = [int(re.findall(r"duration: (\d+)ms", r.cause)[0]) for r in results]  # type: ignore[union-attr]
    assert all(duration >= 150 for duration in durations[:3])


async def test_a_timed_out_call_kills_its_stuck_instance(runtime: FunctionRuntime) -> None:
    error = await asyncio.wait_for(failure(runtime, "demo/sleep-forever"), 30)  # not forever
    assert (error.name, error.cause) == (
        "FC.Unknown",
        '{"errorMessage":"Function timed out after 0.5 seconds"}',
    )
    before = await call(runtime, "demo/slow", {"seconds": 0})
    started = time.monotonic()  # on a warm instance: no cold start inside the measurement
    timed_out = await failure(runtime, "demo/slow", {"seconds": 30})
    assert time.monotonic() - started < 10  # cut off at 0.5 s, far from the call's 30 s
    assert timed_out.cause == '{"errorMessage":"Function timed out after 0.5 seconds"}'
    after = await call(runtime, "demo/slow", {"seconds": 0})
    assert after["pid"] != before["pid"]


async def test_a_shorter_task_timeout_is_fnf_task_timeout(runtime: FunctionRuntime) -> None:
    before = await call(runtime, "demo/nap", {"seconds": 0})
    error = await failure(runtime, "demo/nap", {"seconds": 1}, timeout=0.2)
    assert (error.name, error.cause) == ("FnF.TaskTimeout", "Task timed out after 0.2 seconds")
    after = await call(runtime, "demo/nap", {"seconds": 0})
    assert after["pid"] == before["pid"]  # the function's own clock still runs; it is not killed


async def test_an_import_error_is_fc_unknown_with_the_import_error(
    runtime: FunctionRuntime,
) -> None:
    error = await failure(runtime, "demo/broken")
    assert error.name == "FC.Unknown"
    cause = json.loads(error.cause)
    assert cause["errorType"] == "ModuleNotFoundError"
    assert cause["errorMessage"] == (
        "Unable to import module 'broken': "
        "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'"
    )
    again = await failure(runtime, "demo/broken")  # each call retries the import
    assert again.cause == error.cause


async def test_a_missing_or_uncallable_handler_is_explained(runtime: FunctionRuntime) -> None:
    missing = await failure(runtime, "demo/missing-handler")
    assert missing.name == "FC.Unknown"
    assert json.loads(missing.cause) == {
        "errorMessage": "Handler 'no_such_function' is missing on module 'handlers'",
        "errorType": "HandlerNotFound",
        "stackTrace": [],
    }
    uncallable = await failure(runtime, "demo/not-callable")
    assert "Handler 'not_callable' on module 'handlers' is not callable (it is a str)" in (
        uncallable.cause
    )


async def test_lookup_failures_come_back_as_function_errors(runtime: FunctionRuntime) -> None:
    assert (await failure(runtime, "demo.9/echo")).name == "FC.FunctionNotFound"
    assert (await failure(runtime, "nobody/echo")).name == "FC.ServiceNotFound"


# --- warm instances -------------------------------------------------------------------------


async def test_module_state_persists_across_calls(runtime: FunctionRuntime) -> None:
    results = [await call(runtime, "demo/counter") for _ in range(3)]
    assert [result["calls"] for result in results] == [1, 2, 3]
    assert len({result["pid"] for result in results}) == 1


async def test_one_instance_serves_concurrent_calls(runtime: FunctionRuntime) -> None:
    """20 calls are in the one warm instance at the same time: each waits inside the handler
    until all 20 have arrived (a count, not a clock, so a loaded machine cannot fail it)."""
    await call(runtime, "demo/rendezvous")  # cold start first: one instance serves them all
    results = await asyncio.gather(
        *(call(runtime, "demo/rendezvous", {"meet": 20}) for _ in range(20))
    )
    assert all(result["met"] for result in results), results
    assert len({result["pid"] for result in results}) == 1


async def test_instance_concurrency_bounds_calls_in_flight(runtime: FunctionRuntime) -> None:
    """`concurrency: 2`: calls meet in pairs, and the instance never holds a third while the
    pair holds on."""
    await call(runtime, "demo/rendezvous-pair")
    results = await asyncio.gather(
        *(call(runtime, "demo/rendezvous-pair", {"meet": 2, "hold": 0.2}) for _ in range(4))
    )
    assert all(result["met"] for result in results), results
    assert max(result["peak"] for result in results) == 2, results


async def test_a_cancelled_call_leaves_the_instance_usable(runtime: FunctionRuntime) -> None:
    before = await call(runtime, "demo/nap", {"seconds": 0})
    task = asyncio.create_task(call(runtime, "demo/nap", {"seconds": 0.3}))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    after = await call(runtime, "demo/nap", {"seconds": 0})
    assert after["pid"] == before["pid"]


async def test_closing_fails_calls_in_flight() -> None:
    functions = FunctionRuntime(FunctionRegistry.load(REGISTRY))
    await call(functions, "demo/nap", {"seconds": 0})
    task = asyncio.create_task(call(functions, "demo/nap", {"seconds": 5}))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await functions.aclose()
    assert time.monotonic() - started < 2
    with pytest.raises(FunctionError) as raised:
        await task
    assert raised.value.name == "FC.Unknown"


async def test_a_warm_call_costs_little(runtime: FunctionRuntime) -> None:
    """A regression guard with a generous bound; README figures come from a quieter run."""
    await call(runtime, "demo/echo")
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        await call(runtime, "demo/echo", {"n": 1})
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02
