"""`fnf test` and `fnf test-step`: flows against mocked functions (worker/mocking/)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.errors import say_error
from cli.json_input import read_json_object
from cli.output import fail
from cli.process import CommandConsole, run_until_stopped
from translator import FlowValidationError
from worker.functions import FunctionRegistry, RegistryError
from worker.mocking.model import (
    MockFile,
    MockFileError,
    MockResponse,
    check_against_flow,
    load_mocks,
)

FAILED_STATUS = 1
"""A case missed its expectations (or a mock was missing)."""

FlowArg = Annotated[Path, typer.Argument(help="The FDL flow file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object for machines.")]


def test(
    flow: FlowArg,
    mocks: Annotated[Path, typer.Option("--mocks", help="The mock file (YAML).")],
    case: Annotated[
        list[str] | None, typer.Option("--case", help="Run only this case; repeatable.")
    ] = None,
    functions: Annotated[
        Path | None,
        typer.Option(
            "--functions",
            help="Function registry whose `localActivity` entries run as local activities "
            "(default: functions.yaml beside the flow, when there is one).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the mock file's test cases of FLOW on Temporal's time-skipping test server; print
    a pass/fail table; exit 1 when a case fails. No function is called: every task step gets
    its mocked responses, and waits and retry backoffs take no real time."""
    under_test = _load_flow(flow)
    mock_file = _load_mocks(mocks)
    _check_cases(mock_file, under_test, mocks, case or [])
    registry = _registry(functions, flow)
    run_until_stopped(_test(under_test, mock_file, case or [], registry, as_json))


async def _test(flow: Any, mocks: MockFile, cases: list[str], registry: Any, as_json: bool) -> int:
    from worker.mocking.runner import flow_tester

    started = time.monotonic()
    async with flow_tester(registry=registry) as tester:
        results = await tester.run_file(flow, mocks, cases)
    seconds = time.monotonic() - started
    passed = all(result.passed for result in results)
    if as_json:
        shown = {
            "flow": str(flow.path),
            "passed": passed,
            "seconds": round(seconds, 3),
            "cases": [result.summary() for result in results],
        }
        typer.echo(json.dumps(shown, ensure_ascii=False))
    else:
        console = CommandConsole()
        _print_table(console, results, seconds)
        for note in unused_notes(mocks, results):
            console.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False)
    return 0 if passed else FAILED_STATUS


def unused_notes(mocks: MockFile, results: list[Any]) -> list[str]:
    """Mocks nothing answered from: a case's own, per case; the file's shared `mocks:`, once
    when no case run used them (a shared mock may well serve only some cases)."""
    notes: list[str] = []
    for result in results:
        own = mocks.cases[result.case].mocks
        for key in result.unused:
            if key in own:
                notes.append(f"case {result.case!r}: the mock of {key} was never used")
    shared = [key for key in mocks.mocks if all(key in r.unused for r in results)]
    for key in shared:
        if results and all(key not in mocks.cases[r.case].mocks for r in results):
            notes.append(f"mocks.{key} was used by no case run")
    return notes


def _print_table(console: Console, results: list[Any], seconds: float) -> None:
    table = Table("case", "result", "status", "steps entered (paths)", "seconds", title="fnf test")
    for result in results:
        verdict = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
        steps = " -> ".join(result.steps)
        # Cells and lines are markup: the flow's and the mock file's text is escaped, so a
        # `[bold]` in a case name, step name or value is shown, not applied.
        cells = (escape(result.case), verdict, escape(result.status), escape(steps))
        table.add_row(*cells, f"{result.seconds:.2f}")
    console.print(table)
    for result in results:
        for line in result.message().splitlines():
            console.print(f"[red]FAIL[/red] {escape(line)}", markup=True, highlight=False)
    failed = sum(not result.passed for result in results)
    console.print(f"{len(results) - failed} passed, {failed} failed in {seconds:.1f} s")


def test_step(
    flow: FlowArg,
    step: Annotated[str, typer.Argument(help="The step's name (or its path, e.g. steps[2]).")],
    input_: Annotated[
        str, typer.Option("--input", help="The scope's $input: JSON text, or @file.json")
    ] = "{}",
    local: Annotated[
        str, typer.Option("--local", help="The scope's $local before the step (JSON or @file)")
    ] = "{}",
    result: Annotated[
        str | None, typer.Option("--result", help="A task's result (JSON object), every attempt")
    ] = None,
    error: Annotated[
        str | None, typer.Option("--error", help="A task's error name, on every attempt")
    ] = None,
    cause: Annotated[str, typer.Option("--cause", help="The error's cause")] = "",
    mock: Annotated[
        Path | None,
        typer.Option("--mock", help="A mock file: the step's responses, attempt by attempt"),
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="The mock file's case (default: its first)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate one step of FLOW on its own: its input and output mappings, a choice's
    chosen option, a pass's output, a task's retries (retrier and backoff) and its catch for
    an error: Step Functions' TestState, for FDL. Nothing runs on Temporal."""
    from worker.mocking.step_check import StepNotFound, check_step

    under_test = _load_flow(flow)
    given = [option for option in (result, error, mock) if option is not None]
    if len(given) > 1:
        fail("give at most one of --result, --error and --mock")
    responses = _responses(result, error, cause, mock, case, step)
    try:
        checked = check_step(
            under_test.graph,
            step,
            _json_object(input_, "--input"),
            _json_object(local, "--local"),
            responses,
            under_test.name,
            repeat_last=mock is None,
        )
    except StepNotFound as missing:
        fail(str(missing))
    shown = checked.as_json()
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False))
    else:
        CommandConsole().print_json(json.dumps(shown, ensure_ascii=False))
    raise typer.Exit(0)


def _responses(
    result: str | None,
    error: str | None,
    cause: str,
    mock: Path | None,
    case: str | None,
    step: str,
) -> list[MockResponse]:
    if result is not None:
        return [MockResponse.model_validate({"return": _json_object(result, "--result")})]
    if error is not None:
        if not error:
            fail("--error must not be empty (it is the error name retry and catch match)")
        return [MockResponse(error=error, cause=cause)]
    if mock is None:
        return []
    mocks = _load_mocks(mock)
    name = case or next(iter(mocks.cases))
    if name not in mocks.cases:
        fail(f"{mock} has no case named {name!r} (the cases are: {', '.join(mocks.cases)})")
    listed = mocks.case_mocks(name)
    found = listed.get(step)
    if found is None:
        fail(f"case {name!r} of {mock} has no mock for step {step!r}")
    return found


def _load_flow(flow: Path) -> Any:
    from worker.mocking.runner import FlowUnderTest

    try:
        return FlowUnderTest.load(flow)
    except FlowValidationError as invalid:
        fail(f"{flow} is not a valid flow: {invalid}")
    except (OSError, UnicodeDecodeError) as unreadable:
        fail(f"cannot read {flow}: {unreadable}")


def _load_mocks(path: Path) -> MockFile:
    try:
        return load_mocks(path)
    except MockFileError as bad:
        _fail_lines(str(bad))


def _fail_lines(message: str) -> NoReturn:
    """Every problem of a mock file on its own `error:` line, then exit 2."""
    for line in message.splitlines()[:-1]:
        say_error(line)
    fail(message.splitlines()[-1])


def _check_cases(mocks: MockFile, flow: Any, path: Path, cases: list[str]) -> None:
    try:
        check_against_flow(mocks, flow.graph, str(path), flow.flows)
    except MockFileError as bad:
        _fail_lines(str(bad))
    unknown = [name for name in cases if name not in mocks.cases]
    if unknown:
        known = ", ".join(mocks.cases)
        fail(f"{path} has no case named {', '.join(unknown)} (the cases are: {known})")


def _registry(functions: Path | None, flow: Path) -> FunctionRegistry | None:
    beside = flow.parent / "functions.yaml"
    path = functions or (beside if beside.is_file() else None)
    if path is None:
        return None
    try:
        return FunctionRegistry.load(path)
    except RegistryError as bad:
        fail(str(bad))


def _json_object(text: str, option: str) -> dict[str, Any]:
    return read_json_object(text, option).value
